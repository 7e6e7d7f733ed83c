// leakproof: leak-safe async primitives. Named exports only; every export is
// tree-shakable (package.json "sideEffects": false, no top-level effects).

export { race, any } from './race.js';

export { onAbort } from './on-abort.js';
export type { AbortListenerDisposable } from './on-abort.js';
export { abortable } from './abortable.js';
export type { AbortableOptions } from './abortable.js';
export { delay } from './delay.js';
export type { DelayOptions } from './delay.js';
export { anySignal } from './any-signal.js';

export { abortableIterator, MAX_PENDING_NEXT_CALLS } from './abortable-iterator.js';
export type { AbortableIterator, AbortableIteratorOptions } from './abortable-iterator.js';
export { pump } from './pump.js';
export type { PumpOptions } from './pump.js';

export { Channel } from './channel.js';
export type { ChannelConsumer, ChannelOptions, ChannelOverflow, ReceiveOptions, SendOptions } from './channel.js';
export { on } from './on.js';
export type { EventIterator, EventEmitterLike, EventOverflow, OnOptions } from './on.js';

export { LRU } from './lru.js';
export type { EvictReason, LRUOptions, LRUSetOptions } from './lru.js';
export { memoize, MEMOIZE_DEFAULT_MAX } from './memoize.js';
export type { Memoized, MemoizedMethods, MemoizeOptions, MemoizeStats } from './memoize.js';
export { memoizeAsync } from './memoize-async.js';
export type {
  MemoizedAsync,
  MemoizeAsyncArgs,
  MemoizeAsyncOptions,
  MemoizeAsyncCallOptions,
  MemoizeAsyncContext,
  MemoizeAsyncStats,
} from './memoize-async.js';

export { Scope } from './scope.js';
export type {
  ScopeOptions,
  CloseOptions as ScopeCloseOptions,
  CloseResult as ScopeCloseResult,
  ScopeState,
} from './scope.js';
export { weakInterval, weakTimeout } from './weak-interval.js';
export type { WeakTimer, WeakTimerOptions } from './weak-interval.js';

export { ClosedError, OverflowError, isAbortError } from './errors.js';
