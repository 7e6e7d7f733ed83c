// Behaviour of `weakInterval` / `weakTimeout`. Contract rows (issue 5, section 2):
//  1. calls callback(target) every `ms` while the target is alive
//  2. holds the target only weakly (weak-interval.gc.test.ts)
//  3. clears itself when the target is collected (weak-interval.gc.test.ts)
//  4. returns a Disposable that stops it earlier
//  5. not ref'ed by default; `ref: true` keeps the process alive
//  6. a one-shot `weakTimeout` counterpart
//  7. the callback reaches the target only through its argument

import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { type WeakTimer, weakInterval, weakTimeout } from '../src/weak-interval.js';

afterEach(() => {
  vi.useRealTimers();
});

function activeTimeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

function codeAndName(fn: () => unknown): { code: unknown; message: string; type: string } {
  try {
    fn();
  } catch (error) {
    const e = error as Error & { code?: unknown };
    return { code: e.code, message: e.message, type: e.constructor.name };
  }
  throw new Error('expected a throw');
}

const noop = (): void => {};

describe.each([
  ['weakInterval', weakInterval],
  ['weakTimeout', weakTimeout],
] as const)('%s', (_name, start) => {
  describe('validation', () => {
    it('throws ERR_INVALID_ARG_TYPE naming target for a non-object target', () => {
      for (const bad of [undefined, null, 1, 'x', true, Symbol('s'), 1n]) {
        const e = codeAndName(() => start(bad as never, noop, 10));
        expect(e).toMatchObject({ type: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
        expect(e.message).toContain('"target"');
      }
      // Functions are objects too.
      start(noop, noop, 10)[Symbol.dispose]();
    });

    it('throws ERR_INVALID_ARG_TYPE naming callback for a non-function callback', () => {
      for (const bad of [undefined, null, 1, {}]) {
        const e = codeAndName(() => start({}, bad as never, 10));
        expect(e).toMatchObject({ type: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
        expect(e.message).toContain('"callback"');
      }
    });

    it('throws ERR_INVALID_ARG_TYPE for a non-number ms and ERR_OUT_OF_RANGE for NaN, negative or > 2^31-1', () => {
      for (const bad of ['10', undefined, null, 10n]) {
        const e = codeAndName(() => start({}, noop, bad as never));
        expect(e).toMatchObject({ type: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
        expect(e.message).toContain('"ms"');
      }
      for (const bad of [Number.NaN, -1, -Infinity, 2 ** 31, Infinity]) {
        const e = codeAndName(() => start({}, noop, bad));
        expect(e).toMatchObject({ type: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
        expect(e.message).toContain('"ms"');
      }
      for (const ok of [0, 0.5, 2 ** 31 - 1]) start({}, noop, ok)[Symbol.dispose]();
    });

    it('throws ERR_INVALID_ARG_TYPE naming options and options.ref', () => {
      const a = codeAndName(() => start({}, noop, 10, null as never));
      expect(a).toMatchObject({ type: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
      expect(a.message).toContain('"options"');
      const b = codeAndName(() => start({}, noop, 10, { ref: 'no' as never }));
      expect(b).toMatchObject({ type: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
      expect(b.message).toContain('"options.ref"');
    });

    it('rejects unknown options, telling v0.1’s unref to be ref, and a positional signal', () => {
      const a = codeAndName(() => start({}, noop, 10, { unref: false } as never));
      expect(a).toMatchObject({ type: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
      expect(a.message).toMatch(/"options".*"unref".*Did you mean "ref \(unref: false → ref: true\)"/);
      const b = codeAndName(() => start({}, noop, 10, { reff: true } as never));
      expect(b).toMatchObject({ type: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
      expect(b.message).toMatch(/"reff".*Did you mean "ref"/);
      const c = codeAndName(() => start({}, noop, 10, new AbortController().signal as never));
      expect(c).toMatchObject({ type: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
      expect(c.message).toContain('{ signal }');
    });

    it('starts no timer when it throws', () => {
      const before = activeTimeouts();
      expect(() => start({}, noop, 10, { ref: 1 as never })).toThrow(TypeError);
      expect(() => start({}, noop, -5, { ref: true })).toThrow(RangeError);
      expect(activeTimeouts()).toBe(before);
    });
  });

  describe('semantics', () => {
    it('returns a Disposable whose dispose is idempotent and stops the timer', () => {
      vi.useFakeTimers();
      let calls = 0;
      const timer = start({}, () => calls++, 100);
      expectTypeOf(timer).toEqualTypeOf<WeakTimer>();
      expect(timer.active).toBe(true);
      timer[Symbol.dispose]();
      timer[Symbol.dispose]();
      expect(timer.active).toBe(false);
      vi.advanceTimersByTime(1_000);
      expect(calls).toBe(0);
      expect(vi.getTimerCount()).toBe(0);
    });

    it('stops at the end of a using block', () => {
      vi.useFakeTimers();
      let calls = 0;
      {
        using _timer = start({}, () => calls++, 100);
        vi.advanceTimersByTime(100);
      }
      vi.advanceTimersByTime(1_000);
      expect(calls).toBe(1);
    });

    it('is not ref’ed by default and ref’ed with ref: true, until disposed', () => {
      const before = activeTimeouts();
      const quiet = start({}, noop, 60_000);
      expect(activeTimeouts()).toBe(before);
      const loud = start({}, noop, 60_000, { ref: true });
      expect(activeTimeouts()).toBe(before + 1);
      loud[Symbol.dispose]();
      quiet[Symbol.dispose]();
      expect(activeTimeouts()).toBe(before);
    });

    it('passes the target as the only argument, with no this', () => {
      vi.useFakeTimers();
      const target = { name: 'target' };
      const calls: Array<{ self: unknown; args: unknown[] }> = [];
      start(
        target,
        function (this: unknown, ...args: unknown[]) {
          calls.push({ self: this, args });
        },
        10,
      );
      vi.advanceTimersByTime(10);
      expect(calls).toEqual([{ self: undefined, args: [target] }]);
      vi.clearAllTimers();
    });
  });
});

describe('weakInterval', () => {
  describe('semantics', () => {
    it('calls callback(target) every ms while the target lives', () => {
      vi.useFakeTimers();
      const target = { ticks: 0 };
      const timer = weakInterval(target, (t) => t.ticks++, 100);
      vi.advanceTimersByTime(99);
      expect(target.ticks).toBe(0);
      vi.advanceTimersByTime(1);
      expect(target.ticks).toBe(1);
      vi.advanceTimersByTime(250);
      expect(target.ticks).toBe(3);
      expect(timer.active).toBe(true);
      timer[Symbol.dispose]();
    });

    it('keeps ticking after a callback throws, like setInterval', () => {
      vi.useFakeTimers();
      const target = { ticks: 0 };
      const timer = weakInterval(
        target,
        (t) => {
          t.ticks++;
          throw new Error('tick failed');
        },
        10,
      );
      expect(() => vi.advanceTimersByTime(10)).toThrow('tick failed');
      expect(timer.active).toBe(true);
      expect(() => vi.advanceTimersByTime(10)).toThrow('tick failed');
      expect(target.ticks).toBe(2);
      timer[Symbol.dispose]();
    });

    it('can be disposed from its own callback', () => {
      vi.useFakeTimers();
      let calls = 0;
      const timer: WeakTimer = weakInterval({}, () => {
        calls++;
        timer[Symbol.dispose]();
      }, 10);
      vi.advanceTimersByTime(100);
      expect(calls).toBe(1);
      expect(timer.active).toBe(false);
    });
  });
});

describe('weakTimeout', () => {
  describe('semantics', () => {
    it('calls callback(target) once after ms, then is inactive', () => {
      vi.useFakeTimers();
      const target = { fired: 0 };
      const timer = weakTimeout(target, (t) => t.fired++, 100);
      vi.advanceTimersByTime(99);
      expect(target.fired).toBe(0);
      expect(timer.active).toBe(true);
      vi.advanceTimersByTime(1);
      expect(target.fired).toBe(1);
      expect(timer.active).toBe(false);
      vi.advanceTimersByTime(1_000);
      expect(target.fired).toBe(1);
      expect(vi.getTimerCount()).toBe(0);
    });

    it('releases itself before the callback runs, even when it throws', () => {
      vi.useFakeTimers();
      const timer = weakTimeout(
        {},
        () => {
          throw new Error('boom');
        },
        5,
      );
      expect(() => vi.advanceTimersByTime(5)).toThrow('boom');
      expect(timer.active).toBe(false);
    });

    it('does not fire once disposed', () => {
      vi.useFakeTimers();
      let fired = 0;
      const timer = weakTimeout({}, () => fired++, 5);
      timer[Symbol.dispose]();
      vi.advanceTimersByTime(100);
      expect(fired).toBe(0);
    });
  });
});
