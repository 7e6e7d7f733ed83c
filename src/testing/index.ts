export { collectGarbage, gcUntil } from './gc.js';
export type { CollectGarbageOptions, GcUntilOptions } from './gc.js';
export { track, Tracker } from './track.js';
export { expectCollectable, expectRetained } from './expect-collectable.js';
export type { ExpectCollectableOptions, ExpectRetainedOptions, Factory } from './expect-collectable.js';
export { measureHeapSlope, expectFlatHeap, retainedBytes } from './heap.js';
export type { HeapSlope, HeapSlopeOptions, ExpectFlatHeapOptions } from './heap.js';
export { listenerCount } from './listener-count.js';
export { LeakError, CollectedError, GcUnavailableError } from './errors.js';
