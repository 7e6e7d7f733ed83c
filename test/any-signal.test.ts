import { describe, expect, it } from 'vitest';
import { abortable } from '../src/abortable.js';
import { anySignal } from '../src/any-signal.js';
import { delay } from '../src/delay.js';
import { onAbort } from '../src/on-abort.js';
import { listenerCount } from '../src/testing/index.js';

// Issue #3, section 1, `anySignal(signals): AbortSignal & Disposable`. Contract rows:
// 1. aborts when any input aborts, with that input's reason
// 2. an already-aborted input gives an already-aborted result, with nothing attached
// 3. disposing removes its listeners on the inputs
// 4. aborting removes its listeners on the inputs
// 5. garbage collection of the composite removes its listeners (test/any-signal.gc.test.ts)
// 6. `[Symbol.dispose]` is on the result (an own, non-enumerable method); no shared prototype or global is touched
// 7. a bad argument throws ERR_INVALID_ARG_TYPE and attaches nothing

describe('anySignal', () => {
  describe('validation', () => {
    it.each([undefined, null, 1, {}, new AbortController().signal])('throws ERR_INVALID_ARG_TYPE for signals %s (row 7)', (bad) => {
      expect(() => anySignal(bad as never)).toThrow(
        expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"signals"') }),
      );
    });

    it('names the bad item and attaches nothing to the good ones (row 7)', () => {
      const good = new AbortController();
      expect(() => anySignal([good.signal, 'nope' as never])).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"signals[1]"') }),
      );
      expect(listenerCount(good.signal, 'abort')).toBe(0);
    });

    it('closes an iterator it rejects an item of, and iterates the input once (row 7)', () => {
      const a = new AbortController();
      let nexts = 0;
      let returns = 0;
      const items: unknown[] = [a.signal, 42, a.signal];
      const iterable: Iterable<AbortSignal> = {
        [Symbol.iterator]() {
          let i = 0;
          return {
            next: () => {
              nexts++;
              return i < items.length ? { value: items[i++] as AbortSignal, done: false } : { value: undefined, done: true };
            },
            return: () => {
              returns++;
              return { value: undefined, done: true };
            },
          };
        },
      };
      expect(() => anySignal(iterable)).toThrow(TypeError);
      expect(nexts).toBe(2);
      expect(returns).toBe(1);
      expect(listenerCount(a.signal, 'abort')).toBe(0);
    });

    it('accepts any iterable, iterated once', () => {
      const a = new AbortController();
      const b = new AbortController();
      function* gen() {
        yield a.signal;
        yield b.signal;
      }
      const signal = anySignal(gen());
      b.abort('b');
      expect(signal.reason).toBe('b');
    });
  });

  describe('semantics', () => {
    it('aborts when any input aborts, with that input reason (row 1)', () => {
      const a = new AbortController();
      const b = new AbortController();
      const signal = anySignal([a.signal, b.signal]);
      expect(signal).toBeInstanceOf(AbortSignal);
      expect(signal.aborted).toBe(false);
      const reason = new Error('b');
      b.abort(reason);
      expect(signal.aborted).toBe(true);
      expect(signal.reason).toBe(reason);
      a.abort('a');
      expect(signal.reason).toBe(reason);
    });

    it('fires its abort event once, synchronously with the input abort (row 1)', () => {
      const a = new AbortController();
      const signal = anySignal([a.signal]);
      const seen: unknown[] = [];
      signal.addEventListener('abort', () => seen.push(signal.reason));
      a.abort('now');
      expect(seen).toEqual(['now']);
    });

    it('matches AbortSignal.any for the reason of the first input to abort (row 1)', () => {
      const a = new AbortController();
      const b = new AbortController();
      const ours = anySignal([a.signal, b.signal]);
      const builtin = AbortSignal.any([a.signal, b.signal]);
      a.abort();
      expect(ours.reason).toBe(builtin.reason);
      expect((ours.reason as Error).name).toBe('AbortError');
    });

    it('is already aborted when an input is, with the first such reason, attaching nothing (row 2)', () => {
      const live = new AbortController();
      const signal = anySignal([live.signal, AbortSignal.abort('first'), AbortSignal.abort('second')]);
      expect(signal.aborted).toBe(true);
      expect(signal.reason).toBe('first');
      expect(listenerCount(live.signal, 'abort')).toBe(0);
      expect(typeof signal[Symbol.dispose]).toBe('function');
      signal[Symbol.dispose]();
      expect(signal.aborted).toBe(true);
    });

    it('never aborts for an empty input', () => {
      const signal = anySignal([]);
      expect(signal.aborted).toBe(false);
      signal[Symbol.dispose]();
      expect(signal.aborted).toBe(false);
    });

    it('does not abort when disposed, and never aborts afterwards (row 3)', () => {
      const a = new AbortController();
      const signal = anySignal([a.signal]);
      let fired = 0;
      signal.addEventListener('abort', () => fired++);
      signal[Symbol.dispose]();
      expect(signal.aborted).toBe(false);
      a.abort();
      expect(signal.aborted).toBe(false);
      expect(fired).toBe(0);
    });

    it('works with `using` (row 3)', () => {
      const a = new AbortController();
      {
        using signal = anySignal([a.signal]);
        expect(signal.aborted).toBe(false);
        expect(listenerCount(a.signal, 'abort')).toBe(1);
      }
      expect(listenerCount(a.signal, 'abort')).toBe(0);
    });

    it('handles the same input twice', () => {
      const a = new AbortController();
      const signal = anySignal([a.signal, a.signal]);
      expect(listenerCount(a.signal, 'abort')).toBe(1);
      a.abort('twice');
      expect(signal.reason).toBe('twice');
    });

    it('composes: a composite of composites aborts through each level', () => {
      const a = new AbortController();
      const b = new AbortController();
      const inner = anySignal([a.signal]);
      const outer = anySignal([inner, b.signal]);
      a.abort('deep');
      expect(inner.reason).toBe('deep');
      expect(outer.reason).toBe('deep');
      expect(listenerCount(b.signal, 'abort')).toBe(0);
    });

    it('works with the other leakproof primitives', async () => {
      const a = new AbortController();
      const signal = anySignal([a.signal]);
      let heard: unknown;
      onAbort(signal, (reason) => (heard = reason));
      const waiting = abortable(new Promise(() => {}), { signal });
      const sleeping = delay(60_000, { signal });
      a.abort('all');
      expect(heard).toBe('all');
      await expect(waiting).rejects.toBe('all');
      await expect(sleeping).rejects.toBe('all');
    });

    it('accepts AbortSignal.timeout and AbortSignal.any inputs', async () => {
      const a = new AbortController();
      const signal = anySignal([AbortSignal.any([a.signal]), AbortSignal.timeout(1)]);
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      expect((signal.reason as Error).name).toBe('TimeoutError');
    });

    it('ignores a synthetic abort event on a live input', () => {
      const a = new AbortController();
      const signal = anySignal([a.signal]);
      a.signal.dispatchEvent(new Event('abort'));
      expect(signal.aborted).toBe(false);
      a.abort();
      expect(signal.aborted).toBe(true);
    });
  });

  describe('own properties', () => {
    it('has [Symbol.dispose] and leaves AbortSignal.prototype, EventTarget.prototype and globalThis alone (row 6)', () => {
      const a = new AbortController();
      const signal = anySignal([a.signal]);
      expect(signal).toBeInstanceOf(AbortSignal);
      expect(typeof signal[Symbol.dispose]).toBe('function');
      for (const shared of [AbortSignal.prototype, EventTarget.prototype, Object.prototype, globalThis]) {
        expect(Object.prototype.hasOwnProperty.call(shared, Symbol.dispose)).toBe(false);
      }
      expect(Symbol.dispose in new AbortController().signal).toBe(false);
      expect(Symbol.dispose in AbortSignal.abort()).toBe(false);
      expect(AbortSignal.prototype.addEventListener).toBe(EventTarget.prototype.addEventListener);
      expect(AbortSignal.prototype.removeEventListener).toBe(EventTarget.prototype.removeEventListener);
      // No prototype surgery: composites are plain AbortSignals with their own
      // non-enumerable methods, the same functions on every composite.
      for (const composite of [signal, anySignal([]), anySignal([AbortSignal.abort()])]) {
        expect(Object.getPrototypeOf(composite)).toBe(AbortSignal.prototype);
        for (const key of ['addEventListener', 'removeEventListener', Symbol.dispose] as const) {
          const own = Object.getOwnPropertyDescriptor(composite, key);
          expect(own?.enumerable).toBe(false);
          expect(own?.value).toBe((signal as unknown as Record<PropertyKey, unknown>)[key]);
        }
      }
    });

    it('adds nothing enumerable (row 6)', () => {
      const enumerable = (o: object): PropertyKey[] =>
        Reflect.ownKeys(o).filter((k) => Object.prototype.propertyIsEnumerable.call(o, k));
      const signal = anySignal([new AbortController().signal]);
      expect(Object.keys(signal)).toEqual([]);
      expect(enumerable(signal)).toEqual(enumerable(new AbortController().signal));
    });

    it('forwards addEventListener and removeEventListener to the built-in methods', () => {
      const a = new AbortController();
      const signal = anySignal([a.signal]);
      const calls: string[] = [];
      const listener = (): void => {
        calls.push('listener');
      };
      signal.addEventListener('abort', listener);
      signal.addEventListener('abort', listener); // duplicate: ignored by the built-in
      signal.addEventListener('abort', listener, { capture: true }); // distinct registration
      expect(listenerCount(signal, 'abort')).toBe(2);
      signal.removeEventListener('abort', listener, true);
      expect(listenerCount(signal, 'abort')).toBe(1);
      const handler = { handleEvent: () => calls.push('object') };
      signal.addEventListener('abort', handler, { once: true });
      signal.addEventListener('other', listener);
      a.abort();
      expect(calls).toEqual(['listener', 'object']);
      signal.removeEventListener('other', listener);
    });

    it('forwards an onabort handler', () => {
      const a = new AbortController();
      const signal = anySignal([a.signal]);
      let fired = 0;
      signal.onabort = () => fired++;
      a.abort();
      expect(fired).toBe(1);
    });
  });

  describe('cleanup', () => {
    it('removes its listeners on every input when one aborts (row 4)', () => {
      const a = new AbortController();
      const b = new AbortController();
      const c = new AbortController();
      anySignal([a.signal, b.signal, c.signal]);
      expect([a, b, c].map((x) => listenerCount(x.signal, 'abort'))).toEqual([1, 1, 1]);
      b.abort();
      expect([a, c].map((x) => listenerCount(x.signal, 'abort'))).toEqual([0, 0]);
    });

    it('removes its listeners on every input when disposed, idempotently (row 3)', () => {
      const a = new AbortController();
      const b = new AbortController();
      const signal = anySignal([a.signal, b.signal]);
      signal[Symbol.dispose]();
      signal[Symbol.dispose]();
      expect(listenerCount(a.signal, 'abort')).toBe(0);
      expect(listenerCount(b.signal, 'abort')).toBe(0);
    });

    it('keeps one listener on a long-lived input for many live composites, none once all are disposed', () => {
      const shutdown = new AbortController();
      const composites = Array.from({ length: 1000 }, () => anySignal([shutdown.signal, new AbortController().signal]));
      expect(listenerCount(shutdown.signal, 'abort')).toBe(1);
      for (const composite of composites) composite[Symbol.dispose]();
      expect(listenerCount(shutdown.signal, 'abort')).toBe(0);
    });

    it('aborts every live composite of a shared input, in creation order', () => {
      const shutdown = new AbortController();
      const order: number[] = [];
      const composites = Array.from({ length: 5 }, (_, i) => {
        const signal = anySignal([shutdown.signal]);
        signal.addEventListener('abort', () => order.push(i));
        return signal;
      });
      composites[2]![Symbol.dispose]();
      shutdown.abort();
      expect(order).toEqual([0, 1, 3, 4]);
    });

    it('a composite disposed by another composite listener during the abort does not abort', () => {
      const shutdown = new AbortController();
      const first = anySignal([shutdown.signal]);
      const second = anySignal([shutdown.signal]);
      first.addEventListener('abort', () => second[Symbol.dispose]());
      shutdown.abort();
      expect(first.aborted).toBe(true);
      expect(second.aborted).toBe(false);
    });
  });
});
