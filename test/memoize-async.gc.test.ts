// GC-driven regression tests for memoizeAsync (issue 4 §3). Every
// collectability check has a positive control: the same scenario on a leaky
// implementation people use (p-memoize, an unbounded Map of promises, an LRU
// whose delete keeps the value) must fail with LeakError; and a counter-test:
// what must stay cached stays alive.
import { setMaxListeners } from 'node:events';
import { LRUCache } from 'lru-cache';
import { LRUCacheWithDelete } from 'mnemonist';
import pMemoize, { pMemoizeClear } from 'p-memoize';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type MemoizeAsyncContext, memoizeAsync } from '../src/memoize-async.js';
import { expectCollectable, expectRetained, LeakError, listenerCount, type Tracker, track } from '../src/testing/index.js';
import { type Payload, payload } from './helpers/payload.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('memoizeAsync', () => {
  describe('leaks', () => {
    function asyncProducer(tracker: Tracker, live?: Tracker, liveFrom = Infinity) {
      return async (id: number, _ctx: MemoizeAsyncContext): Promise<Payload> => {
        const value = payload(id);
        (id >= liveFrom ? live! : tracker).add(value, `value ${id}`);
        return value;
      };
    }

    async function fillAsync(get: (id: number) => Promise<unknown>, from: number, to: number): Promise<void> {
      for (let i = from; i < to; i++) await get(i);
    }

    it('collects evicted values; the most recent max stay cached (control: p-memoize, unbounded)', async () => {
      const evicted = track();
      const live = track();
      const get = memoizeAsync(asyncProducer(evicted, live, 190), { max: 10 });
      await fillAsync(get, 0, 200);
      await expectCollectable(evicted);
      await expectRetained(live);
      expect(get.stats.size).toBe(10);

      const control = track();
      const theirs = pMemoize(async (id: number) => {
        const value = payload(id);
        control.add(value);
        return value;
      });
      await fillAsync(theirs, 0, 200);
      await expect(expectCollectable(control)).rejects.toBeInstanceOf(LeakError);
    });

    it('collects deleted and cleared values (control: p-memoize over mnemonist)', async () => {
      const dropped = track();
      const get = memoizeAsync(asyncProducer(dropped));
      await fillAsync(get, 0, 100);
      for (let i = 0; i < 50; i++) get.delete(i);
      get.clear();
      await expectCollectable(dropped);

      const control = track();
      const cache = new LRUCacheWithDelete<number, Payload>(1000);
      const theirs = pMemoize(
        async (id: number) => {
          const value = payload(id);
          control.add(value);
          return value;
        },
        { cache },
      );
      await fillAsync(theirs, 0, 100);
      for (let i = 0; i < 50; i++) cache.delete(i);
      cache.clear();
      await expect(expectCollectable(control)).rejects.toBeInstanceOf(LeakError);
    });

    it('collects expired values untouched (control: p-memoize over lru-cache ttl without autopurge)', async () => {
      vi.useFakeTimers();
      const expired = track();
      const get = memoizeAsync(asyncProducer(expired), { ttl: 1000 });
      await fillAsync(get, 0, 100);
      vi.advanceTimersByTime(1000);
      await expectCollectable(expired);

      const control = track();
      const theirs = pMemoize(
        async (id: number) => {
          const value = payload(id);
          control.add(value);
          return value;
        },
        { cache: new LRUCache<number, Payload>({ max: 1000, ttl: 1000 }) },
      );
      await fillAsync(theirs, 0, 100);
      vi.advanceTimersByTime(5000);
      await expect(expectCollectable(control)).rejects.toBeInstanceOf(LeakError);
    });

    it('collects the late value of a call deleted or cleared in flight (control: p-memoize caches it)', async () => {
      for (const drop of ['delete', 'clear'] as const) {
        const late = track();
        const finishers: Array<(value: Payload) => void> = [];
        const get = memoizeAsync(
          (_id: number, _ctx: MemoizeAsyncContext) =>
            new Promise<Payload>((resolve) => {
              finishers.push(resolve);
            }),
        );
        await lateAfterDrop((id) => get(id), () => (drop === 'delete' ? get.delete(1) : get.clear()), finishers, late);
        await expectCollectable(late);
        expect(get.has(1)).toBe(true); // the fresh value is what stays cached
      }

      const control = track();
      const finishers: Array<(value: Payload) => void> = [];
      const theirs = pMemoize(
        (_id: number) =>
          new Promise<Payload>((resolve) => {
            finishers.push(resolve);
          }),
      );
      await lateAfterDrop(theirs, () => pMemoizeClear(theirs), finishers, control);
      await expect(expectCollectable(control)).rejects.toBeInstanceOf(LeakError);
    });

    it('leaves zero listeners after 1,000 calls on one long-lived signal (control: lru-cache fetch leaves 1,000)', async () => {
      const signal = new AbortController().signal;
      setMaxListeners(0, signal);
      const get = memoizeAsync(async (id: number, _ctx: MemoizeAsyncContext) => payload(id), { max: 100 });
      for (let batch = 0; batch < 100; batch++) {
        // Ten concurrent callers per batch: hits, misses and shared calls.
        const calls = Array.from({ length: 10 }, (_, i) => get((batch * 7 + (i >> 1)) % 150, { signal }));
        expect(listenerCount(signal, 'abort')).toBeLessThanOrEqual(1); // the shared hub's one listener
        await Promise.all(calls);
      }
      expect(listenerCount(signal, 'abort')).toBe(0);

      const theirSignal = new AbortController().signal;
      setMaxListeners(0, theirSignal);
      const cache = new LRUCache<number, Payload>({ max: 100, fetchMethod: async (id) => payload(id) });
      for (let i = 0; i < 1000; i++) await cache.fetch(i, { signal: theirSignal });
      expect(listenerCount(theirSignal, 'abort')).toBe(1000);
    });

    it('lets every per-call context go after settling on a long-lived signal (control: lru-cache fetch options)', async () => {
      const signal = new AbortController().signal;
      setMaxListeners(0, signal);
      const contexts = track();
      const get = memoizeAsync(
        async (id: number, ctx: MemoizeAsyncContext) => {
          contexts.add(ctx, `context ${id}`);
          return id;
        },
        { max: 1000 },
      );
      for (let i = 0; i < 200; i++) await get(i, { signal });
      await expectCollectable(contexts);
      expect(signal.aborted).toBe(false); // the long-lived signal itself lives on

      const control = track();
      const cache = new LRUCache<number, number>({
        max: 1000,
        fetchMethod: async (id, _stale, options) => {
          control.add(options, `fetch options ${id}`);
          return id;
        },
      });
      for (let i = 0; i < 200; i++) await cache.fetch(i, { signal });
      await expect(expectCollectable(control)).rejects.toBeInstanceOf(LeakError);
    });

    it('lets an aborted caller go while the shared call stays pending (control: a per-caller then on the call)', async () => {
      let finish!: (value: string) => void;
      const get = memoizeAsync(
        (_id: string, _ctx: MemoizeAsyncContext) =>
          new Promise<string>((resolve) => {
            finish = resolve;
          }),
      );
      const staying = get('k'); // keeps the call alive
      const callers = track();
      await joinAndAbort((signal) => get('k', { signal }), callers, 200);
      await expectCollectable(callers);
      expect(get.stats.pending).toBe(1);
      finish('done');
      expect(await staying).toBe('done');

      // The naive per-caller abort (abort-controller-x's `abortable`): a
      // reaction per caller on the shared promise keeps every caller's promise.
      const shared = new Promise<string>(() => {});
      const naive = (signal: AbortSignal): Promise<string> =>
        new Promise<string>((resolve, reject) => {
          shared.then(resolve, reject);
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        });
      const control = track();
      await joinAndAbort(naive, control, 200);
      await expect(expectCollectable(control)).rejects.toBeInstanceOf(LeakError);
    });

    it('keeps waiting callers and the pending call alive (counter-test)', async () => {
      const tracker = track();
      const get = memoizeAsync(
        (_id: string, { signal }: MemoizeAsyncContext) =>
          new Promise<string>((resolve) => {
            // Kept reachable only through the shared call's signal listener.
            signal.addEventListener('abort', () => resolve('aborted'));
          }),
      );
      const controllers: AbortController[] = [];
      (function join() {
        for (let i = 0; i < 5; i++) {
          const controller = new AbortController();
          controllers.push(controller);
          const p = get('k', { signal: controller.signal });
          p.catch(() => {});
          tracker.add(p, `caller ${i}`);
        }
      })();
      await expectRetained(tracker);
      for (const c of controllers) c.abort();
      await expectCollectable(tracker);
    });
  });
});

/** `count` callers join, each with a signal of its own, then all abort; tracks their promises. */
async function joinAndAbort(
  call: (signal: AbortSignal) => Promise<unknown>,
  tracker: Tracker,
  count: number,
): Promise<void> {
  const controllers = startCallers(call, tracker, count);
  for (const controller of controllers) controller.abort(new Error('left'));
  await Promise.resolve();
}

function startCallers(call: (signal: AbortSignal) => Promise<unknown>, tracker: Tracker, count: number): AbortController[] {
  const controllers: AbortController[] = [];
  for (let i = 0; i < count; i++) {
    const controller = new AbortController();
    const promise = call(controller.signal);
    promise.catch(() => {});
    tracker.add(promise, `caller ${i}`);
    controllers.push(controller);
  }
  return controllers;
}

/**
 * Starts a call, drops its entry while in flight, lets a second call finish
 * first (where the implementation starts one), then finishes the first call
 * with a tracked late value. Returns once every caller has its result, so no
 * frame of ours holds the value.
 */
async function lateAfterDrop(
  call: (id: number) => Promise<unknown>,
  drop: () => unknown,
  finishers: Array<(value: Payload) => void>,
  tracker: Tracker,
): Promise<void> {
  const first = call(1);
  drop();
  const second = call(1);
  await Promise.resolve();
  if (finishers.length > 1) finishers[1]!(payload('fresh'));
  (function finish() {
    const value = payload('late');
    tracker.add(value, 'late value');
    finishers[0]!(value);
  })();
  finishers.length = 0;
  await Promise.all([first, second]);
}
