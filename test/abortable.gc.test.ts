import { setMaxListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { abortable } from '../src/abortable.js';
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

// Issue #3, section 1: `abortable` "removes its listener when it settles
// either way", and many calls on one long-lived promise or one long-lived
// signal pile up neither reactions nor listeners.
//
// Heap-slope bound: 16 B per call. Each leaky shape below keeps at least a
// closure, a promise and its resolvers per call (the per-call listener
// wrapper and Promise.race both measured well over 100 B/call on Node 20),
// and sampling 100,000 iterations after full collections measured within
// ±3 B/call of zero for ours.
const MAX_BYTES_PER_CALL = 16;

const forever = new Promise<never>(() => {});
const noop = (): void => {};

function payload(i: number): { data: number[] } {
  return { data: new Array(100).fill(i) };
}

/** The abort-controller-x shape: a reaction on `promise` per call, a listener removed on settle only by luck. */
function perCallWrapper<T>(promise: PromiseLike<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    promise.then(resolve, reject);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** The `Promise.race([promise, abortPromise])` shape. */
function raceWrapper<T>(promise: PromiseLike<T>, signal: AbortSignal): Promise<T> {
  const stop = new Promise<never>((_, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  return Promise.race([promise, stop]);
}

type Wrapper = <T>(promise: PromiseLike<T>, signal: AbortSignal) => Promise<T>;

/**
 * The per-call wrapper's listener leak, at O(1) per call: it subscribes
 * through leakproof's hub and never disposes, so every call stays reachable
 * from the long-lived signal. (The native per-call listener is quadratic over
 * 100,000 calls on one signal – EventTarget scans for duplicates on every
 * add – so it cannot run the same iterations as the test it vouches for.)
 */
function hubHeldWrapper<T>(promise: PromiseLike<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    onAbort(signal, reject);
    promise.then(resolve, reject);
  });
}

const ours: Wrapper = (promise, signal) => abortable(promise, { signal });

// Created in frames of their own, so no test body holds what it tracks.
async function abortOnForever(tracker: Tracker, count: number, wrap: Wrapper): Promise<void> {
  for (let i = 0; i < count; i++) {
    const controller = new AbortController();
    const result = wrap(forever, controller.signal);
    const reason = payload(i);
    controller.abort(reason);
    await result.catch(noop);
    tracker.add(reason, `reason ${i}`);
    tracker.add(result, `result ${i}`);
  }
}

async function passValues(tracker: Tracker, signal: AbortSignal, count: number, wrap: Wrapper): Promise<void> {
  for (let i = 0; i < count; i++) {
    const value = await wrap(Promise.resolve(payload(i)), signal);
    tracker.add(value, `value ${i}`);
  }
}

function leavePending(tracker: Tracker, signal: AbortSignal, count: number, settled: { count: number }): void {
  for (let i = 0; i < count; i++) {
    const result = abortable(forever, { signal });
    void result.catch(() => settled.count++);
    tracker.add(result, `pending ${i}`);
  }
}

describe('abortable', () => {
  describe('leaks', () => {
    it('releases results and abort reasons of calls on a long-lived never-settling promise (row 2)', async () => {
      const tracker = track();
      await abortOnForever(tracker, 200, ours);
      await expectCollectable(tracker);
    });

    it('positive control: the same check catches the per-call wrapper and Promise.race (row 2)', async () => {
      for (const wrap of [perCallWrapper, raceWrapper] as Wrapper[]) {
        const tracker = track();
        await abortOnForever(tracker, 200, wrap);
        const failure = await expectCollectable(tracker).catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(LeakError);
        expect((failure as LeakError).alive).toBe(400);
      }
    });

    it('releases values passed through on a long-lived signal: no listener left, signal alive and working (row 3)', async () => {
      const longLived = new AbortController();
      const tracker = track();
      await passValues(tracker, longLived.signal, 200, ours);
      expect(listenerCount(longLived.signal, 'abort')).toBe(0);
      await expectCollectable(tracker);
      const late = abortable(forever, { signal: longLived.signal });
      longLived.abort('still works');
      await expect(late).rejects.toBe('still works');
      expect(listenerCount(longLived.signal, 'abort')).toBe(0);
    });

    it('positive control: the same check catches the per-call listener wrapper on a long-lived signal (row 3)', async () => {
      const longLived = new AbortController();
      setMaxListeners(0, longLived.signal);
      const tracker = track();
      await passValues(tracker, longLived.signal, 200, perCallWrapper);
      await expect(expectCollectable(tracker)).rejects.toBeInstanceOf(LeakError);
      expect(listenerCount(longLived.signal, 'abort')).toBe(200);
    });

    it('keeps a pending call whose result was dropped, and settles it on abort', async () => {
      const longLived = new AbortController();
      const tracker = track();
      const settled = { count: 0 };
      leavePending(tracker, longLived.signal, 100, settled);
      // Counter-test: the wait is still live, so its result must stay reachable.
      await expectRetained(tracker, { rounds: 5 });
      longLived.abort();
      await new Promise((resolve) => setImmediate(resolve));
      expect(settled.count).toBe(100);
      expect(listenerCount(longLived.signal, 'abort')).toBe(0);
      await expectCollectable(tracker);
    });

    it('100,000 calls on one long-lived signal: flat heap, at most one listener, none after', async () => {
      const longLived = new AbortController();
      let maxListeners = 0;
      const { bytesPerIteration } = await expectFlatHeap(
        (i) => {
          const result = abortable(Promise.resolve(i), { signal: longLived.signal });
          const count = listenerCount(longLived.signal, 'abort');
          if (count > maxListeners) maxListeners = count;
          return result;
        },
        { iterations: 100_000, maxBytesPerIteration: MAX_BYTES_PER_CALL },
      );
      console.log(`abortable(value, longLivedSignal) on Node ${process.versions.node}: ${bytesPerIteration.toFixed(1)} B/call retained`);
      expect(maxListeners).toBe(1);
      expect(listenerCount(longLived.signal, 'abort')).toBe(0);
      expect(longLived.signal.aborted).toBe(false);
    });

    it('positive control: the same heap check catches a wrapper that leaves its subscription on the signal', async () => {
      const longLived = new AbortController();
      const failure = await expectFlatHeap((i) => hubHeldWrapper(Promise.resolve(i), longLived.signal), {
        iterations: 100_000,
        maxBytesPerIteration: MAX_BYTES_PER_CALL,
      }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(LeakError);
      longLived.abort();
    });

    it('100,000 aborted calls on one long-lived never-settling promise: flat heap', async () => {
      const { bytesPerIteration } = await expectFlatHeap(
        () => {
          const controller = new AbortController();
          const result = abortable(forever, { signal: controller.signal }).catch(noop);
          controller.abort();
          return result;
        },
        { iterations: 100_000, maxBytesPerIteration: MAX_BYTES_PER_CALL },
      );
      console.log(`abortable(forever, abortedSignal) on Node ${process.versions.node}: ${bytesPerIteration.toFixed(1)} B/call retained`);
    });

    it('positive control: the same heap check catches Promise.race against the never-settling promise', async () => {
      const failure = await expectFlatHeap(
        () => {
          const controller = new AbortController();
          const result = raceWrapper(forever, controller.signal).catch(noop);
          controller.abort();
          return result;
        },
        { iterations: 100_000, maxBytesPerIteration: MAX_BYTES_PER_CALL },
      ).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(LeakError);
    }, 300_000);
  });
});
