// Case study 5: the growing memo object.
//
// Symptom: a memoized lookup keyed by request data (user ids, URLs, query
// strings) makes the heap grow linearly with the number of distinct keys ever
// seen, until the process runs out of memory; restarts "fix" it.
// Cause: `const cache = new Map(); (k) => cache.has(k) ? cache.get(k) : ...`
// (the body of `_.memoize`, p-memoize, memoizee and fast-memoize by default)
// never drops an entry, so every key and every result stays reachable for as
// long as the memoized function lives, usually the whole process.
// Fix: `memoize(fn, { max })`, a bounded LRU (1,000 entries by default).
//
// Measured as a heap slope (bytes retained per call, least squares over
// samples taken after full GCs), with distinct keys on every call.
//
// Refs: leakproof issue 4 (memoize) and issue 5 (section 3, case 5).

import { describe, expect, it } from 'vitest';
import { memoize } from '../../src/memoize.js';
import {
  expectCollectable,
  expectFlatHeap,
  expectRetained,
  LeakError,
  measureHeapSlope,
  track,
  type Tracker,
} from '../../src/testing/index.js';

/** A rendered fragment: the kind of result people memoize (~0.7 KB here). */
interface Fragment {
  key: string;
  cells: number[];
}

function render(key: string): Fragment {
  return { key, cells: new Array<number>(64).fill(key.length) };
}

/** The memoizer everybody writes first. */
function naiveMemoize<K, V>(fn: (key: K) => V): (key: K) => V {
  const cache = new Map<K, V>();
  return (key) => {
    if (cache.has(key)) return cache.get(key)!;
    const value = fn(key);
    cache.set(key, value);
    return value;
  };
}

const ITERATIONS = 20_000;

/**
 * The bound for the bounded memoizers. Each distinct key costs the naive cache
 * its key string, a Map entry and the result: about 675 B per call, measured
 * on Node 20, 22 and 24 (the positive control below asserts > 320 B). A
 * bounded cache, once full (the default warm-up is 2,000 calls, more than
 * either `max` here), only replaces entries, so its true slope is 0; the fit
 * sees GC noise, measured at -6 to +2 B per call over 20,000 calls. 32 B/call
 * sits well above that noise and twenty times below the naive cache's cost.
 */
const MAX_BYTES_PER_CALL = 32;

/** Distinct on every call: `user:0`, `user:1`, ... */
function keyOf(i: number): string {
  return `user:${i}`;
}

describe('the growing memo object (memoize keeps a long-running lookup bounded)', () => {
  describe('leaks', () => {
    it('positive control: an unbounded Map memoizer grows by hundreds of bytes per distinct key', async () => {
      const lookup = naiveMemoize(render);
      const { bytesPerIteration } = await measureHeapSlope((i) => lookup(keyOf(i)), { iterations: ITERATIONS });
      // At least the result's cells array (64 doubles or SMIs: > 256 B) per key.
      expect(bytesPerIteration).toBeGreaterThan(10 * MAX_BYTES_PER_CALL);
      const fresh = naiveMemoize(render);
      const error = await expectFlatHeap((i) => fresh(keyOf(i)), {
        iterations: ITERATIONS,
        maxBytesPerIteration: MAX_BYTES_PER_CALL,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LeakError);
    });

    it('keeps the heap flat with memoize({ max: 100 }) over 20,000 distinct keys', async () => {
      const lookup = memoize(render, { max: 100 });
      const { bytesPerIteration } = await expectFlatHeap((i) => lookup(keyOf(i)), {
        iterations: ITERATIONS,
        maxBytesPerIteration: MAX_BYTES_PER_CALL,
      });
      expect(bytesPerIteration).toBeLessThan(MAX_BYTES_PER_CALL);
      expect(lookup.stats.size).toBe(100);
    });

    it('keeps the heap flat with memoize() and its default bound (1,000)', async () => {
      const lookup = memoize(render);
      await expectFlatHeap((i) => lookup(keyOf(i)), {
        iterations: ITERATIONS,
        maxBytesPerIteration: MAX_BYTES_PER_CALL,
      });
      expect(lookup.stats.size).toBe(1000);
    });
  });

  describe('cleanup', () => {
    it('keeps the latest max results cached and alive, and releases them once evicted (counter-test)', async () => {
      const results = track();
      const lookup = memoize(trackingRender(results), { max: 100 });
      fill(lookup, 0, 100);
      expect(results.size).toBe(100);
      // All 100 fit: the cache must keep every one of them, and answer from it.
      await expectRetained(results);
      fill(lookup, 0, 100);
      expect(lookup.stats).toEqual({ hits: 100, misses: 100, size: 100 });
      // 100 newer keys push every one of them out.
      fill(lookup, 100, 200);
      expect(lookup.has(keyOf(0))).toBe(false);
      expect(lookup.stats.size).toBe(100);
      await expectCollectable(results, { atLeast: 100 });
    });
  });
});

/** `render`, tracking the results of the first 100 keys. Module-level: captures only the tracker. */
function trackingRender(tracker: Tracker): (key: string) => Fragment {
  return (key) => {
    const fragment = render(key);
    if (tracker.size < 100) tracker.add(fragment, key);
    return fragment;
  };
}

function fill(lookup: (key: string) => Fragment, from: number, to: number): void {
  for (let i = from; i < to; i++) lookup(keyOf(i));
}
