import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { abortable } from '../src/abortable.js';
import { listenerCount } from '../src/testing/index.js';
import { captureReports, duckSignal } from './helpers/signals.js';

// Issue #3, section 1, `abortable(promise, { signal }?)` (0.2: options bag). Contract rows:
// 1. settles like `promise`
// 2. rejects with `signal.reason` when the signal aborts first
// 3. removes its abort listener when it settles, either way
// 4. an already-aborted signal rejects at once and attaches no listener
// 5. bad options (a positional signal, an unknown name, a non-signal `signal`) make the returned promise reject
// 6. many calls on one long-lived promise do not pile up reactions on it
// 7. many calls on one long-lived signal do not pile up listeners on it
// 8. a rejection of `promise` after the abort is handled (never unhandled because of us)

const forever = new Promise<never>(() => {});

/** A native promise whose `then` calls are counted (an own property; the constructor stays Promise). */
function countingPromise<T>(executor: (resolve: (value: T) => void, reject: (reason: unknown) => void) => void) {
  const promise = new Promise<T>(executor);
  const counter = { thens: 0 };
  const then = promise.then.bind(promise);
  Object.defineProperty(promise, 'then', {
    value: (...args: Parameters<typeof then>) => {
      counter.thens++;
      return then(...args);
    },
  });
  return { promise, counter };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('abortable', () => {
  describe('validation', () => {
    it.each([null, 'signal', 1])('rejects with ERR_INVALID_ARG_TYPE for options %s (row 5)', async (bad) => {
      const result = abortable(Promise.resolve(1), bad as never);
      expect(result).toBeInstanceOf(Promise);
      await expect(result).rejects.toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
      await expect(result).rejects.toThrow('"options"');
    });

    it.each([null, {}, 'signal', 1, new EventTarget()])('rejects with ERR_INVALID_ARG_TYPE for options.signal %s (row 5)', async (bad) => {
      const result = abortable(Promise.resolve(1), { signal: bad as never });
      await expect(result).rejects.toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
      await expect(result).rejects.toThrow('"options.signal"');
    });

    it('rejects a signal passed positionally (the v0.1 form) with the hint to pass { signal }', async () => {
      const controller = new AbortController();
      const result = abortable(forever, controller.signal as never);
      await expect(result).rejects.toMatchObject({
        name: 'TypeError',
        code: 'ERR_INVALID_ARG_TYPE',
        message: expect.stringContaining('{ signal }'),
      });
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
    });

    it('rejects an unknown option name, offering the nearest known one', async () => {
      await expect(abortable(1, { sginal: new AbortController().signal } as never)).rejects.toMatchObject({
        code: 'ERR_INVALID_ARG_VALUE',
        message: expect.stringMatching(/"sginal".*"signal"/),
      });
    });

    it('does not throw synchronously for bad options (row 5)', () => {
      let result: Promise<unknown> | undefined;
      expect(() => {
        result = abortable(1, 'nope' as never);
      }).not.toThrow();
      return expect(result).rejects.toBeInstanceOf(TypeError);
    });

    it('subscribes to nothing when the signal is bad (row 5)', async () => {
      const { promise, counter } = countingPromise<number>(() => {});
      await abortable(promise, { signal: {} as never }).catch(() => {});
      expect(counter.thens).toBe(0);
    });

    it('rejects (does not throw) when reading the promise throws', async () => {
      const promise = Promise.resolve(1);
      const boom = new Error('constructor getter');
      Object.defineProperty(promise, 'constructor', {
        get() {
          throw boom;
        },
      });
      const controller = new AbortController();
      await expect(abortable(promise, { signal: controller.signal })).rejects.toBe(boom);
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
    });
  });

  describe('semantics', () => {
    it('fulfils with the value of the promise (row 1)', async () => {
      const controller = new AbortController();
      await expect(abortable(Promise.resolve(42), { signal: controller.signal })).resolves.toBe(42);
    });

    it('rejects with the reason of the promise (row 1)', async () => {
      const controller = new AbortController();
      const error = new Error('failed');
      await expect(abortable(Promise.reject(error), { signal: controller.signal })).rejects.toBe(error);
    });

    it('accepts plain values and thenables (row 1)', async () => {
      const controller = new AbortController();
      await expect(abortable('value', { signal: controller.signal })).resolves.toBe('value');
      const thenable = { then: (resolve: (value: string) => void) => resolve('thenable') } as PromiseLike<string>;
      await expect(abortable(thenable, { signal: controller.signal })).resolves.toBe('thenable');
    });

    it('returns Promise.resolve(promise) without a signal (row 1)', async () => {
      const promise = Promise.resolve(7);
      expect(abortable(promise)).toBe(promise);
      expect(abortable(promise, undefined)).toBe(promise);
      await expect(abortable(8)).resolves.toBe(8);
    });

    it('settles one microtask turn after the promise, like Promise.race (row 1)', async () => {
      const controller = new AbortController();
      const source = deferred<string>();
      const order: string[] = [];
      void abortable(source.promise, { signal: controller.signal }).then((v) => order.push(`abortable ${v}`));
      void Promise.race([source.promise]).then((v) => order.push(`race ${v}`));
      source.resolve('x');
      await nextMacrotask();
      expect(order).toEqual(['abortable x', 'race x']);
    });

    it('rejects with signal.reason when the signal aborts first (row 2)', async () => {
      const controller = new AbortController();
      const result = abortable(forever, { signal: controller.signal });
      const reason = new Error('stop');
      controller.abort(reason);
      await expect(result).rejects.toBe(reason);
    });

    it('rejects with a non-error reason as is (row 2)', async () => {
      const controller = new AbortController();
      const result = abortable(forever, { signal: controller.signal });
      controller.abort(17);
      await expect(result).rejects.toBe(17);
    });

    it('keeps the first outcome: a later abort changes nothing (row 2)', async () => {
      const controller = new AbortController();
      const source = deferred<string>();
      const result = abortable(source.promise, { signal: controller.signal });
      source.resolve('first');
      await expect(result).resolves.toBe('first');
      controller.abort('late');
      await expect(result).resolves.toBe('first');
    });

    it('abort wins over a settlement whose reaction has not run yet (row 2)', async () => {
      const controller = new AbortController();
      const source = deferred<string>();
      const result = abortable(source.promise, { signal: controller.signal });
      source.resolve('too late');
      controller.abort('abort');
      await expect(result).rejects.toBe('abort');
    });

    it('rejects at once with the reason of an already-aborted signal, attaching nothing (row 4)', async () => {
      const reason = new Error('already');
      const signal = AbortSignal.abort(reason);
      const result = abortable(forever, { signal });
      expect(listenerCount(signal, 'abort')).toBe(0);
      await expect(result).rejects.toBe(reason);
    });

    it('handles a rejection of the promise after the abort (row 8)', async () => {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown): void => {
        unhandled.push(reason);
      };
      process.on('unhandledRejection', onUnhandled);
      try {
        const controller = new AbortController();
        const source = deferred<never>();
        const result = abortable(source.promise, { signal: controller.signal });
        controller.abort('abort');
        await expect(result).rejects.toBe('abort');
        source.reject(new Error('late failure'));
        // An already-aborted signal: the promise is still marked handled.
        const late = deferred<never>();
        await expect(abortable(late.promise, { signal: AbortSignal.abort('already') })).rejects.toBe('already');
        late.reject(new Error('late failure 2'));
        await nextMacrotask();
        await nextMacrotask();
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
      expect(unhandled).toEqual([]);
    });

    it('leaves the rejection observable on the promise itself (row 8)', async () => {
      const controller = new AbortController();
      const source = deferred<never>();
      void abortable(source.promise, { signal: controller.signal }).catch(() => {});
      controller.abort();
      const error = new Error('still mine');
      source.reject(error);
      await expect(source.promise).rejects.toBe(error);
    });
  });

  describe('cleanup', () => {
    it('removes its abort listener when the promise fulfils (row 3)', async () => {
      const controller = new AbortController();
      const result = abortable(Promise.resolve(1), { signal: controller.signal });
      expect(listenerCount(controller.signal, 'abort')).toBe(1);
      await result;
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
    });

    it('removes its abort listener when the promise rejects (row 3)', async () => {
      const controller = new AbortController();
      await abortable(Promise.reject(new Error('x')), { signal: controller.signal }).catch(() => {});
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
    });

    it('removes its abort listener when the signal aborts (row 3)', async () => {
      const controller = new AbortController();
      const result = abortable(forever, { signal: controller.signal });
      controller.abort();
      await result.catch(() => {});
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
    });

    it('adds one reaction to a long-lived promise for any number of calls (row 6)', async () => {
      const { promise, counter } = countingPromise<never>(() => {});
      const controllers = Array.from({ length: 1000 }, () => new AbortController());
      const results = controllers.map((c) => abortable(promise, { signal: c.signal }));
      await nextMacrotask();
      expect(counter.thens).toBe(1);
      for (const c of controllers) c.abort();
      await Promise.allSettled(results);
      // later calls reuse the same reaction too
      const again = new AbortController();
      const late = abortable(promise, { signal: again.signal });
      again.abort();
      await late.catch(() => {});
      expect(counter.thens).toBe(1);
    });

    it('keeps one listener on a long-lived signal for any number of pending calls, none after (row 7)', async () => {
      const controller = new AbortController();
      const sources = Array.from({ length: 1000 }, () => deferred<number>());
      const results = sources.map((s) => abortable(s.promise, { signal: controller.signal }));
      expect(listenerCount(controller.signal, 'abort')).toBe(1);
      sources.forEach((s, i) => s.resolve(i));
      const values = await Promise.all(results);
      expect(values[999]).toBe(999);
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
      expect(controller.signal.aborted).toBe(false);
    });

    it('rejects every pending call once when the shared signal aborts (row 7)', async () => {
      const controller = new AbortController();
      const results = Array.from({ length: 100 }, () => abortable(forever, { signal: controller.signal }));
      controller.abort('all');
      const outcomes = await Promise.allSettled(results);
      expect(outcomes.every((o) => o.status === 'rejected' && o.reason === 'all')).toBe(true);
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
    });
  });

  describe('user code that throws', () => {
    it('rejects with the error of a throwing then, leaving no listener on the signal', async () => {
      const controller = new AbortController();
      const promise = Promise.resolve(1);
      const boom = new Error('then throws');
      Object.defineProperty(promise, 'then', {
        configurable: true,
        value: () => {
          throw boom;
        },
      });
      await expect(abortable(promise, { signal: controller.signal })).rejects.toBe(boom);
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
      // Nothing half-applied: once `then` works again, a wait on the same promise works.
      delete (promise as { then?: unknown }).then;
      await expect(abortable(promise, { signal: controller.signal })).resolves.toBe(1);
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
    });

    it('rejects with the error of a throwing addEventListener, leaving nothing on the promise', async () => {
      const signal = duckSignal();
      signal.throwOnAdd = new Error('add throws');
      const source = deferred<number>();
      await expect(abortable(source.promise, { signal: signal as never })).rejects.toBe(signal.throwOnAdd);
      signal.throwOnAdd = null;
      const later = abortable(source.promise, { signal: signal as never });
      source.resolve(5);
      await expect(later).resolves.toBe(5);
      expect(signal.listeners).toBe(0);
    });

    it('still settles when the signal\'s removeEventListener throws, and reports that error', async () => {
      const signal = duckSignal();
      const failure = new Error('remove throws');
      const reported = await captureReports(async () => {
        const source = deferred<number>();
        const result = abortable(source.promise, { signal: signal as never });
        signal.throwOnRemove = failure;
        source.resolve(7);
        await expect(result).resolves.toBe(7);
      });
      expect(reported).toEqual([failure]);
    });

    it('still rejects on abort when the signal\'s removeEventListener throws, and reports that error', async () => {
      const signal = duckSignal();
      const failure = new Error('remove throws');
      const reported = await captureReports(async () => {
        const result = abortable(forever, { signal: signal as never });
        signal.throwOnRemove = failure;
        signal.abort('stop');
        await expect(result).rejects.toBe('stop');
      });
      expect(reported).toEqual([failure]);
    });
  });
});
