import { setMaxListeners } from 'node:events';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { delay } from '../src/delay.js';
import { onAbort } from '../src/on-abort.js';
import {
  LeakError,
  expectCollectable,
  expectFlatHeap,
  expectRetained,
  listenerCount,
  track,
  type Tracker,
} from '../src/testing/index.js';

// Issue #3, section 1: `delay` "clears its timer on abort, removes its
// listener when it fires".
//
// Heap-slope bound: 16 B per call, 1,600 B per iteration of 100 concurrent
// delays. A delay that leaves its listener keeps a closure, its timer and the
// promise's resolvers per call (the naive control: over 500 B/call on Node
// 20), and sampling 100,000 calls after full collections measured within
// ±1 B/call of zero for ours.
const CALLS_PER_ITERATION = 100;
const MAX_BYTES_PER_CALL = 16;

/** Clears its timer on abort, but never removes its listener. */
function leakyListenerDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}

/**
 * The same listener leak at O(1) per call, for the heap-slope control: it
 * subscribes through leakproof's hub and never leaves, so every call stays
 * reachable from the long-lived signal. (The native listener above is
 * quadratic over 100,000 calls on one signal: EventTarget scans for
 * duplicates on every add.)
 */
function hubHeldListenerDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    onAbort(signal, (reason) => {
      clearTimeout(timer);
      reject(reason);
    });
  });
}

/** Removes its listener, but never clears its timer on abort. */
function leakyTimerDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms).unref();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

type Delay = (ms: number, signal: AbortSignal) => Promise<void>;
const ours: Delay = (ms, signal) => delay(ms, { signal });
const oursUnref: Delay = (ms, signal) => delay(ms, { signal, ref: false });

/** Ref'ed timers only: an unref'ed one is invisible here (see GC-TESTING.md). */
function refTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

// Created in frames of their own, so no test body holds what it tracks.
async function fireAll(tracker: Tracker, signal: AbortSignal, count: number, wait: Delay): Promise<void> {
  for (let i = 0; i < count; i++) {
    const result = wait(0, signal);
    await result;
    tracker.add(result, `fired ${i}`);
  }
}

async function abortAll(tracker: Tracker, count: number, wait: Delay): Promise<void> {
  for (let i = 0; i < count; i++) {
    const controller = new AbortController();
    const result = wait(60_000, controller.signal);
    controller.abort();
    await result.catch(() => {});
    tracker.add(result, `aborted ${i}`);
  }
}

function leavePending(tracker: Tracker, signal: AbortSignal, count: number, settled: { count: number }): void {
  for (let i = 0; i < count; i++) {
    const result = delay(60_000, { signal, ref: false });
    void result.catch(() => settled.count++);
    tracker.add(result, `pending ${i}`);
  }
}

describe('delay', () => {
  describe('leaks', () => {
    it('releases a fired delay from the long-lived signal: no listener left, signal alive and working (row 3)', async () => {
      const longLived = new AbortController();
      const tracker = track();
      await fireAll(tracker, longLived.signal, 200, ours);
      expect(listenerCount(longLived.signal, 'abort')).toBe(0);
      await expectCollectable(tracker);
      const late = delay(60_000, { signal: longLived.signal });
      longLived.abort('still works');
      await expect(late).rejects.toBe('still works');
      expect(listenerCount(longLived.signal, 'abort')).toBe(0);
    });

    it('positive control: the same check catches a delay that leaves its listener (row 3)', async () => {
      const longLived = new AbortController();
      setMaxListeners(0, longLived.signal);
      const tracker = track();
      await fireAll(tracker, longLived.signal, 200, leakyListenerDelay);
      const failure = await expectCollectable(tracker).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(LeakError);
      expect((failure as LeakError).alive).toBe(200);
    });

    it('releases an aborted delay at once: its timer is cleared (ref and unref) (row 2)', async () => {
      for (const wait of [ours, oursUnref]) {
        const tracker = track();
        await abortAll(tracker, 100, wait);
        // A cleared timer no longer holds the call; an unref'ed one is invisible
        // to getActiveResourcesInfo, so collectability is the check for both.
        await expectCollectable(tracker);
      }
      // And the ref'ed timers are gone from the event loop, counted in one
      // synchronous stretch so no unrelated timer can come or go in between.
      const controllers = Array.from({ length: 10 }, () => new AbortController());
      const before = refTimers();
      const results = controllers.map((c) => delay(60_000, { signal: c.signal }));
      const armed = refTimers();
      for (const c of controllers) c.abort();
      const after = refTimers();
      await Promise.allSettled(results);
      expect([armed - before, after - before]).toEqual([10, 0]);
    });

    it('positive control: the same check catches a delay that does not clear its timer (row 2)', async () => {
      const tracker = track();
      await abortAll(tracker, 100, leakyTimerDelay);
      await expect(expectCollectable(tracker)).rejects.toBeInstanceOf(LeakError);
    });

    it('keeps a pending delay whose result was dropped, and settles it on abort', async () => {
      const longLived = new AbortController();
      const tracker = track();
      const settled = { count: 0 };
      leavePending(tracker, longLived.signal, 100, settled);
      // Counter-test: the wait is live (its unref'ed timer and the signal hold it).
      await expectRetained(tracker, { rounds: 5 });
      longLived.abort();
      await nextMacrotask();
      expect(settled.count).toBe(100);
      expect(listenerCount(longLived.signal, 'abort')).toBe(0);
      await expectCollectable(tracker);
    });

    it('100,000 calls on one long-lived signal: flat heap, at most one listener, none after', async () => {
      const longLived = new AbortController();
      let maxListeners = 0;
      const { bytesPerIteration } = await expectFlatHeap(
        async () => {
          const results: Array<Promise<void>> = [];
          for (let j = 0; j < CALLS_PER_ITERATION; j++) results.push(delay(0, { signal: longLived.signal }));
          const count = listenerCount(longLived.signal, 'abort');
          if (count > maxListeners) maxListeners = count;
          await Promise.all(results);
        },
        { iterations: 100_000 / CALLS_PER_ITERATION, maxBytesPerIteration: MAX_BYTES_PER_CALL * CALLS_PER_ITERATION, yieldEvery: 1 },
      );
      console.log(
        `delay(0, { signal: longLived }) on Node ${process.versions.node}: ${(bytesPerIteration / CALLS_PER_ITERATION).toFixed(2)} B/call retained`,
      );
      expect(maxListeners).toBe(1);
      expect(listenerCount(longLived.signal, 'abort')).toBe(0);
      expect(longLived.signal.aborted).toBe(false);
    });

    it('positive control: the same heap check catches the delay that leaves its listener', async () => {
      const longLived = new AbortController();
      setMaxListeners(0, longLived.signal);
      const failure = await expectFlatHeap(
        async () => {
          const results: Array<Promise<void>> = [];
          for (let j = 0; j < CALLS_PER_ITERATION; j++) results.push(hubHeldListenerDelay(0, longLived.signal));
          await Promise.all(results);
        },
        { iterations: 100_000 / CALLS_PER_ITERATION, maxBytesPerIteration: MAX_BYTES_PER_CALL * CALLS_PER_ITERATION, yieldEvery: 1 },
      ).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(LeakError);
      longLived.abort();
    });
  });
});
