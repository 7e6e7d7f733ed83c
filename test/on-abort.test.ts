import { setImmediate } from 'node:timers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { onAbort } from '../src/on-abort.js';
import { listenerCount } from '../src/testing/index.js';

// Issue #3, section 1, `onAbort(signal, listener): Disposable`. Contract rows:
// 1. validates first; a bad argument attaches nothing
// 2. already aborted: listener(signal.reason) in a microtask, nothing attached
// 3. disposing before that microtask cancels the call
// 4. otherwise registers once: called once, with signal.reason
// 5. disposing removes it
// 6. never leaves a listener after abort or dispose
// 7. dispose is idempotent (and `dispose()` is an alias)

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('onAbort', () => {
  describe('validation', () => {
    it.each([undefined, null, {}, 'signal', new EventTarget()])('throws ERR_INVALID_ARG_TYPE for signal %s (row 1)', (bad) => {
      expect(() => onAbort(bad as never, () => {})).toThrow(
        expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"signal"') }),
      );
    });

    it.each([undefined, null, {}, 'fn'])('throws ERR_INVALID_ARG_TYPE for listener %s and attaches nothing (row 1)', (bad) => {
      const controller = new AbortController();
      expect(() => onAbort(controller.signal, bad as never)).toThrow(
        expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"listener"') }),
      );
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
    });

    it('checks the signal before the listener (row 1)', () => {
      expect(() => onAbort(1 as never, 2 as never)).toThrow(expect.objectContaining({ message: expect.stringContaining('"signal"') }));
    });

    it('accepts a duck-typed signal from another implementation', () => {
      const target = new EventTarget() as EventTarget & { aborted: boolean; reason: unknown };
      target.aborted = false;
      const seen: unknown[] = [];
      onAbort(target as unknown as AbortSignal, (reason) => seen.push(reason));
      target.aborted = true;
      target.reason = 'custom';
      target.dispatchEvent(new Event('abort'));
      expect(seen).toEqual(['custom']);
      expect(listenerCount(target, 'abort')).toBe(0);
    });
  });

  describe('semantics', () => {
    it('calls the listener with signal.reason in a microtask when already aborted, attaching nothing (row 2)', async () => {
      const reason = new Error('gone');
      const signal = AbortSignal.abort(reason);
      const seen: unknown[] = [];
      onAbort(signal, (r) => seen.push(r));
      expect(seen).toEqual([]);
      expect(listenerCount(signal, 'abort')).toBe(0);
      await null;
      expect(seen).toEqual([reason]);
    });

    it('runs deferred calls in the order they were made (row 2)', async () => {
      const signal = AbortSignal.abort('r');
      const order: number[] = [];
      onAbort(signal, () => order.push(1));
      onAbort(signal, () => order.push(2));
      onAbort(signal, () => order.push(3));
      await null;
      expect(order).toEqual([1, 2, 3]);
    });

    it('cancels the deferred call when disposed before the microtask (row 3)', async () => {
      const signal = AbortSignal.abort('r');
      let calls = 0;
      const handle = onAbort(signal, () => calls++);
      const other = onAbort(signal, () => calls += 10);
      handle[Symbol.dispose]();
      await null;
      await null;
      expect(calls).toBe(10);
      other.dispose();
    });

    it('calls the listener once, with signal.reason, when the signal aborts (row 4)', () => {
      const controller = new AbortController();
      const seen: unknown[] = [];
      onAbort(controller.signal, (reason) => seen.push(reason));
      const reason = { why: 'shutdown' };
      controller.abort(reason);
      controller.abort('again');
      controller.signal.dispatchEvent(new Event('abort'));
      expect(seen).toEqual([reason]);
    });

    it('calls the listener with the default AbortError when aborted without a reason (row 4)', () => {
      const controller = new AbortController();
      let seen: unknown;
      onAbort(controller.signal, (reason) => (seen = reason));
      controller.abort();
      expect(seen).toBe(controller.signal.reason);
      expect((seen as Error).name).toBe('AbortError');
    });

    it('calls the listener without a this and with only the reason (row 4)', () => {
      const controller = new AbortController();
      let self: unknown = 'unset';
      let count = -1;
      onAbort(controller.signal, function (this: unknown, ...args: unknown[]) {
        self = this;
        count = args.length;
      });
      controller.abort();
      expect(self).toBeUndefined();
      expect(count).toBe(1);
    });

    it('ignores a synthetic abort event on a live signal (row 4)', () => {
      const controller = new AbortController();
      let calls = 0;
      onAbort(controller.signal, () => calls++);
      controller.signal.dispatchEvent(new Event('abort'));
      expect(calls).toBe(0);
      controller.abort();
      expect(calls).toBe(1);
    });

    it('runs subscriptions on one signal in subscription order (row 4)', () => {
      const controller = new AbortController();
      const order: number[] = [];
      for (let i = 0; i < 5; i++) onAbort(controller.signal, () => order.push(i));
      controller.abort();
      expect(order).toEqual([0, 1, 2, 3, 4]);
    });

    it('skips a subscription disposed by an earlier listener during the abort (row 4)', () => {
      const controller = new AbortController();
      const order: string[] = [];
      let second: Disposable | undefined;
      onAbort(controller.signal, () => {
        order.push('first');
        second![Symbol.dispose]();
      });
      second = onAbort(controller.signal, () => order.push('second'));
      onAbort(controller.signal, () => order.push('third'));
      controller.abort();
      expect(order).toEqual(['first', 'third']);
    });

    it('subscribing during the abort defers like an already-aborted signal (row 4)', async () => {
      const controller = new AbortController();
      const order: string[] = [];
      onAbort(controller.signal, () => {
        order.push('outer');
        onAbort(controller.signal, () => order.push('inner'));
      });
      controller.abort();
      expect(order).toEqual(['outer']);
      await null;
      expect(order).toEqual(['outer', 'inner']);
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
    });

    it('reports a throwing listener and still calls the others', () => {
      const reported: unknown[] = [];
      vi.stubGlobal('reportError', (error: unknown) => reported.push(error));
      const controller = new AbortController();
      const order: number[] = [];
      const boom = new Error('boom');
      onAbort(controller.signal, () => order.push(1));
      onAbort(controller.signal, () => {
        throw boom;
      });
      onAbort(controller.signal, () => order.push(3));
      controller.abort();
      expect(order).toEqual([1, 3]);
      expect(reported).toEqual([boom]);
    });

    it('reports a throwing deferred listener and still calls the next one', async () => {
      const reported: unknown[] = [];
      vi.stubGlobal('reportError', (error: unknown) => reported.push(error));
      const signal = AbortSignal.abort();
      const boom = new Error('boom');
      let after = 0;
      onAbort(signal, () => {
        throw boom;
      });
      onAbort(signal, () => after++);
      await null;
      await null;
      expect(reported).toEqual([boom]);
      expect(after).toBe(1);
    });

    it('does not call the listener after it was disposed (row 5)', () => {
      const controller = new AbortController();
      let calls = 0;
      const handle = onAbort(controller.signal, () => calls++);
      handle[Symbol.dispose]();
      controller.abort();
      expect(calls).toBe(0);
    });

    it('works with `using` (row 5)', () => {
      const controller = new AbortController();
      let calls = 0;
      {
        using _ = onAbort(controller.signal, () => calls++);
        expect(listenerCount(controller.signal, 'abort')).toBe(1);
      }
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
      controller.abort();
      expect(calls).toBe(0);
    });

    it('is idempotent to dispose, before and after the abort, through either name (row 7)', () => {
      const controller = new AbortController();
      let calls = 0;
      const kept = onAbort(controller.signal, () => calls++);
      const dropped = onAbort(controller.signal, () => calls++);
      dropped[Symbol.dispose]();
      dropped.dispose();
      dropped[Symbol.dispose]();
      expect(listenerCount(controller.signal, 'abort')).toBe(1);
      controller.abort();
      kept.dispose();
      kept[Symbol.dispose]();
      expect(calls).toBe(1);
    });
  });

  describe('cleanup', () => {
    it('leaves no listener after the signal aborts (row 6)', () => {
      const controller = new AbortController();
      onAbort(controller.signal, () => {});
      onAbort(controller.signal, () => {});
      controller.abort();
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
    });

    it('leaves no listener after every subscription is disposed (row 6)', () => {
      const controller = new AbortController();
      const handles = Array.from({ length: 100 }, () => onAbort(controller.signal, () => {}));
      for (const handle of handles) handle.dispose();
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
      // and the signal still works for a new subscription
      let calls = 0;
      onAbort(controller.signal, () => calls++);
      controller.abort();
      expect(calls).toBe(1);
    });

    it('keeps one native listener for any number of concurrent subscriptions (row 6)', async () => {
      const controller = new AbortController();
      const warnings: unknown[] = [];
      const onWarning = (warning: unknown): void => {
        warnings.push(warning);
      };
      process.on('warning', onWarning);
      try {
        const handles = Array.from({ length: 1000 }, () => onAbort(controller.signal, () => {}));
        expect(listenerCount(controller.signal, 'abort')).toBe(1);
        for (let i = 0; i < 999; i++) handles[i]!.dispose();
        expect(listenerCount(controller.signal, 'abort')).toBe(1);
        handles[999]!.dispose();
        expect(listenerCount(controller.signal, 'abort')).toBe(0);
        // process.emitWarning is delivered on a later tick.
        await new Promise((resolve) => setImmediate(resolve));
      } finally {
        process.off('warning', onWarning);
      }
      expect(warnings).toEqual([]);
    });

    it('leaves listeners added by other code alone (row 6)', () => {
      const controller = new AbortController();
      const foreign = (): void => {};
      controller.signal.addEventListener('abort', foreign);
      onAbort(controller.signal, () => {}).dispose();
      expect(listenerCount(controller.signal, 'abort')).toBe(1);
      controller.signal.removeEventListener('abort', foreign);
    });
  });
});
