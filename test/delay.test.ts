import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { delay } from '../src/delay.js';
import { listenerCount } from '../src/testing/index.js';

// Issue #3, section 1, `delay(ms, { signal?, ref? })` (0.2: `ref` as in timers/promises). Contract rows:
// 1. resolves (with undefined) after `ms`
// 2. rejects with `signal.reason` on abort and clears its timer
// 3. removes its listener when the timer fires
// 4. an already-aborted signal rejects at once: no timer, no listener
// 5. `ref: false` does not keep the process alive
// 6. `ms` is validated: NaN / negative / infinite -> RangeError ERR_OUT_OF_RANGE, via the promise
// 7. delays beyond setTimeout's 2^31-1 ms are re-armed, never clamped

/** Ref'ed timers only: an unref'ed timer is invisible here (see GC-TESTING.md). */
function refTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('delay', () => {
  describe('validation', () => {
    it.each([Number.NaN, -1, -0.5, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** 53])(
      'rejects with ERR_OUT_OF_RANGE for ms %s (row 6)',
      async (ms) => {
        const result = delay(ms);
        await expect(result).rejects.toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
        await expect(result).rejects.toThrow('"ms"');
      },
    );

    it.each(['10', null, undefined, 10n, {}])('rejects with ERR_INVALID_ARG_TYPE for ms %s (row 6)', async (ms) => {
      await expect(delay(ms as never)).rejects.toMatchObject({
        name: 'TypeError',
        code: 'ERR_INVALID_ARG_TYPE',
        message: expect.stringContaining('"ms"'),
      });
    });

    it.each([null, 'options', 5])('rejects with ERR_INVALID_ARG_TYPE for options %s', async (options) => {
      await expect(delay(1, options as never)).rejects.toMatchObject({
        code: 'ERR_INVALID_ARG_TYPE',
        message: expect.stringContaining('"options"'),
      });
    });

    it('rejects with ERR_INVALID_ARG_TYPE for options.signal, naming the property', async () => {
      await expect(delay(1, { signal: {} as never })).rejects.toMatchObject({
        code: 'ERR_INVALID_ARG_TYPE',
        message: expect.stringContaining('"options.signal" property'),
      });
    });

    it.each([null, 1, 'false', 0])('rejects options.ref %s with ERR_INVALID_ARG_TYPE, as timers/promises does', async (ref) => {
      await expect(delay(1, { ref: ref as never })).rejects.toMatchObject({
        name: 'TypeError',
        code: 'ERR_INVALID_ARG_TYPE',
        message: expect.stringContaining('"options.ref"'),
      });
    });

    it('rejects the v0.1 option unref with a hint to write ref: false', async () => {
      await expect(delay(1, { unref: true } as never)).rejects.toMatchObject({
        name: 'TypeError',
        code: 'ERR_INVALID_ARG_VALUE',
        message: expect.stringMatching(/"unref".*ref: false/),
      });
    });

    it('rejects an unknown option name, offering the nearest known one', async () => {
      await expect(delay(1, { signl: new AbortController().signal } as never)).rejects.toMatchObject({
        code: 'ERR_INVALID_ARG_VALUE',
        message: expect.stringMatching(/"signl".*"signal"/),
      });
    });

    it('rejects a signal passed positionally, with the hint to pass { signal }', async () => {
      const controller = new AbortController();
      const before = refTimers();
      await expect(delay(10, controller.signal as never)).rejects.toMatchObject({
        name: 'TypeError',
        code: 'ERR_INVALID_ARG_TYPE',
        message: expect.stringContaining('{ signal }'),
      });
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
      expect(refTimers()).toBe(before);
    });

    it('accepts ref: true and ref: undefined (the default) like timers/promises', async () => {
      await expect(delay(1, { ref: true })).resolves.toBeUndefined();
      await expect(delay(1, { ref: undefined })).resolves.toBeUndefined();
    });

    it('never throws synchronously and arms no timer on bad input (row 6)', async () => {
      const before = refTimers();
      let result: Promise<void> | undefined;
      expect(() => {
        result = delay(-1);
      }).not.toThrow();
      expect(refTimers()).toBe(before);
      await expect(result).rejects.toBeInstanceOf(RangeError);
    });
  });

  describe('semantics', () => {
    it('resolves with undefined after ms (row 1)', async () => {
      vi.useFakeTimers();
      let done = false;
      const result = delay(100).then((value) => {
        done = true;
        return value;
      });
      await vi.advanceTimersByTimeAsync(99);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(done).toBe(true);
      await expect(result).resolves.toBeUndefined();
    });

    it('resolves for 0 and for fractional ms (row 1)', async () => {
      await expect(delay(0)).resolves.toBeUndefined();
      await expect(delay(0.5)).resolves.toBeUndefined();
    });

    it('rejects with signal.reason as soon as the signal aborts (row 2)', async () => {
      const controller = new AbortController();
      const result = delay(60_000, { signal: controller.signal });
      const reason = new Error('stop');
      controller.abort(reason);
      await expect(result).rejects.toBe(reason);
    });

    it('clears its timer on abort (row 2)', async () => {
      // Counted in one synchronous stretch: no unrelated timer can come or go.
      const controller = new AbortController();
      const before = refTimers();
      const result = delay(60_000, { signal: controller.signal });
      const armed = refTimers();
      controller.abort();
      const after = refTimers();
      await result.catch(() => {});
      expect([armed - before, after - before]).toEqual([1, 0]);
    });

    it('rejects at once with the reason of an already-aborted signal: no timer, no listener (row 4)', async () => {
      const reason = new Error('already');
      const signal = AbortSignal.abort(reason);
      const before = refTimers();
      const result = delay(60_000, { signal });
      expect(refTimers()).toBe(before);
      expect(listenerCount(signal, 'abort')).toBe(0);
      await expect(result).rejects.toBe(reason);
    });

    it('keeps the event loop alive by default (row 5)', async () => {
      const controller = new AbortController();
      const before = refTimers();
      const result = delay(60_000, { signal: controller.signal });
      const armed = refTimers();
      controller.abort();
      await result.catch(() => {});
      expect(armed - before).toBe(1);
    });

    it('does not keep the event loop alive with ref: false (row 5)', async () => {
      const controller = new AbortController();
      const before = refTimers();
      const result = delay(60_000, { signal: controller.signal, ref: false });
      const armed = refTimers();
      controller.abort();
      await expect(result).rejects.toBeDefined();
      expect(armed - before).toBe(0);
    });

    it('still resolves when ref: false and the loop has other work (row 5)', async () => {
      await expect(delay(1, { ref: false })).resolves.toBeUndefined();
    });

    it('waits the full time for a delay beyond 2^31-1 ms (row 7)', async () => {
      vi.useFakeTimers();
      const max = 2 ** 31 - 1;
      let done = false;
      void delay(max * 2 + 10).then(() => {
        done = true;
      });
      await vi.advanceTimersByTimeAsync(max);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(max);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(9);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(done).toBe(true);
    });

    it('can be aborted while re-armed (row 7)', async () => {
      vi.useFakeTimers();
      const controller = new AbortController();
      const result = delay(2 ** 32, { signal: controller.signal });
      await vi.advanceTimersByTimeAsync(2 ** 31);
      expect(vi.getTimerCount()).toBe(1);
      controller.abort('late');
      await expect(result).rejects.toBe('late');
      expect(vi.getTimerCount()).toBe(0);
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
    });
  });

  describe('cleanup', () => {
    it('removes its listener when the timer fires (row 3)', async () => {
      const controller = new AbortController();
      const result = delay(1, { signal: controller.signal });
      expect(listenerCount(controller.signal, 'abort')).toBe(1);
      await result;
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
    });

    it('removes its listener when the signal aborts (row 2)', async () => {
      const controller = new AbortController();
      const result = delay(60_000, { signal: controller.signal });
      controller.abort();
      await result.catch(() => {});
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
    });

    it('keeps one listener on a long-lived signal for many concurrent delays, none after (row 3)', async () => {
      const controller = new AbortController();
      const results = Array.from({ length: 500 }, () => delay(1, { signal: controller.signal }));
      expect(listenerCount(controller.signal, 'abort')).toBe(1);
      await Promise.all(results);
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
      await nextMacrotask();
      expect(controller.signal.aborted).toBe(false);
    });
  });
});
