// GC-driven regression tests for memoize (issue 4 §2; memoizeAsync's are in
// memoize-async.gc.test.ts).
// Every collectability check has a positive control: the same scenario on a
// leaky implementation people use (or the naive pattern) must fail with
// LeakError; and a counter-test: what must stay cached stays alive.
import { LRUCache } from 'lru-cache';
import { LRUCacheWithDelete } from 'mnemonist';
import QuickLRU from 'quick-lru';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { memoize } from '../src/memoize.js';
import {
  expectCollectable,
  expectFlatHeap,
  expectRetained,
  gcUntil,
  LeakError,
  type Tracker,
  track,
} from '../src/testing/index.js';
import { type Payload, payload } from './helpers/payload.js';

afterEach(() => {
  vi.useRealTimers();
});

/** A function to memoize that tracks each result it creates. */
function producer(tracker: Tracker): (id: unknown) => Payload {
  return (id) => {
    const value = payload(id);
    tracker.add(value, `value ${String(id)}`);
    return value;
  };
}

type Memo = ((id: unknown) => unknown) & { delete?: (id: unknown) => unknown; clear?: () => void };

/** The naive memoizer (lodash's default, memoize, fast-memoize): an unbounded Map. */
function mapMemoize(fn: (id: unknown) => unknown): Memo {
  const cache = new Map<unknown, unknown>();
  const memo = (id: unknown): unknown => {
    if (cache.has(id)) return cache.get(id);
    const value = fn(id);
    cache.set(id, value);
    return value;
  };
  return memo;
}

/** A memoizer over mnemonist's LRUCacheWithDelete: its delete and clear keep the values. */
function mnemonistMemoize(fn: (id: unknown) => unknown, max: number): Memo {
  const cache = new LRUCacheWithDelete<unknown, unknown>(max);
  const memo: Memo = (id: unknown): unknown => {
    if (cache.has(id)) return cache.get(id);
    const value = fn(id);
    cache.set(id, value);
    return value;
  };
  memo.delete = (id) => cache.delete(id);
  memo.clear = () => cache.clear();
  return memo;
}

function fill(memo: Memo, from: number, to: number): void {
  for (let i = from; i < to; i++) memo(i);
}

describe('memoize', () => {
  describe('leaks', () => {
    it('collects evicted results; the most recent max stay cached (control: an unbounded Map)', async () => {
      for (const weak of [false, true]) {
        const evicted = track();
        const live = track();
        let calls = 0;
        const m = memoize(
          (id: number) => {
            calls++;
            const value = payload(id);
            (id < 190 ? evicted : live).add(value, `value ${id}`);
            return value;
          },
          { max: 10, weak },
        );
        fill(m as Memo, 0, 200);
        await expectCollectable(evicted);
        await expectRetained(live);
        fill(m as Memo, 190, 200);
        expect(calls).toBe(200);
      }

      const control = track();
      const naive = mapMemoize(producer(control));
      fill(naive, 0, 200);
      await expect(expectCollectable(control)).rejects.toBeInstanceOf(LeakError);
      naive(0); // alive until here
    });

    it('collects deleted and cleared results (control: mnemonist keeps them)', async () => {
      for (const options of [{}, { weak: true }, { key: (id: unknown) => id }]) {
        const deleted = track();
        const m = memoize(producer(deleted), options);
        fill(m as Memo, 0, 100);
        for (let i = 0; i < 50; i++) m.delete(i);
        m.clear();
        await expectCollectable(deleted);
        expect(m.stats.size).toBe(0);
      }

      for (const drop of ['delete', 'clear'] as const) {
        const control = track();
        const memo = mnemonistMemoize(producer(control), 100);
        fill(memo, 0, 100);
        if (drop === 'delete') for (let i = 0; i < 100; i++) memo.delete!(i);
        else memo.clear!();
        await expect(expectCollectable(control)).rejects.toBeInstanceOf(LeakError);
      }
    });

    it('collects expired results, by its timer, untouched (control: lru-cache ttl without autopurge keeps them)', async () => {
      vi.useFakeTimers();
      for (const weak of [false, true]) {
        const expired = track();
        const live = track();
        const m = memoize(
          (id: number) => {
            const value = payload(id);
            (id < 100 ? expired : live).add(value, `value ${id}`);
            return value;
          },
          { ttl: 1000, weak },
        );
        fill(m as Memo, 0, 100);
        vi.advanceTimersByTime(500);
        fill(m as Memo, 100, 110);
        vi.advanceTimersByTime(500); // the first 100 are due; nothing reads the cache
        await expectCollectable(expired);
        await expectRetained(live);
        expect(m.stats.size).toBe(10);
      }

      const control = track();
      const cache = new LRUCache<number, object>({ max: 1000, ttl: 1000 });
      const memo = (id: number): object => {
        const hit = cache.get(id);
        if (hit !== undefined) return hit;
        const value = payload(id);
        control.add(value);
        cache.set(id, value);
        return value;
      };
      for (let i = 0; i < 100; i++) memo(i);
      vi.advanceTimersByTime(5000);
      await expect(expectCollectable(control)).rejects.toBeInstanceOf(LeakError);
    });

    it('collects a result overwritten by a re-entrant call (control: quick-lru keeps it in its old generation)', async () => {
      for (const weak of [false, true]) {
        const replaced = track();
        const key = {};
        let depth = 0;
        const m: (k: object) => Payload = memoize(
          (k: object) => {
            const level = ++depth;
            if (level === 1) m(k); // stores the inner result first
            const value = payload(level);
            if (level === 2) replaced.add(value, 'inner result');
            return value;
          },
          { weak },
        );
        m(key);
        await expectCollectable(replaced);
        expect(m(key).id).toBe(1); // the outer result is the one cached
      }

      const control = track();
      const cache = new QuickLRU<unknown, Payload>({ maxSize: 2 });
      let depth = 0;
      const quick = (k: unknown): Payload => {
        if (cache.has(k)) return cache.get(k)!;
        const level = ++depth;
        if (k !== 'x' && level === 2) quick(k);
        const value = payload(level);
        if (level === 3) control.add(value, 'inner result');
        cache.set(k, value);
        return value;
      };
      quick('x');
      quick('k');
      await expect(expectCollectable(control)).rejects.toBeInstanceOf(LeakError);
    });
  });

  describe('leaks (the strong key trie)', () => {
    /**
     * Calls `m(first, second)` with fresh object arguments `count` times and
     * tracks the arguments (a frame of its own: nothing of the loop survives).
     */
    function callWithObjects(m: (a: object, b: object) => unknown, count: number, args: Tracker, from = 0): void {
      for (let i = from; i < from + count; i++) {
        const a = { tag: `a${i}` };
        const b = { tag: `b${i}` };
        args.add(a, `first argument ${i}`);
        args.add(b, `second argument ${i}`);
        m(a, b);
      }
    }

    /** A trie of Maps that removes the leaf's entry but never its emptied nodes. */
    function unprunedTrieMemoize(fn: (a: object, b: object) => unknown, max: number): (a: object, b: object) => unknown {
      const root = new Map<object, Map<object, unknown>>();
      const order: Array<[object, object]> = [];
      return (a, b) => {
        let inner = root.get(a);
        if (inner?.has(b)) return inner.get(b);
        const value = fn(a, b);
        if (inner === undefined) root.set(a, (inner = new Map()));
        inner.set(b, value);
        order.push([a, b]);
        if (order.length > max) {
          const [oldA, oldB] = order.shift()!;
          root.get(oldA)!.delete(oldB); // the emptied inner Map stays, keyed by oldA
        }
        return value;
      };
    }

    it('releases the arguments of evicted entries: the trie shrinks with them (control: a trie that never prunes)', async () => {
      const args = track();
      const m = memoize((a: object, b: object) => [a, b].length, { max: 10 });
      callWithObjects(m, 200, args);
      // The last 10 entries (20 arguments) stay cached, so they stay alive.
      await expectCollectable(args, { atLeast: 380 });
      expect(m.stats.size).toBe(10);

      const control = track();
      const theirs = unprunedTrieMemoize((a, b) => [a, b].length, 10);
      callWithObjects(theirs, 200, control);
      await expect(expectCollectable(control, { atLeast: 380 })).rejects.toBeInstanceOf(LeakError);
    });
  });

  describe('leaks (weak: true)', () => {
    /** Caches `count` entries whose results reference their key objects; tracks both. */
    function fillWeak(
      m: (key: object, n: number) => unknown,
      count: number,
      keys: Tracker,
      values: Tracker,
      keep?: object[],
    ): void {
      for (let i = 0; i < count; i++) {
        const key = { i };
        keys.add(key, `key ${i}`);
        const value = m(key, i) as object;
        values.add(value, `value ${i}`);
        keep?.push(key);
      }
    }

    it('collects an entry with its key object, even when the result references the key (control: LRU + WeakMap)', async () => {
      const keys = track();
      const values = track();
      const m = memoize((key: object, n: number) => ({ key, n, data: new Array<number>(256).fill(n) }), {
        weak: true,
        max: Infinity,
      });
      fillWeak(m, 200, keys, values);
      await expectCollectable(keys);
      await expectCollectable(values);
      // The entries' tokens leave the count too, through the finalizer.
      expect(await gcUntil(() => m.stats.size === 0)).toBe(true);

      // Every shape of path: the object alone, after a primitive, and before
      // a second object that stays alive (the result still references the
      // dropped one).
      const liveKey = {};
      const shapes = [
        memoize((key: object) => ({ key }), { weak: true }),
        memoize((n: number, key: object) => ({ key, n }), { weak: true }),
        memoize((key: object, other: object, n: number) => ({ key, other, n }), { weak: true }),
      ] as const;
      const calls: Array<(key: object, n: number) => unknown> = [
        (key) => shapes[0](key),
        (key, n) => shapes[1](n % 3, key),
        (key, n) => shapes[2](key, liveKey, n % 3),
      ];
      for (const call of calls) {
        const shapeKeys = track();
        const shapeValues = track();
        fillWeak(call, 100, shapeKeys, shapeValues);
        await expectCollectable(shapeKeys);
        await expectCollectable(shapeValues);
      }
      for (const shape of shapes) expect(await gcUntil(() => shape.stats.size === 0)).toBe(true);

      // The ephemeron pitfall: a strong LRU holding results next to the
      // WeakMap keeps every key alive through its own result.
      const controlKeys = track();
      const controlValues = track();
      const lru = new LRUCache<object, object>({ max: 1000 });
      const index = new WeakMap<object, object>();
      const leaky = (key: object, n: number): unknown => {
        const hit = index.get(key);
        if (hit !== undefined) return hit;
        const value = { key, n };
        index.set(key, value);
        lru.set(key, value);
        return value;
      };
      fillWeak(leaky, 200, controlKeys, controlValues);
      await expect(expectCollectable(controlKeys)).rejects.toBeInstanceOf(LeakError);
    });

    it('keeps live keys cached while dropped ones go (counter-test)', async () => {
      const keys = track();
      const values = track();
      const liveKeys = track();
      const liveValues = track();
      let calls = 0;
      const m = memoize(
        (key: object, n: number) => {
          calls++;
          return { key, n };
        },
        { weak: true },
      );
      const kept: object[] = [];
      fillWeak(m, 100, keys, values);
      fillWeak(m, 20, liveKeys, liveValues, kept);
      await expectCollectable(values);
      await expectRetained(liveValues);
      expect(await gcUntil(() => m.stats.size === 20)).toBe(true);
      kept.forEach((key, i) => m(key, i));
      expect(calls).toBe(120);
      expect(m.stats.hits).toBe(20);
    });

    it('releases the side table of entries whose keys died: flat heap (control: a Map of WeakMaps, as Deno memoize)', async () => {
      // Primitive arguments before the object build Map levels of the trie;
      // they must go with the entry. 10,000 distinct prefixes; our residue
      // was ~0 B/iteration, the unpruned Map ~150 B/iteration. 32 B leaves
      // room for noise and none for a per-prefix record.
      const m = memoize((prefix: string, key: object) => ({ prefix, key }), { weak: true, max: Infinity });
      await expectFlatHeap((i) => m(`prefix ${i}`, {}), { iterations: 10_000, maxBytesPerIteration: 32 });
      expect(await gcUntil(() => m.stats.size === 0)).toBe(true);

      const side = new Map<string, WeakMap<object, unknown>>();
      const deno = (prefix: string, key: object): unknown => {
        let level = side.get(prefix);
        if (level === undefined) side.set(prefix, (level = new WeakMap()));
        const value = { prefix, key };
        level.set(key, value);
        return value;
      };
      await expect(
        expectFlatHeap((i) => deno(`prefix ${i}`, {}), { iterations: 10_000, maxBytesPerIteration: 32 }),
      ).rejects.toBeInstanceOf(LeakError);
    });

    it('lets a dropped cache go with its results while the key objects live (control: a module-level WeakMap)', async () => {
      const keys: object[] = Array.from({ length: 50 }, (_, i) => ({ i }));
      const values = track();
      const caches = track();
      (function build() {
        const m = memoize((key: object, extra: string) => ({ key, extra }), { weak: true });
        for (const key of keys) values.add(m(key, 'x') as object);
        caches.add(m, 'memoized');
      })();
      await expectCollectable(caches);
      await expectCollectable(values);

      // A memoizer sharing one WeakMap across its lifetime keeps the results
      // as long as the keys live.
      const shared = new WeakMap<object, object>();
      const controlValues = track();
      (function build() {
        for (const key of keys) {
          const value = { key };
          shared.set(key, value);
          controlValues.add(value);
        }
      })();
      await expect(expectCollectable(controlValues)).rejects.toBeInstanceOf(LeakError);
      expect(keys).toHaveLength(50);
    });
  });
});
