// `abortableIterator`: any async or sync iterable as an async iterator that an
// AbortSignal stops at once, without leaving anything behind.
//
// Leak: the usual wrapper is an `async function*` looping over
// `await Promise.race([source.next(), abortPromise])`. Each race leaves a
// reaction on the long-lived abort promise that reaches that item's value, so
// the loop keeps every value it ever yielded (Deno std's `abortable`). The
// generator frame keeps the last value while the consumer is idle. A consumer
// `break` ends the generator at its `yield`, so the code that would remove the
// abort listener and close the source never runs (`abortable-iterator`: one
// listener left on the signal per loop, the source never closed). And a
// generator's `return()` queues behind its pending `next()`, so a wrapper
// whose source hangs cannot be closed at all (tc39/proposal-async-iteration#126).
//
// Invariant: the wrapper is a plain iterator object whose only terminal path is
// `#close()`, run on done, source error, abort, `return()` and `throw()`. It
// stores the resolving functions of pending `next()` calls and never a value:
// each result goes straight from the source's promise to the consumer's. The
// wrapper subscribes to the signal on the first `next()`, through the signal's
// shared abort hub (internal/abort-hub.ts: one native listener per signal for all of
// leakproof, O(1) to join and leave), and `#close()` unsubscribes. Everything
// the source or the signal can reach of us (the hub subscription and the
// reactions on an in-flight pull) goes through one `Link`, whose `owner`
// `#close()` clears: a source that never settles pins a link of a few dozen
// bytes, not the wrapper, and nothing it delivers late is used or pulled for.
//
// Refs: issue 3; https://github.com/tc39/proposal-async-iteration/issues/126;
// https://tc39.es/ecma262/#sec-createasyncfromsynciterator and
// https://github.com/tc39/ecma262/pull/2600 (a sync iterator that yields a
// rejected promise is closed); repeaterjs/repeater (the 1024 pending-call cap).

import { clearResolvers, lastReject, lastResolve, newPromise } from './internal/resolvers.js';
import { OverflowError } from './errors.js';
import { type AbortHub, type AbortSubscriber, joinAbortHub, leaveAbortHub } from './internal/abort-hub.js';
import {
  describeReceived,
  invalidArgType,
  invalidArgValue,
  validateOptionalAbortSignal,
  validateOptionalFunction,
  validateOptions,
} from './internal/validate.js';

/** Options of {@link abortableIterator}. */
export interface AbortableIteratorOptions {
  /**
   * Aborting it settles every pending `next()` at once with `signal.reason`,
   * closes the source and ends the iteration. The wrapper subscribes to it on
   * the first `next()`, not before, and unsubscribes on every terminal path.
   * @default undefined (the iteration can still be ended by `return()`)
   */
  signal?: AbortSignal | undefined;
  /**
   * Called (from a microtask) with what went wrong when closing the source:
   * its `return()` threw, rejected, or resolved to a non-object. The wrapper
   * never waits for the source's `return()`, so this is the only place such an
   * error can surface.
   * @default undefined (such errors are ignored)
   */
  onReturnError?: ((error: unknown) => void) | undefined;
}

/**
 * What {@link abortableIterator} returns: an async iterable iterator whose
 * `return()` and `throw()` always exist, and that `await using` disposes of.
 */
export interface AbortableIterator<T> extends AsyncIterableIterator<T>, AsyncDisposable {
  /**
   * Ends the iteration: settles waiting `next()` calls with `{ done: true }`
   * and calls the source's `return()` once, without waiting for it.
   * Resolves with `{ value, done: true }`.
   */
  return(value?: unknown): Promise<IteratorResult<T>>;
  /** Ends the iteration as `return()` does, then rejects with `error`. */
  throw(error?: unknown): Promise<IteratorResult<T>>;
  [Symbol.asyncIterator](): AbortableIterator<T>;
}

/**
 * How many `next()` calls may wait at once. One more rejects with an
 * {@link OverflowError}: a consumer that calls `next()` in a loop without
 * awaiting is a bug, and an unbounded queue would hide it as a leak
 * (the same cap as Repeater's).
 */
export const MAX_PENDING_NEXT_CALLS = 1024;

type Resolve = (value: IteratorResult<unknown>) => void;
type Reject = (reason: unknown) => void;
type AnyFunction = (...args: unknown[]) => unknown;

/**
 * Wraps an async or sync iterable in an async iterator that an `AbortSignal`
 * can end at once, even while the source's `next()` is pending forever.
 *
 * The source's iterator is acquired at once (as `for await` does), so a
 * throwing `[Symbol.asyncIterator]()` throws here. It is pulled one item at a
 * time: concurrent `next()` calls queue (at most
 * {@link MAX_PENDING_NEXT_CALLS}) and settle in order. A sync iterable is
 * iterated the way `for await` does it: promise values are awaited, and one
 * that rejects closes the source (the current spec, tc39/ecma262#2600).
 *
 * Guarantees:
 * - Abort rejects every pending `next()` with `signal.reason` at once (in the
 *   same task as the abort event), whatever the source is doing. Aborted while
 *   no `next()` is pending, the next call rejects with the reason; later calls
 *   return `{ done: true }`. An already-aborted signal rejects the first
 *   `next()` without pulling from the source.
 * - The source's `return()` is called exactly once when the iteration ends
 *   early: abort, `return()` (a `break`), `throw()`, or a sync source's
 *   rejected value. Never after it ended by itself (`done`) or failed (its
 *   `next()` threw or rejected), as `for await` does. It is not awaited: a
 *   `return()` that hangs cannot block the consumer, and its errors go to
 *   `onReturnError`, never in place of the abort reason.
 * - Nothing is pulled from the source once it is closed or the signal has
 *   aborted.
 * - The wrapper subscribes to the signal on the first `next()` (one that is
 *   never started holds nothing on the signal) and unsubscribes on every
 *   terminal path: done, source error, abort, `return()`, `throw()`. All
 *   leakproof subscriptions on a signal share one native `abort` listener.
 * - It never holds a value it has handed out, and once closed it holds neither
 *   the source nor the signal.
 * - `return()` and `throw()` settle at once and settle every waiting `next()`
 *   with `{ done: true }`, even while the source's `next()` hangs (an async
 *   generator's `return()` would queue behind it). One exception, the price
 *   of the signal-less fast path: without a signal, the one `next()` already
 *   waiting on the source settles when the source's `next()` does.
 *
 * Does not: cancel work the source is doing (pass the same signal to the
 * source if it can take one); forward `next(value)` arguments, or
 * `throw(error)` to the source (`throw()` closes the source with `return()`);
 * wait for the source's `return()` (consumers that must know when the source
 * has finished cleaning up should close it themselves).
 *
 * @param source An async iterable, or a sync iterable of values or promises.
 * @param options `signal` and `onReturnError`.
 * @returns An async iterable iterator that is also `AsyncDisposable`
 * (`await using`), disposing of which calls `return()`.
 * @throws {TypeError} `ERR_INVALID_ARG_TYPE` when `source` is not iterable,
 * `options` is not an object, `options.signal` is not an `AbortSignal` or
 * `options.onReturnError` is not a function; `ERR_INVALID_ARG_VALUE` when the
 * source's iterator method does not return an object. Whatever the source's
 * `[Symbol.asyncIterator]()` / `[Symbol.iterator]()` throws.
 *
 * @example
 * ```ts
 * import { abortableIterator } from 'leakproof';
 *
 * // Stops as soon as the client disconnects, even while `events` is idle.
 * try {
 *   for await (const event of abortableIterator(events, { signal: request.signal })) {
 *     response.write(`data: ${JSON.stringify(event)}\n\n`);
 *   }
 * } catch (error) {
 *   if (error !== request.signal.reason) throw error;
 * }
 * ```
 */
export function abortableIterator<T>(
  source: AsyncIterable<T> | Iterable<T | PromiseLike<T>>,
  options?: AbortableIteratorOptions,
): AbortableIterator<T> {
  const method = iteratorMethod(source, 'source');
  validateOptions(options, 'options');
  const signal = options?.signal;
  validateOptionalAbortSignal(signal, 'options.signal');
  const onReturnError = options?.onReturnError;
  validateOptionalFunction(onReturnError, 'options.onReturnError');
  return openIterator<T>(source, method, signal, onReturnError);
}

// ---------------------------------------------------------------------------
// Internal API shared with pump.ts (not exported from the package).

/** @internal The source's iterator method, validated as GetIterator(async) does. */
export interface IteratorMethod {
  readonly method: AnyFunction;
  readonly sync: boolean;
}

/**
 * @internal Reads `source[Symbol.asyncIterator]`, falling back to
 * `source[Symbol.iterator]`, and throws an `ERR_INVALID_ARG_TYPE` TypeError
 * naming `name` when neither is a method. Acquires nothing.
 */
export function iteratorMethod(source: unknown, name: string): IteratorMethod {
  if (source !== null && source !== undefined) {
    const asyncMethod: unknown = (source as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator];
    if (asyncMethod !== undefined && asyncMethod !== null) {
      if (typeof asyncMethod === 'function') return { method: asyncMethod as AnyFunction, sync: false };
    } else {
      const syncMethod: unknown = (source as { [Symbol.iterator]?: unknown })[Symbol.iterator];
      if (typeof syncMethod === 'function') return { method: syncMethod as AnyFunction, sync: true };
    }
  }
  throw invalidArgType(name, 'an async iterable or an iterable', source);
}

/** @internal Acquires the iterator and builds the wrapper; arguments already validated. */
export function openIterator<T>(
  source: unknown,
  { method, sync }: IteratorMethod,
  signal: AbortSignal | undefined,
  onReturnError: ((error: unknown) => void) | undefined,
): IteratorWrapper<T> {
  const iterator: unknown = method.call(source);
  if (iterator === null || (typeof iterator !== 'object' && typeof iterator !== 'function')) {
    throw invalidArgValue('source', `must return an iterator object from its iterator method`, iterator);
  }
  const next: unknown = (iterator as { next?: unknown }).next;
  if (typeof next !== 'function') {
    throw invalidArgValue('source', `must have an iterator with a next() method`, next);
  }
  return new IteratorWrapper<T>(iterator, next as AnyFunction, sync, signal, onReturnError);
}

/**
 * @internal Queues a request for the next item, exactly like `next()` but
 * settled through `resolve`/`reject` without a promise of our own (pump's
 * loop). Both may be called synchronously, from within this call.
 */
export let requestNext: (iterator: IteratorWrapper<unknown>, resolve: Resolve, reject: Reject) => void;

/**
 * @internal Registers `hook` to be called with the reason when the signal
 * aborts the iteration, before the pending requests are rejected. Dropped on
 * close.
 */
export let setAbortHook: (iterator: IteratorWrapper<unknown>, hook: (reason: unknown) => void) => void;

/** @internal Closes as `return()` does (the source's `return()` once, at most), without a promise. */
export let closeIterator: (iterator: IteratorWrapper<unknown>) => void;

// ---------------------------------------------------------------------------

/** Created: the source's iterator is acquired but not pulled; nothing is attached to the signal. */
const INITIAL = 0;
/** Started by the first `next()`: subscribed to the signal's abort hub (if there is a signal). */
const OPEN = 1;
/** Ended (done, source error, abort, `return()`, `throw()`): source and signal dropped. Terminal. */
const CLOSED = 2;


/**
 * The only object the outside world (the signal's abort hub, reactions on a
 * pending pull, a sync source's pending promise value) can reach of a
 * wrapper. `#close()` sets `owner` to null: a late delivery is dropped, a late
 * abort does nothing, and a source that never settles pins only this.
 * Its functions are made by `IteratorWrapper.#bind`, which captures nothing
 * but the link.
 */
class Link implements AbortSubscriber {
  owner: IteratorWrapper<unknown> | null;
  /** Reactions of a pull made for a queued request. */
  fulfilled: (result: unknown) => void = ignore;
  rejected: (error: unknown) => void = ignore;
  /** Reactions of a direct pull, whose derived promise is the consumer's. */
  directFulfilled: (result: unknown) => unknown = ignore;
  directRejected: (error: unknown) => unknown = ignore;

  constructor(owner: IteratorWrapper<unknown>) {
    this.owner = owner;
  }

  /** Called by the signal's shared abort hub (internal/abort-hub.ts): no closure needed. */
  abort(reason: unknown): void {
    const owner = this.owner;
    if (owner !== null) abortFromSignal(owner, reason);
  }
}

let abortFromSignal: (owner: IteratorWrapper<unknown>, reason: unknown) => void;
let deliverAdopted: (owner: IteratorWrapper<unknown>, value: unknown, done: boolean) => void;
let failAdopted: (owner: IteratorWrapper<unknown>, error: unknown, done: boolean) => void;

/** @internal Exported for pump.ts; users get it typed as {@link AbortableIterator}. */
export class IteratorWrapper<T> implements AbortableIterator<T> {
  // Fixed at construction; all dropped by #close().
  #iterator: object | null;
  #nextMethod: AnyFunction | null;
  readonly #sync: boolean;
  #signal: AbortSignal | undefined;
  #onReturnError: ((error: unknown) => void) | undefined;
  readonly #link: Link;

  // Live state.
  #state = INITIAL;
  /** The signal's shared abort hub while we are subscribed to it. */
  #hub: AbortHub | null = null;
  /** A pull is in flight (its result will come through the link). */
  #pulling = false;
  /** Aborted while no `next()` was waiting: the next request rejects with this. */
  #hasAbortReason = false;
  #abortReason: unknown = undefined;
  #abortHook: ((reason: unknown) => void) | null = null;

  // Waiting requests, oldest first. The head (the one the in-flight pull is
  // for) lives in two fields, so the usual single pending `next()` allocates no
  // array; more are kept as [resolve, reject, resolve, reject, ...].
  #headResolve: Resolve | null = null;
  #headReject: Reject | null = null;
  #waiting: Array<Resolve | Reject> | null = null;

  constructor(
    iterator: object,
    nextMethod: AnyFunction,
    sync: boolean,
    signal: AbortSignal | undefined,
    onReturnError: ((error: unknown) => void) | undefined,
  ) {
    // Installed on first construction, not in a static block, so that the
    // module has no top-level side effect and the class tree-shakes.
    if (requestNext === undefined) IteratorWrapper.#install();
    this.#iterator = iterator;
    this.#nextMethod = nextMethod;
    this.#sync = sync;
    this.#signal = signal;
    this.#onReturnError = onReturnError;
    const link = new Link(this as IteratorWrapper<unknown>);
    IteratorWrapper.#bind(link);
    this.#link = link;
  }

  // Created here, in the class body, so they may call private methods; they
  // capture `link` and nothing else.
  static #bind(link: Link): void {
    link.fulfilled = (result) => {
      const owner = link.owner;
      if (owner !== null) owner.#onAsyncResult(result);
    };
    link.rejected = (error) => {
      const owner = link.owner;
      if (owner !== null) owner.#fail(error, false);
    };
    link.directFulfilled = (result) => {
      const owner = link.owner;
      // Closed while this pull was in flight: the item is dropped.
      return owner === null ? doneResult() : owner.#onDirectResult(result);
    };
    link.directRejected = (error) => {
      const owner = link.owner;
      if (owner === null) return doneResult();
      owner.#pulling = false;
      owner.#close(false);
      throw error;
    };
  }

  // V8 keeps a class's hidden classes (the maps its instances pass through as
  // their fields are added) only while some instance uses them: transitions
  // are weak. A process that creates wrappers now and then, with a full GC
  // while none is alive, loses them each time, and every optimized function
  // that checked them is deoptimized and optimized again. Measured on Node 20
  // (one wrapper at a time, a full GC between): per-item cost doubled after a
  // few such cycles and stayed there. One idle wrapper (never started: no
  // source, no signal), held by the class itself, keeps them alive.
  static #idle: IteratorWrapper<never> | undefined;

  static #install(): void {
    requestNext = (it, resolve, reject) => it.#request(resolve, reject);
    setAbortHook = (it, hook) => {
      if (it.#state !== CLOSED) it.#abortHook = hook;
    };
    closeIterator = (it) => {
      it.#clearAbortReason();
      it.#close(true);
    };
    abortFromSignal = (it, reason) => it.#abort(reason);
    deliverAdopted = (it, value, done) => it.#deliver({ value, done } as IteratorResult<unknown>, done);
    failAdopted = (it, error, done) => it.#fail(error, !done);
    IteratorWrapper.#idle = new IteratorWrapper<never>({}, doneResult, false, undefined, undefined);
  }

  next(): Promise<IteratorResult<T>> {
    // Fast path, without a signal (nothing can abort a pull) and with no pull
    // in flight: the consumer's promise is the one `then` derives anyway, so
    // an item costs no promise of ours.
    if (this.#signal === undefined && !this.#pulling && !this.#sync && this.#state !== CLOSED) {
      this.#state = OPEN;
      return this.#pullDirect() as Promise<IteratorResult<T>>;
    }
    const promise = newPromise<IteratorResult<T>>();
    const resolve = lastResolve();
    const reject = lastReject();
    clearResolvers();
    this.#request(resolve, reject);
    return promise;
  }

  /**
   * Closes the iteration: settles pending `next()` calls with `{ done: true }`
   * and calls the source's `return()` once, without waiting for it.
   */
  async return(value?: unknown): Promise<IteratorResult<T>> {
    this.#clearAbortReason();
    this.#close(true);
    return { value: (await value) as never, done: true };
  }

  /** Closes the iteration as `return()` does, then rejects with `error`. */
  async throw(error?: unknown): Promise<IteratorResult<T>> {
    this.#clearAbortReason();
    this.#close(true);
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** `await using` support: the same as `return()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }

  #request(resolve: Resolve, reject: Reject): void {
    if (this.#state !== OPEN && !this.#start(resolve, reject)) return;
    if (this.#headResolve === null) {
      this.#headResolve = resolve;
      this.#headReject = reject;
    } else {
      const waiting = (this.#waiting ??= []);
      if (waiting.length >= 2 * (MAX_PENDING_NEXT_CALLS - 1)) {
        reject(
          new OverflowError(
            `Too many pending next() calls: at most ${MAX_PENDING_NEXT_CALLS} may wait at once; await each one`,
          ),
        );
        return;
      }
      waiting.push(resolve, reject);
    }
    if (!this.#pulling) this.#pull();
  }

  // The slow path of #request: returns true once the iteration is open.
  #start(resolve: Resolve, reject: Reject): boolean {
    if (this.#state === CLOSED) {
      if (this.#hasAbortReason) {
        const reason = this.#abortReason;
        this.#clearAbortReason();
        reject(reason);
      } else {
        resolve({ value: undefined, done: true });
      }
      return false;
    }
    const signal = this.#signal;
    if (signal !== undefined) {
      if (signal.aborted) {
        // Attach nothing, pull nothing: reject this request, close the source.
        this.#state = OPEN;
        this.#headResolve = resolve;
        this.#headReject = reject;
        this.#abort(signal.reason);
        return false;
      }
      this.#hub = joinAbortHub(signal, this.#link);
    }
    this.#state = OPEN;
    return true;
  }

  #pull(): void {
    const signal = this.#signal;
    // The hub closes us on abort; this covers code that runs during the abort
    // event before the hub's listener (an earlier listener calling next()).
    if (signal !== undefined && signal.aborted) {
      this.#abort(signal.reason);
      return;
    }
    this.#pulling = true;
    if (this.#sync) {
      this.#pullSync();
      return;
    }
    const link = this.#link;
    try {
      // Adopt the result as `await` does: a non-promise counts as settled.
      Promise.resolve(this.#nextMethod!.call(this.#iterator)).then(link.fulfilled, link.rejected);
    } catch (error) {
      if (this.#state === OPEN) this.#fail(error, false);
    }
  }

  #pullDirect(): Promise<IteratorResult<unknown>> {
    this.#pulling = true;
    const link = this.#link;
    try {
      return Promise.resolve(this.#nextMethod!.call(this.#iterator)).then(
        link.directFulfilled,
        link.directRejected,
      ) as Promise<IteratorResult<unknown>>;
    } catch (error) {
      if (this.#state === OPEN) {
        this.#pulling = false;
        this.#close(false);
      }
      return Promise.reject(error);
    }
  }

  #onDirectResult(result: unknown): IteratorResult<unknown> {
    this.#pulling = false;
    let done: boolean;
    try {
      if (!isObject(result)) throw notAnObject(result);
      done = Boolean((result as IteratorResult<unknown>).done);
    } catch (error) {
      this.#close(false);
      throw error;
    }
    if (done) this.#close(false);
    // Requests queued behind this pull (concurrent next() calls).
    else if (this.#headResolve !== null) this.#pull();
    return result as IteratorResult<unknown>;
  }

  // One step of CreateAsyncFromSyncIterator's next(), without its promises
  // when the value is not a thenable.
  #pullSync(): void {
    let result: unknown;
    try {
      result = this.#nextMethod!.call(this.#iterator);
    } catch (error) {
      if (this.#state === OPEN) this.#fail(error, false);
      return;
    }
    // Closed from inside the source's next() (a re-entrant return() or abort).
    if (this.#state !== OPEN) return;
    if (!isObject(result)) {
      this.#fail(notAnObject(result), false);
      return;
    }
    let done: boolean;
    let value: unknown;
    try {
      done = Boolean((result as IteratorResult<unknown>).done);
      value = (result as IteratorResult<unknown>).value;
    } catch (error) {
      this.#fail(error, false);
      return;
    }
    if (isObject(value)) {
      let then: unknown;
      try {
        then = (value as PromiseLike<unknown>).then;
      } catch (error) {
        // PromiseResolve(value) threw: close unless done, as for a rejection.
        this.#fail(error, !done);
        return;
      }
      if (typeof then === 'function') {
        adopt(this.#link, value, then as AnyFunction, done);
        return;
      }
    }
    // The awaited value is the value itself: hand the source's result on.
    this.#deliver(result as IteratorResult<unknown>, done);
  }

  #onAsyncResult(result: unknown): void {
    if (!isObject(result)) {
      this.#fail(notAnObject(result), false);
      return;
    }
    let done: boolean;
    try {
      done = Boolean((result as IteratorResult<unknown>).done);
    } catch (error) {
      this.#fail(error, false);
      return;
    }
    this.#deliver(result as IteratorResult<unknown>, done);
  }

  #deliver(result: IteratorResult<unknown>, done: boolean): void {
    const resolve = this.#headResolve!;
    this.#shift();
    this.#pulling = false;
    // Done: close (the source has finished: no return()) before settling, so
    // the consumer's reaction finds us released.
    if (done) this.#close(false);
    resolve(result);
    // Serve the next waiting request, unless one arrived during resolve() and
    // already started a pull, or resolve() closed us.
    if (this.#headResolve !== null && !this.#pulling && this.#state === OPEN) this.#pull();
  }

  // The source failed (its next() threw or rejected, or a sync source's value
  // rejected): reject the head, close the rest. `closeSource` is true only for
  // the rejected value of a sync source, which CreateAsyncFromSyncIterator closes.
  #fail(error: unknown, closeSource: boolean): void {
    const reject = this.#headReject!;
    this.#shift();
    this.#pulling = false;
    this.#close(closeSource);
    reject(error);
  }

  #abort(reason: unknown): void {
    if (this.#state === CLOSED) return;
    const hook = this.#abortHook;
    const headReject = this.#headReject;
    const waiting = this.#waiting;
    this.#headResolve = this.#headReject = null;
    this.#waiting = null;
    if (headReject === null) {
      // Nobody is waiting: the next next() gets the reason.
      this.#hasAbortReason = true;
      this.#abortReason = reason;
    }
    this.#close(true);
    if (hook !== null) hook(reason);
    if (headReject !== null) headReject(reason);
    if (waiting !== null) {
      for (let i = 1; i < waiting.length; i += 2) (waiting[i] as Reject)(reason);
    }
  }

  // The one release path. Idempotent.
  #close(callReturn: boolean): void {
    if (this.#state === CLOSED) return;
    this.#state = CLOSED;
    this.#pulling = false;
    this.#link.owner = null;
    const hub = this.#hub;
    if (hub !== null) {
      this.#hub = null;
      leaveAbortHub(hub, this.#link);
    }
    const iterator = this.#iterator!;
    const onReturnError = this.#onReturnError;
    this.#iterator = this.#nextMethod = null;
    this.#signal = this.#onReturnError = undefined;
    this.#abortHook = null;
    const headResolve = this.#headResolve;
    const waiting = this.#waiting;
    this.#headResolve = this.#headReject = null;
    this.#waiting = null;
    if (callReturn) closeSource(iterator, this.#sync, onReturnError);
    if (headResolve !== null) headResolve({ value: undefined, done: true });
    if (waiting !== null) {
      for (let i = 0; i < waiting.length; i += 2) (waiting[i] as Resolve)({ value: undefined, done: true });
    }
  }

  #shift(): void {
    const waiting = this.#waiting;
    if (waiting === null || waiting.length === 0) {
      this.#headResolve = this.#headReject = null;
    } else {
      this.#headResolve = waiting.shift() as Resolve;
      this.#headReject = waiting.shift() as Reject;
    }
  }

  #clearAbortReason(): void {
    this.#hasAbortReason = false;
    this.#abortReason = undefined;
  }
}

function doneResult(): IteratorResult<unknown> {
  return { value: undefined, done: true };
}

function isObject(value: unknown): value is object {
  return value !== null && (typeof value === 'object' || typeof value === 'function');
}

function notAnObject(result: unknown): TypeError {
  return new TypeError(`Iterator result ${describeReceived(result)} is not an object`);
}

// A sync source yielded a thenable: wait for it as `for await` does. The
// reactions reach the wrapper only through the link, and hold `done`, never
// the value's eventual outcome beyond the call.
let adoptValue: unknown;
let adoptThen: AnyFunction | undefined;
function adoptExecutor(resolve: (value: unknown) => void, reject: (reason: unknown) => void): void {
  const value = adoptValue;
  const then = adoptThen!;
  adoptValue = adoptThen = undefined;
  then.call(value, resolve, reject);
}

function adopt(link: Link, value: unknown, then: AnyFunction, done: boolean): void {
  adoptValue = value;
  adoptThen = then;
  let promise: Promise<unknown>;
  try {
    promise = new Promise(adoptExecutor);
  } finally {
    adoptValue = adoptThen = undefined;
  }
  promise.then(
    (awaited) => {
      const owner = link.owner;
      if (owner !== null) deliverAdopted(owner, awaited, done);
    },
    (error: unknown) => {
      const owner = link.owner;
      if (owner !== null) failAdopted(owner, error, done);
    },
  );
}

// IteratorClose / AsyncIteratorClose without awaiting: call `return()` once,
// report anything that goes wrong to `onReturnError` from a microtask (never
// synchronously, so a throwing handler cannot break our state).
function closeSource(iterator: object, sync: boolean, onReturnError: ((error: unknown) => void) | undefined): void {
  let result: unknown;
  try {
    const method: unknown = (iterator as { return?: unknown }).return;
    if (method === undefined || method === null) return;
    if (typeof method !== 'function') {
      throw new TypeError(`The source iterator's return property is not a method: ${describeReceived(method)}`);
    }
    result = method.call(iterator);
  } catch (error) {
    if (onReturnError !== undefined) queueMicrotask(() => onReturnError(error));
    return;
  }
  if (sync) {
    if (!isObject(result) && onReturnError !== undefined) {
      const error = notAnObject(result);
      queueMicrotask(() => onReturnError(error));
    }
    return;
  }
  let promise: Promise<unknown>;
  try {
    promise = Promise.resolve(result);
  } catch (error) {
    if (onReturnError !== undefined) queueMicrotask(() => onReturnError(error));
    return;
  }
  if (onReturnError === undefined) promise.then(undefined, ignore);
  else promise.then(returnResultChecker(onReturnError), onReturnError);
}

function returnResultChecker(onReturnError: (error: unknown) => void): (result: unknown) => void {
  return (result) => {
    if (!isObject(result)) onReturnError(notAnObject(result));
  };
}

function ignore(): void {}
