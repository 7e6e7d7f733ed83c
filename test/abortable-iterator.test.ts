import { abortableSource } from 'abortable-iterator';
import { describe, expect, it } from 'vitest';
import { abortableIterator, MAX_PENDING_NEXT_CALLS } from '../src/abortable-iterator.js';
import { OverflowError } from '../src/errors.js';
import { listenerCount } from '../src/testing/index.js';
import {
  captureWarnings,
  countAttaches,
  hangingAfter,
  macrotask,
  neverSettling,
  raceLoop,
  ReturnError,
  SourceError,
  settlesWithin,
  TrackedSource,
} from './helpers/iterables.js';

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}

async function* generate<T>(values: readonly T[]): AsyncGenerator<T> {
  for (const value of values) yield value;
}

function errorOf(fn: () => unknown): { code?: unknown; message: string; name: string } {
  try {
    fn();
  } catch (error) {
    return error as { code?: unknown; message: string; name: string };
  }
  throw new Error('did not throw');
}

describe('abortableIterator', () => {
  describe('validation', () => {
    it.each([
      ['null', null],
      ['undefined', undefined],
      ['a number', 1],
      ['a plain object', {}],
      ['a non-callable Symbol.asyncIterator', { [Symbol.asyncIterator]: 1 }],
      ['a non-callable Symbol.iterator', { [Symbol.iterator]: 'x' }],
    ])('throws ERR_INVALID_ARG_TYPE naming source for %s', (_, source) => {
      const error = errorOf(() => abortableIterator(source as never));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.code).toBe('ERR_INVALID_ARG_TYPE');
      expect(error.message).toContain('"source" argument');
    });

    it('throws ERR_INVALID_ARG_TYPE naming options for a non-object', () => {
      const error = errorOf(() => abortableIterator([], 'x' as never));
      expect(error.code).toBe('ERR_INVALID_ARG_TYPE');
      expect(error.message).toContain('"options" argument');
    });

    it.each([
      ['a string', 'signal'],
      ['null', null],
      ['an AbortController', new AbortController()],
    ])('throws ERR_INVALID_ARG_TYPE naming options.signal for %s', (_, signal) => {
      const error = errorOf(() => abortableIterator([], { signal: signal as never }));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.code).toBe('ERR_INVALID_ARG_TYPE');
      expect(error.message).toContain('"options.signal" property');
    });

    it('throws ERR_INVALID_ARG_TYPE naming options.onReturnError for a non-function', () => {
      const error = errorOf(() => abortableIterator([], { onReturnError: 1 as never }));
      expect(error.code).toBe('ERR_INVALID_ARG_TYPE');
      expect(error.message).toContain('"options.onReturnError" property');
    });

    it('throws ERR_INVALID_ARG_VALUE naming source when its iterator method returns a non-object', () => {
      const error = errorOf(() => abortableIterator({ [Symbol.asyncIterator]: () => 1 } as never));
      expect(error.code).toBe('ERR_INVALID_ARG_VALUE');
      expect(error.message).toContain('"source"');
    });

    it('throws ERR_INVALID_ARG_VALUE naming source when its iterator has no next()', () => {
      const error = errorOf(() => abortableIterator({ [Symbol.asyncIterator]: () => ({}) } as never));
      expect(error.code).toBe('ERR_INVALID_ARG_VALUE');
      expect(error.message).toContain('"source"');
    });

    it('acquires nothing from the source when an option is invalid', () => {
      let acquired = 0;
      const source = {
        [Symbol.asyncIterator]() {
          acquired++;
          return generate([1]);
        },
      };
      expect(() => abortableIterator(source, { signal: 'x' as never })).toThrow(TypeError);
      expect(() => abortableIterator(source, { onReturnError: 'x' as never })).toThrow(TypeError);
      expect(acquired).toBe(0);
    });

    it('throws ERR_INVALID_ARG_TYPE saying { signal } for a signal passed in place of options', () => {
      const controller = new AbortController();
      const error = errorOf(() => abortableIterator([], controller.signal as never));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.code).toBe('ERR_INVALID_ARG_TYPE');
      expect(error.message).toContain('"options" argument');
      expect(error.message).toContain('{ signal }');
    });

    it.each([
      ['a typo', { signl: null }, 'signl', 'signal'],
      ['a wrong case', { onreturnerror: null }, 'onreturnerror', 'onReturnError'],
      ["the abortable-iterator package's returnOnAbort", { returnOnAbort: true }, 'returnOnAbort', undefined],
    ])('throws ERR_INVALID_ARG_VALUE naming options and the unknown option for %s', (_, options, key, hint) => {
      const error = errorOf(() => abortableIterator([], options as never));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.code).toBe('ERR_INVALID_ARG_VALUE');
      expect(error.message).toContain('"options" argument');
      expect(error.message).toContain(`"${key}"`);
      if (hint !== undefined) expect(error.message).toContain(`Did you mean "${hint}"?`);
    });

    it('acquires nothing from the source when options has an unknown name', () => {
      let acquired = 0;
      const source = {
        [Symbol.asyncIterator]() {
          acquired++;
          return generate([1]);
        },
      };
      expect(() => abortableIterator(source, { sigal: undefined } as never)).toThrow(TypeError);
      expect(() => abortableIterator(source, new AbortController().signal as never)).toThrow(TypeError);
      expect(acquired).toBe(0);
    });

    it('throws what the source iterator method throws, synchronously', () => {
      const boom = new Error('boom');
      const source = {
        [Symbol.asyncIterator](): AsyncIterator<number> {
          throw boom;
        },
      };
      expect(() => abortableIterator(source)).toThrow(boom);
    });
  });

  describe('semantics', () => {
    it('yields what for await yields, for async and sync sources', async () => {
      const values = [1, 'two', { three: 3 }, null, undefined];
      expect(await collect(abortableIterator(generate(values)))).toEqual(await collect(generate(values)));
      expect(await collect(abortableIterator(values))).toEqual(values);
      expect(await collect(abortableIterator(new Set(values)))).toEqual(values);
      expect(await collect(abortableIterator('abc'))).toEqual(['a', 'b', 'c']);
      const signal = new AbortController().signal;
      expect(await collect(abortableIterator(generate(values), { signal }))).toEqual(values);
    });

    it('acquires the iterator at once, as for await does', () => {
      let acquired = 0;
      abortableIterator({
        [Symbol.asyncIterator]() {
          acquired++;
          return generate([]);
        },
      });
      expect(acquired).toBe(1);
    });

    it('is its own async iterator and not an async generator', () => {
      const iterator = abortableIterator([1]);
      expect(iterator[Symbol.asyncIterator]()).toBe(iterator);
      const asyncGeneratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf(generate([])));
      expect(Object.getPrototypeOf(Object.getPrototypeOf(iterator))).not.toBe(asyncGeneratorPrototype);
    });

    it('settles a pending next() on abort although the source never settles', async () => {
      const controller = new AbortController();
      const source = hangingAfter<number>([]);
      const iterator = abortableIterator(source.iterable, { signal: controller.signal });
      const pending = iterator.next();
      expect(await settlesWithin(pending, 5)).toBe(false);
      controller.abort();
      // Same tick: the rejection is queued by the abort event itself.
      expect(await settlesWithin(pending, 1)).toBe(true);
      await expect(pending).rejects.toBe(controller.signal.reason);
    });

    it('rejects with signal.reason, whatever it is', async () => {
      const reason = { custom: 'reason' };
      const controller = new AbortController();
      const iterator = abortableIterator(hangingAfter([]).iterable, { signal: controller.signal });
      const pending = iterator.next();
      controller.abort(reason);
      await expect(pending).rejects.toBe(reason);

      const defaults = new AbortController();
      const second = abortableIterator(hangingAfter([]).iterable, { signal: defaults.signal });
      const next = second.next();
      defaults.abort();
      const error = await next.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBe(defaults.signal.reason);
      expect((error as DOMException).name).toBe('AbortError');
    });

    describe('calls the source return() exactly once', () => {
      it('on abort while a next() is pending', async () => {
        const controller = new AbortController();
        const source = hangingAfter([1]);
        const iterator = abortableIterator(source.iterable, { signal: controller.signal });
        await iterator.next();
        const pending = iterator.next();
        controller.abort();
        await expect(pending).rejects.toBe(controller.signal.reason);
        await iterator.return();
        await iterator.next();
        expect(source.returnCalls).toBe(1);
      });

      it('on abort while the consumer is idle', async () => {
        const controller = new AbortController();
        const source = hangingAfter([1, 2]);
        const iterator = abortableIterator(source.iterable, { signal: controller.signal });
        await iterator.next();
        controller.abort();
        expect(source.returnCalls).toBe(1);
        await expect(iterator.next()).rejects.toBe(controller.signal.reason);
        expect(await iterator.next()).toEqual({ value: undefined, done: true });
        expect(source.returnCalls).toBe(1);
      });

      it('on break', async () => {
        const source = new TrackedSource({ values: [1, 2, 3] });
        for await (const value of abortableIterator(source.iterable)) {
          if (value === 2) break;
        }
        expect(source.returnCalls).toBe(1);
      });

      it('on consumer return(), however often it is called', async () => {
        const source = new TrackedSource({ values: [1, 2, 3] });
        const iterator = abortableIterator(source.iterable, { signal: new AbortController().signal });
        await iterator.next();
        expect(await iterator.return()).toEqual({ value: undefined, done: true });
        expect(await iterator.return('x')).toEqual({ value: 'x', done: true });
        await iterator[Symbol.asyncDispose]();
        expect(source.returnCalls).toBe(1);
      });

      it('on consumer throw(), which rejects with the given error', async () => {
        const source = new TrackedSource({ values: [1, 2, 3] });
        const iterator = abortableIterator(source.iterable);
        await iterator.next();
        const error = new Error('consumer');
        await expect(iterator.throw(error)).rejects.toBe(error);
        await expect(iterator.throw(error)).rejects.toBe(error);
        expect(source.returnCalls).toBe(1);
        expect(await iterator.next()).toEqual({ value: undefined, done: true });
      });

      it('on a sync source yielding a rejected promise', async () => {
        const source = new TrackedSource({ values: [1, 2, 3], sync: true, rejectValueAt: 1 });
        const iterator = abortableIterator(source.iterable);
        expect(await iterator.next()).toEqual({ value: 1, done: false });
        await expect(iterator.next()).rejects.toBeInstanceOf(SourceError);
        expect(source.returnCalls).toBe(1);
      });

      it('not after natural completion', async () => {
        const source = new TrackedSource({ values: [1, 2] });
        const controller = new AbortController();
        const iterator = abortableIterator(source.iterable, { signal: controller.signal });
        expect(await collect(iterator)).toEqual([1, 2]);
        await iterator.return();
        controller.abort();
        expect(source.returnCalls).toBe(0);
      });

      it('not after the source failed', async () => {
        for (const sync of [false, true]) {
          const source = new TrackedSource({ values: [1, 2], failAt: 1, sync });
          const iterator = abortableIterator(source.iterable);
          await iterator.next();
          await expect(iterator.next()).rejects.toBeInstanceOf(SourceError);
          await iterator.return();
          expect(source.returnCalls).toBe(0);
        }
      });
    });

    it('does not wait for a source return() that hangs, and reports nothing for it', async () => {
      const reported: unknown[] = [];
      const controller = new AbortController();
      const source = hangingAfter([1], 'hang');
      const iterator = abortableIterator(source.iterable, {
        signal: controller.signal,
        onReturnError: (error) => reported.push(error),
      });
      await iterator.next();
      const pending = iterator.next();
      controller.abort();
      expect(await settlesWithin(pending, 1)).toBe(true);

      const other = abortableIterator(hangingAfter([1], 'hang').iterable);
      await other.next();
      expect(await settlesWithin(other.return(), 3)).toBe(true);
      await macrotask();
      expect(reported).toEqual([]);
    });

    it.each([
      ['throws', 'throw', ReturnError],
      ['rejects', 'reject', ReturnError],
      ['resolves to a non-object', 'non-object', TypeError],
    ] as const)('4. reports a source return() that %s to onReturnError', async (_, behavior, type) => {
      const reported: unknown[] = [];
      const source = new TrackedSource({ values: [1, 2], returnBehavior: behavior });
      const iterator = abortableIterator(source.iterable, { onReturnError: (error) => reported.push(error) });
      await iterator.next();
      expect(await iterator.return()).toEqual({ value: undefined, done: true });
      await macrotask();
      expect(reported).toHaveLength(1);
      expect(reported[0]).toBeInstanceOf(type);
    });

    it('ignores a failing source return() without onReturnError (no unhandled rejection)', async () => {
      const source = new TrackedSource({ values: [1, 2], returnBehavior: 'reject' });
      const iterator = abortableIterator(source.iterable);
      await iterator.next();
      await iterator.return();
      await macrotask();
      expect(source.returnCalls).toBe(1);
    });

    it.each(['throw', 'reject'] as const)(
      '5. rejects with the abort reason when the source return() does %s',
      async (behavior) => {
        const reported: unknown[] = [];
        const controller = new AbortController();
        const source = new TrackedSource({ values: [1], hangAt: 1, returnBehavior: behavior });
        const iterator = abortableIterator(source.iterable, {
          signal: controller.signal,
          onReturnError: (error) => reported.push(error),
        });
        await iterator.next();
        const pending = iterator.next();
        controller.abort();
        await expect(pending).rejects.toBe(controller.signal.reason);
        await macrotask();
        expect(reported).toHaveLength(1);
        expect(reported[0]).toBeInstanceOf(ReturnError);
      },
    );

    it("rejects the first next() and closes the source when a duck-typed signal's addEventListener throws", async () => {
      const boom = new Error('addEventListener failed');
      const signal = {
        aborted: false,
        reason: undefined,
        addEventListener() {
          throw boom;
        },
        removeEventListener() {},
      } as unknown as AbortSignal;
      const source = new TrackedSource({ values: [1, 2] });
      const iterator = abortableIterator(source.iterable, { signal });
      await expect(iterator.next()).rejects.toBe(boom);
      expect(source.nextCalls).toBe(0);
      expect(source.returnCalls).toBe(1);
      expect(await iterator.next()).toEqual({ value: undefined, done: true });
    });

    it('rejects the first next() on an already-aborted signal without pulling or attaching', async () => {
      const controller = new AbortController();
      controller.abort(new Error('gone'));
      const attaches = countAttaches(controller.signal);
      const source = new TrackedSource({ values: [1, 2] });
      const iterator = abortableIterator(source.iterable, { signal: controller.signal });
      await expect(iterator.next()).rejects.toBe(controller.signal.reason);
      expect(await iterator.next()).toEqual({ value: undefined, done: true });
      expect(source.nextCalls).toBe(0);
      expect(source.returnCalls).toBe(1);
      expect(attaches.count).toBe(0);
    });

    describe('leaves no listener on the signal', () => {
      const paths: Array<[string, (signal: AbortSignal, controller: AbortController) => Promise<void>]> = [
        [
          'after natural completion',
          async (signal) => {
            await collect(abortableIterator(generate([1, 2]), { signal }));
          },
        ],
        [
          'after break',
          async (signal) => {
            for await (const value of abortableIterator(generate([1, 2]), { signal })) if (value === 1) break;
          },
        ],
        [
          'after throw()',
          async (signal) => {
            const iterator = abortableIterator(generate([1, 2]), { signal });
            await iterator.next();
            await iterator.throw(new Error('x')).catch(() => {});
          },
        ],
        [
          'after a source error',
          async (signal) => {
            const source = new TrackedSource({ values: [1, 2], failAt: 1 });
            await collect(abortableIterator(source.iterable, { signal })).catch(() => {});
          },
        ],
        [
          'after abort',
          async (signal, controller) => {
            const iterator = abortableIterator(hangingAfter([1]).iterable, { signal });
            await iterator.next();
            const pending = iterator.next();
            controller.abort();
            await pending.catch(() => {});
          },
        ],
      ];
      it.each(paths)('%s', async (_, run) => {
        const controller = new AbortController();
        const attaches = countAttaches(controller.signal);
        await run(controller.signal, controller);
        expect(attaches.count).toBe(1);
        expect(listenerCount(controller.signal, 'abort')).toBe(0);
      });

      it('many running iterators on one signal share a single native listener', async () => {
        const controller = new AbortController();
        const attaches = countAttaches(controller.signal);
        const iterators = Array.from({ length: 20 }, () => abortableIterator(hangingAfter([1]).iterable, { signal: controller.signal }));
        for (const iterator of iterators) await iterator.next();
        expect(listenerCount(controller.signal, 'abort')).toBe(1);
        expect(attaches.count).toBe(1);
        for (const iterator of iterators.slice(1)) await iterator.return();
        expect(listenerCount(controller.signal, 'abort')).toBe(1);
        const last = iterators[0]!.next();
        controller.abort();
        await expect(last).rejects.toBe(controller.signal.reason);
        expect(listenerCount(controller.signal, 'abort')).toBe(0);
      });

      it('10,000 iterators waiting on one signal hold one listener, warn nothing and all reject with the reason', async () => {
        const controller = new AbortController();
        const { signal } = controller;
        const capture = captureWarnings();
        try {
          const pending = Array.from({ length: 10_000 }, () =>
            abortableIterator(neverSettling(), { signal }).next().then(
              () => 'resolved',
              (error: unknown) => error,
            ),
          );
          expect(listenerCount(signal, 'abort')).toBe(1);
          // A synthetic abort event on a live signal is not an abort.
          signal.dispatchEvent(new Event('abort'));
          expect(await settlesWithin(Promise.race(pending), 2)).toBe(false);
          expect(listenerCount(signal, 'abort')).toBe(1);
          controller.abort();
          const outcomes = await Promise.all(pending);
          expect(outcomes.every((outcome) => outcome === signal.reason)).toBe(true);
          expect(listenerCount(signal, 'abort')).toBe(0);
          await macrotask();
          expect(capture.warnings.map((warning) => warning.name)).toEqual([]);
        } finally {
          capture.stop();
        }
      }, 30_000); // 10,000 of everything: the margin is for a loaded machine

      it('while running it holds exactly one listener', async () => {
        const controller = new AbortController();
        const iterator = abortableIterator(generate([1, 2]), { signal: controller.signal });
        await iterator.next();
        expect(listenerCount(controller.signal, 'abort')).toBe(1);
        await iterator.return();
        expect(listenerCount(controller.signal, 'abort')).toBe(0);
      });
    });

    describe('concurrent next() calls', () => {
      it('are queued, pulled one at a time and settle in order', async () => {
        for (const signal of [undefined, new AbortController().signal]) {
          const tracked = new TrackedSource({ values: [1, 2, 3] });
          const iterator = abortableIterator(tracked.iterable, { signal });
          const results = await Promise.all([iterator.next(), iterator.next(), iterator.next(), iterator.next(), iterator.next()]);
          expect(results).toEqual([
            { value: 1, done: false },
            { value: 2, done: false },
            { value: 3, done: false },
            { value: undefined, done: true },
            { value: undefined, done: true },
          ]);
          expect(tracked.maxInFlight).toBe(1);
          expect(tracked.nextCalls).toBe(4);
        }
      });

      it('all reject with the reason on abort', async () => {
        const controller = new AbortController();
        const iterator = abortableIterator(hangingAfter([]).iterable, { signal: controller.signal });
        const pending = [iterator.next(), iterator.next(), iterator.next()];
        controller.abort();
        for (const promise of pending) await expect(promise).rejects.toBe(controller.signal.reason);
        expect(await iterator.next()).toEqual({ value: undefined, done: true });
      });

      it.each([
        ['with a signal', true],
        ['without a signal', false],
      ])('8. the queued ones settle done on return() while the source hangs (%s)', async (_, withSignal) => {
        const source = hangingAfter<number>([]);
        const iterator = abortableIterator(source.iterable, withSignal ? { signal: new AbortController().signal } : {});
        const pending = [iterator.next(), iterator.next(), iterator.next()];
        await iterator.return();
        // The queued calls settle at once; the one in flight does when the
        // source's next() does, unless a signal lets us settle it ourselves.
        const settled = await Promise.all(pending.map((promise) => settlesWithin(promise, 3)));
        expect(settled).toEqual([withSignal, true, true]);
        expect(await pending[1]).toEqual({ value: undefined, done: true });
        expect(await iterator.next()).toEqual({ value: undefined, done: true });
      });

      it(`reject with OverflowError beyond ${MAX_PENDING_NEXT_CALLS} waiting calls, leaving the rest intact`, async () => {
        const controller = new AbortController();
        const iterator = abortableIterator(hangingAfter([]).iterable, { signal: controller.signal });
        const pending = Array.from({ length: MAX_PENDING_NEXT_CALLS }, () => iterator.next());
        const overflow = iterator.next();
        await expect(overflow).rejects.toBeInstanceOf(OverflowError);
        await expect(overflow).rejects.toMatchObject({ code: 'ERR_LEAKPROOF_OVERFLOW' });
        controller.abort();
        const outcomes = await Promise.allSettled(pending);
        expect(outcomes.every((o) => o.status === 'rejected' && o.reason === controller.signal.reason)).toBe(true);
      });
    });

    it('does not pull after an abort, with calls queued or not', async () => {
      const controller = new AbortController();
      const source = new TrackedSource({ values: [1, 2, 3, 4] });
      const iterator = abortableIterator(source.iterable, { signal: controller.signal });
      const first = iterator.next();
      const second = iterator.next();
      controller.abort();
      await expect(first).rejects.toBe(controller.signal.reason);
      await expect(second).rejects.toBe(controller.signal.reason);
      await iterator.next();
      // The pull in flight at the abort is the only one.
      expect(source.nextCalls).toBe(1);

      const idle = new AbortController();
      const queue = new TrackedSource({ values: [1, 2, 3, 4] });
      const other = abortableIterator(queue.iterable, { signal: idle.signal });
      await other.next();
      idle.abort();
      await expect(other.next()).rejects.toBe(idle.signal.reason);
      await other.next();
      expect(queue.nextCalls).toBe(1);
      expect(queue.pulled).toBe(1);
    });

    it('does not pull when an earlier abort listener calls next() during the abort event', async () => {
      const controller = new AbortController();
      const source = new TrackedSource({ values: [1, 2, 3] });
      const iterator = abortableIterator(source.iterable, { signal: controller.signal });
      // Attached before ours (ours is attached by the first next()), so it
      // runs first, when the signal is aborted but our listener has not run.
      let early: Promise<unknown> | undefined;
      controller.signal.addEventListener('abort', () => {
        early = iterator.next();
      });
      expect(await iterator.next()).toEqual({ value: 1, done: false });
      controller.abort();
      await expect(early).rejects.toBe(controller.signal.reason);
      expect(source.nextCalls).toBe(1);
      expect(source.returnCalls).toBe(1);
    });

    describe('sync iterables', () => {
      it('awaits promise values as for await does', async () => {
        const values = [1, Promise.resolve(2), 3, { then: (resolve: (v: number) => void) => resolve(4) }];
        expect(await collect(abortableIterator(values as Iterable<number>))).toEqual(await collect(values as unknown as AsyncIterable<number>));
        expect(await collect(abortableIterator(values as Iterable<number>))).toEqual([1, 2, 3, 4]);
      });

      it('closes the iterator and rejects when a value rejects (tc39/ecma262#2600)', async () => {
        const ours = new TrackedSource({ values: [1, 2, 3], sync: true, rejectValueAt: 1 });
        const seen: number[] = [];
        const error = await (async () => {
          for await (const value of abortableIterator(ours.iterable)) seen.push(value);
        })().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SourceError);
        expect(seen).toEqual([1]);
        expect(ours.returnCalls).toBe(1);
        expect(ours.nextCalls).toBe(2);

        // Same as native for await where the engine implements the spec
        // change (V8 12.9+, Node 24); Node 20/22 leave the iterator open.
        const native = new TrackedSource({ values: [1, 2, 3], sync: true, rejectValueAt: 1 });
        await (async () => {
          for await (const _ of native.iterable) void _;
        })().catch(() => {});
        if (native.returnCalls === 1) expect(ours.returnCalls).toBe(native.returnCalls);
      });

      it('closes the iterator when reading a value\'s then throws', async () => {
        let returned = 0;
        const error = new SourceError('then getter');
        const poisoned = Object.defineProperty({}, 'then', {
          get() {
            throw error;
          },
        });
        const source = {
          [Symbol.iterator]() {
            return this;
          },
          next: () => ({ value: poisoned, done: false }),
          return: () => {
            returned++;
            return {};
          },
        };
        await expect(abortableIterator(source as unknown as Iterable<unknown>).next()).rejects.toBe(error);
        expect(returned).toBe(1);
      });

      it('hands each value out in a result object of its own when the source reuses one', async () => {
        // A sync iterator that recycles its result object, as some hand-written
        // and pooled iterators do; `for await` (CreateAsyncFromSyncIterator)
        // creates a fresh result per step.
        const shared = { value: 0, done: false };
        let i = 0;
        const source: Iterable<number> = {
          [Symbol.iterator]: () => ({
            next: () => {
              shared.value = i;
              shared.done = i++ >= 3;
              return shared;
            },
          }),
        };
        for (const options of [{}, { signal: new AbortController().signal }]) {
          i = 0;
          const iterator = abortableIterator(source, options);
          const first = iterator.next();
          const second = iterator.next();
          const third = iterator.next();
          expect(await first).toEqual({ value: 0, done: false });
          expect(await second).toEqual({ value: 1, done: false });
          expect(await third).toEqual({ value: 2, done: false });
          const r3 = await iterator.next();
          const after = await iterator.next();
          expect(r3).toEqual({ value: 3, done: true });
          expect(after).toEqual({ value: undefined, done: true });
        }
      });

      it('still passes an async source\'s result objects on as they are', async () => {
        const result = { value: 1, done: false };
        const source: AsyncIterable<number> = {
          [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve(result) }),
        };
        expect(await abortableIterator(source).next()).toBe(result);
        expect(await abortableIterator(source, { signal: new AbortController().signal }).next()).toBe(result);
      });

      it('does not close on a rejected value that comes with done: true', async () => {
        let returned = 0;
        const source = {
          [Symbol.iterator]() {
            return this;
          },
          next: () => ({ value: Promise.reject(new SourceError('last')), done: true }),
          return: () => {
            returned++;
            return {};
          },
        };
        await expect(abortableIterator(source as unknown as Iterable<unknown>).next()).rejects.toBeInstanceOf(SourceError);
        expect(returned).toBe(0);
      });

      it('does not close when next() throws (the spec; Node 24\'s for await does)', async () => {
        const source = new TrackedSource({ values: [1, 2], sync: true, failAt: 1 });
        const iterator = abortableIterator(source.iterable);
        await iterator.next();
        await expect(iterator.next()).rejects.toBeInstanceOf(SourceError);
        expect(source.returnCalls).toBe(0);
      });

      it('aborts while waiting on a promise value that never settles', async () => {
        const controller = new AbortController();
        let returned = 0;
        const source = {
          [Symbol.iterator]() {
            return this;
          },
          next: () => ({ value: new Promise(() => {}), done: false }),
          return: () => {
            returned++;
            return {};
          },
        };
        const iterator = abortableIterator(source as unknown as Iterable<unknown>, { signal: controller.signal });
        const pending = iterator.next();
        controller.abort();
        await expect(pending).rejects.toBe(controller.signal.reason);
        expect(returned).toBe(1);
        expect(listenerCount(controller.signal, 'abort')).toBe(0);
      });
    });

    it('return() settles while a next() is pending on a hung source (tc39/proposal-async-iteration#126)', async () => {
      const source = hangingAfter<number>([], 'hang');
      const controller = new AbortController();
      const iterator = abortableIterator(source.iterable, { signal: controller.signal });
      const pending = iterator.next();
      expect(await settlesWithin(iterator.return(), 3)).toBe(true);
      expect(await settlesWithin(pending, 3)).toBe(true);
      expect(source.returnCalls).toBe(1);

      // The control: an async generator wrapper's return() queues behind its
      // pending next() and never settles.
      const control = raceLoop(hangingAfter<number>([]).iterable, new AbortController().signal);
      void control.next();
      expect(await settlesWithin(control.return(undefined), 10)).toBe(false);
    });

    describe('return() before the first next()', () => {
      it('closes a source that is its own iterator and attaches nothing', async () => {
        const controller = new AbortController();
        const attaches = countAttaches(controller.signal);
        const source = new TrackedSource({ values: [1, 2] });
        const iterator = abortableIterator(source.iterable, { signal: controller.signal });
        expect(await iterator.return()).toEqual({ value: undefined, done: true });
        expect(source.returnCalls).toBe(1);
        expect(source.nextCalls).toBe(0);
        expect(attaches.count).toBe(0);
        expect(await iterator.next()).toEqual({ value: undefined, done: true });
        controller.abort();
        expect(source.returnCalls).toBe(1);
      });

      it('closes an async generator that was never started', async () => {
        let ran = false;
        async function* body(): AsyncGenerator<number> {
          ran = true;
          yield 1;
        }
        const generator = body();
        await abortableIterator(generator).return();
        expect(await generator.next()).toEqual({ value: undefined, done: true });
        expect(ran).toBe(false);
      });

      it('a wrapper that is never started attaches nothing to the signal', () => {
        const controller = new AbortController();
        const attaches = countAttaches(controller.signal);
        abortableIterator(generate([1]), { signal: controller.signal });
        expect(attaches.count).toBe(0);
        expect(listenerCount(controller.signal, 'abort')).toBe(0);
      });
    });

    it('pulls without Promise.race (per-item cost: bench/iterate.bench.ts)', async () => {
      const original = Promise.race;
      let races = 0;
      Promise.race = function race(this: PromiseConstructor, values: Iterable<unknown>) {
        races++;
        return original.call(this, values as never);
      } as typeof Promise.race;
      try {
        await collect(abortableIterator(generate([1, 2, 3]), { signal: new AbortController().signal }));
        await collect(abortableIterator(generate([1, 2, 3])));
        await collect(raceLoop(generate([1, 2, 3]), new AbortController().signal));
      } finally {
        Promise.race = original;
      }
      // Only the control raced: once per item and once for the end.
      expect(races).toBe(4);
    });

    it('supports await using', async () => {
      const source = new TrackedSource({ values: [1, 2] });
      {
        await using iterator = abortableIterator(source.iterable);
        await iterator.next();
      }
      expect(source.returnCalls).toBe(1);
    });

    it('rejects with a TypeError, without closing, when the source yields a non-object result', async () => {
      let returned = 0;
      const source = {
        [Symbol.asyncIterator]() {
          return this;
        },
        next: () => Promise.resolve(5),
        return: () => {
          returned++;
          return Promise.resolve({ done: true });
        },
      };
      const iterator = abortableIterator(source as unknown as AsyncIterable<number>);
      await expect(iterator.next()).rejects.toBeInstanceOf(TypeError);
      expect(await iterator.next()).toEqual({ value: undefined, done: true });
      expect(returned).toBe(0);
    });

    it('rejects when the source next() throws synchronously, with or without a signal', async () => {
      for (const signal of [undefined, new AbortController().signal]) {
        const error = new SourceError('sync');
        const source = {
          [Symbol.asyncIterator]() {
            return this;
          },
          next(): Promise<IteratorResult<number>> {
            throw error;
          },
        };
        const iterator = abortableIterator(source, { signal });
        await expect(iterator.next()).rejects.toBe(error);
        expect(await iterator.next()).toEqual({ value: undefined, done: true });
        if (signal) expect(listenerCount(signal, 'abort')).toBe(0);
      }
    });

    it('ignores what a source delivers after it was closed', async () => {
      let release!: (result: IteratorResult<number>) => void;
      const source = {
        [Symbol.asyncIterator]() {
          return this;
        },
        next: () =>
          new Promise<IteratorResult<number>>((resolve) => {
            release = resolve;
          }),
      };
      const controller = new AbortController();
      const iterator = abortableIterator(source, { signal: controller.signal });
      const pending = iterator.next();
      controller.abort();
      await expect(pending).rejects.toBe(controller.signal.reason);
      release({ value: 1, done: false });
      await macrotask();
      expect(await iterator.next()).toEqual({ value: undefined, done: true });
    });
  });

  describe('competitors (ANCHORS.md)', () => {
    it('abortable-iterator leaves a listener after break; abortableIterator does not', async () => {
      const ours = new AbortController();
      for await (const value of abortableIterator(generate([1, 2]), { signal: ours.signal })) if (value) break;
      expect(listenerCount(ours.signal, 'abort')).toBe(0);

      const theirs = new AbortController();
      for await (const value of abortableSource(generate([1, 2]), theirs.signal)) if (value) break;
      expect(listenerCount(theirs.signal, 'abort')).toBe(1);
    });

    it('abortable-iterator never closes the source on break; abortableIterator does', async () => {
      const ours = new TrackedSource({ values: [1, 2] });
      for await (const value of abortableIterator(ours.iterable, { signal: new AbortController().signal })) if (value) break;
      expect(ours.returnCalls).toBe(1);

      const theirs = new TrackedSource({ values: [1, 2] });
      for await (const value of abortableSource(theirs.iterable, new AbortController().signal)) if (value) break;
      expect(theirs.returnCalls).toBe(0);
    });

    it('abortable-iterator ignores signal.reason; abortableIterator rejects with it', async () => {
      const reason = new Error('shutdown');
      const ours = new AbortController();
      const iterator = abortableIterator(hangingAfter([]).iterable, { signal: ours.signal });
      const pending = iterator.next();
      ours.abort(reason);
      await expect(pending).rejects.toBe(reason);

      const theirs = new AbortController();
      const control = abortableSource(hangingAfter([]).iterable, theirs.signal);
      const theirPending = control.next();
      theirs.abort(reason);
      const error = await theirPending.catch((e: unknown) => e);
      expect(error).not.toBe(reason);
      expect((error as { code?: string }).code).toBe('ABORT_ERR');
    });

    it('a race loop (Deno std) pulls one more item after an idle abort; abortableIterator does not', async () => {
      const ours = new TrackedSource({ values: [1, 2, 3] });
      const controller = new AbortController();
      const iterator = abortableIterator(ours.iterable, { signal: controller.signal });
      await iterator.next();
      controller.abort();
      await iterator.next().catch(() => {});
      expect(ours.pulled).toBe(1);

      const theirs = new TrackedSource({ values: [1, 2, 3] });
      const other = new AbortController();
      const control = raceLoop(theirs.iterable, other.signal);
      await control.next();
      other.abort();
      await control.next().catch(() => {});
      expect(theirs.pulled).toBe(2);
    });
  });
});
