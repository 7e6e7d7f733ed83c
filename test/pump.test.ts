import { describe, expect, it } from 'vitest';
import { pump } from '../src/pump.js';
import { listenerCount } from '../src/testing/index.js';
import {
  captureWarnings,
  countAttaches,
  hangingAfter,
  macrotask,
  neverSettling,
  ReturnError,
  SourceError,
  settlesWithin,
  TrackedSource,
} from './helpers/iterables.js';

async function* generate<T>(values: readonly T[]): AsyncGenerator<T> {
  for (const value of values) yield value;
}

async function rejectionOf(promise: Promise<unknown>): Promise<{ code?: unknown; message: string }> {
  return promise.then(
    () => {
      throw new Error('did not reject');
    },
    (error: unknown) => error as { code?: unknown; message: string },
  );
}

describe('pump', () => {
  describe('validation', () => {
    it.each([
      ['null', null],
      ['a number', 5],
      ['a plain object', {}],
    ])('rejects with ERR_INVALID_ARG_TYPE naming source for %s', async (_, source) => {
      const result = pump(source as never, () => {});
      expect(result).toBeInstanceOf(Promise);
      const error = await rejectionOf(result);
      expect(error).toBeInstanceOf(TypeError);
      expect(error.code).toBe('ERR_INVALID_ARG_TYPE');
      expect(error.message).toContain('"source" argument');
    });

    it('rejects with ERR_INVALID_ARG_TYPE naming sink', async () => {
      const error = await rejectionOf(pump([1], 'sink' as never));
      expect(error.code).toBe('ERR_INVALID_ARG_TYPE');
      expect(error.message).toContain('"sink" argument');
    });

    it.each([
      ['options', 'x', '"options" argument'],
      ['options.signal', { signal: {} }, '"options.signal" property'],
      ['options.resolveOnAbort', { resolveOnAbort: 'yes' }, '"options.resolveOnAbort" property'],
      ['options.onReturnError', { onReturnError: 3 }, '"options.onReturnError" property'],
    ])('rejects with ERR_INVALID_ARG_TYPE naming %s', async (_, options, name) => {
      const error = await rejectionOf(pump([1], () => {}, options as never));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.code).toBe('ERR_INVALID_ARG_TYPE');
      expect(error.message).toContain(name);
    });

    it('rejects with ERR_INVALID_ARG_TYPE saying { signal } for a signal passed in place of options', async () => {
      const controller = new AbortController();
      const error = await rejectionOf(pump([1], () => {}, controller.signal as never));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.code).toBe('ERR_INVALID_ARG_TYPE');
      expect(error.message).toContain('"options" argument');
      expect(error.message).toContain('{ signal }');
    });

    it.each([
      ['a typo', { singal: undefined }, 'singal', 'signal'],
      ['a near name', { resolveOnAbrt: true }, 'resolveOnAbrt', 'resolveOnAbort'],
      ['an unrelated name', { highWaterMark: 16 }, 'highWaterMark', undefined],
    ])('rejects with ERR_INVALID_ARG_VALUE naming options and the unknown option for %s', async (_, options, key, hint) => {
      let sinkCalls = 0;
      const error = await rejectionOf(pump([1], () => void sinkCalls++, options as never));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.code).toBe('ERR_INVALID_ARG_VALUE');
      expect(error.message).toContain('"options" argument');
      expect(error.message).toContain(`"${key}"`);
      if (hint !== undefined) expect(error.message).toContain(`Did you mean "${hint}"?`);
      expect(sinkCalls).toBe(0);
    });

    it('acquires nothing from the source when another argument is invalid', async () => {
      let acquired = 0;
      const source = {
        [Symbol.asyncIterator]() {
          acquired++;
          return generate([1]);
        },
      };
      await rejectionOf(pump(source, 1 as never));
      await rejectionOf(pump(source, () => {}, { signal: 1 as never }));
      expect(acquired).toBe(0);
    });

    it('rejects (does not throw) when the source iterator method throws', async () => {
      const boom = new Error('boom');
      const source = {
        [Symbol.asyncIterator](): AsyncIterator<number> {
          throw boom;
        },
      };
      await expect(pump(source, () => {})).rejects.toBe(boom);
    });
  });

  describe('semantics', () => {
    it('hands every value to the sink in order and resolves at the end', async () => {
      for (const make of [
        () => generate([1, 2, 3]),
        () => [1, 2, 3],
        () => [1, Promise.resolve(2), 3],
        () => new TrackedSource({ values: [1, 2, 3] }).iterable,
      ]) {
        const seen: number[] = [];
        await expect(pump(make(), (value) => void seen.push(value))).resolves.toBeUndefined();
        expect(seen).toEqual([1, 2, 3]);
      }
    });

    it('waits for an async sink before pulling the next value', async () => {
      const log: string[] = [];
      const source = new TrackedSource({ values: [1, 2, 3] });
      await pump(source.iterable, async (value) => {
        log.push(`start ${value} (pulled ${source.nextCalls})`);
        await macrotask();
        log.push(`end ${value}`);
      });
      expect(log).toEqual([
        'start 1 (pulled 1)',
        'end 1',
        'start 2 (pulled 2)',
        'end 2',
        'start 3 (pulled 3)',
        'end 3',
      ]);
    });

    it('runs a sync source into a sync sink without waiting between values', () => {
      const seen: number[] = [];
      void pump([1, 2, 3], (value) => void seen.push(value));
      expect(seen).toEqual([1, 2, 3]);
    });

    it('handles a long sync source without growing the stack', async () => {
      const length = 200_000;
      let sum = 0;
      function* count(): Generator<number> {
        for (let i = 0; i < length; i++) yield i;
      }
      await pump(count(), (value) => {
        sum += value;
      });
      expect(sum).toBe((length * (length - 1)) / 2);
    });

    it('resolves without closing the source when it ends', async () => {
      const controller = new AbortController();
      const source = new TrackedSource({ values: [1, 2] });
      await pump(source.iterable, () => {}, { signal: controller.signal });
      controller.abort();
      expect(source.returnCalls).toBe(0);
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
    });

    it('rejects with signal.reason on abort by default, closing the source once', async () => {
      const controller = new AbortController();
      const source = hangingAfter([1]);
      const result = pump(source.iterable, () => {}, { signal: controller.signal });
      await macrotask();
      expect(await settlesWithin(result, 5)).toBe(false);
      controller.abort();
      expect(await settlesWithin(result, 1)).toBe(true);
      await expect(result).rejects.toBe(controller.signal.reason);
      expect(source.returnCalls).toBe(1);
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
    });

    it('resolves on abort with resolveOnAbort: true', async () => {
      const controller = new AbortController();
      const source = hangingAfter([1]);
      const result = pump(source.iterable, () => {}, { signal: controller.signal, resolveOnAbort: true });
      await macrotask();
      controller.abort();
      await expect(result).resolves.toBeUndefined();
      expect(source.returnCalls).toBe(1);
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
    });

    it('settles at once on abort while a sink call is pending, and ignores its late outcome', async () => {
      const controller = new AbortController();
      const source = new TrackedSource({ values: [1, 2, 3] });
      let failSink!: (error: Error) => void;
      let calls = 0;
      const result = pump(
        source.iterable,
        () => {
          calls++;
          return new Promise<void>((_, reject) => {
            failSink = reject;
          });
        },
        { signal: controller.signal },
      );
      await macrotask();
      expect(calls).toBe(1);
      controller.abort();
      expect(await settlesWithin(result, 1)).toBe(true);
      await expect(result).rejects.toBe(controller.signal.reason);
      // Its rejection is handled: no unhandled rejection fails the run.
      failSink(new Error('late'));
      await macrotask();
      expect(calls).toBe(1);
      expect(source.returnCalls).toBe(1);
      expect(source.nextCalls).toBe(1);
    });

    it('stops when the sink aborts the signal itself', async () => {
      const controller = new AbortController();
      const source = new TrackedSource({ values: [1, 2, 3, 4] });
      const seen: number[] = [];
      const result = pump(
        source.iterable,
        (value) => {
          seen.push(value);
          if (value === 2) controller.abort();
        },
        { signal: controller.signal, resolveOnAbort: true },
      );
      await expect(result).resolves.toBeUndefined();
      expect(seen).toEqual([1, 2]);
      expect(source.nextCalls).toBe(2);
      expect(source.returnCalls).toBe(1);
    });

    it('10,000 pumps waiting on one signal hold one listener, warn nothing and all reject with the reason', async () => {
      const controller = new AbortController();
      const { signal } = controller;
      const capture = captureWarnings();
      try {
        const pending = Array.from({ length: 10_000 }, () =>
          pump(neverSettling(), () => {}, { signal }).then(
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

    it("rejects without calling the sink and closes the source when a duck-typed signal's addEventListener throws", async () => {
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
      let sinkCalls = 0;
      await expect(pump(source.iterable, () => void sinkCalls++, { signal })).rejects.toBe(boom);
      expect(sinkCalls).toBe(0);
      expect(source.nextCalls).toBe(0);
      expect(source.returnCalls).toBe(1);
    });

    it('rejects on an already-aborted signal without pulling, attaching or calling the sink', async () => {
      const controller = new AbortController();
      controller.abort();
      const attaches = countAttaches(controller.signal);
      const source = new TrackedSource({ values: [1, 2] });
      let calls = 0;
      await expect(pump(source.iterable, () => void calls++, { signal: controller.signal })).rejects.toBe(
        controller.signal.reason,
      );
      await expect(
        pump(new TrackedSource({ values: [1] }).iterable, () => {}, { signal: controller.signal, resolveOnAbort: true }),
      ).resolves.toBeUndefined();
      expect(calls).toBe(0);
      expect(source.nextCalls).toBe(0);
      expect(source.returnCalls).toBe(1);
      expect(attaches.count).toBe(0);
    });

    it.each([
      ['throws', (error: Error) => () => {
        throw error;
      }],
      ['rejects', (error: Error) => () => Promise.reject(error)],
    ])('rejects with the sink error when the sink %s, closing the source once', async (_, makeSink) => {
      const controller = new AbortController();
      const source = new TrackedSource({ values: [1, 2, 3] });
      const error = new Error('sink failed');
      await expect(pump(source.iterable, makeSink(error), { signal: controller.signal })).rejects.toBe(error);
      expect(source.nextCalls).toBe(1);
      expect(source.returnCalls).toBe(1);
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
      controller.abort();
      expect(source.returnCalls).toBe(1);
    });

    it('rejects with the source error without closing the source', async () => {
      for (const sync of [false, true]) {
        const controller = new AbortController();
        const source = new TrackedSource({ values: [1, 2], failAt: 1, sync });
        await expect(pump(source.iterable, () => {}, { signal: controller.signal })).rejects.toBeInstanceOf(SourceError);
        expect(source.returnCalls).toBe(0);
        expect(listenerCount(controller.signal, 'abort')).toBe(0);
      }
    });

    it('closes a sync source whose value rejects, and rejects with that error', async () => {
      const source = new TrackedSource({ values: [1, 2, 3], sync: true, rejectValueAt: 1 });
      const seen: number[] = [];
      await expect(pump(source.iterable, (value) => void seen.push(value))).rejects.toBeInstanceOf(SourceError);
      expect(seen).toEqual([1]);
      expect(source.returnCalls).toBe(1);
    });

    it('reports a failing source return() to onReturnError, keeping the sink error', async () => {
      const reported: unknown[] = [];
      const source = new TrackedSource({ values: [1, 2], returnBehavior: 'reject' });
      const error = new Error('sink');
      await expect(
        pump(
          source.iterable,
          () => {
            throw error;
          },
          { onReturnError: (e) => reported.push(e) },
        ),
      ).rejects.toBe(error);
      await macrotask();
      expect(reported).toHaveLength(1);
      expect(reported[0]).toBeInstanceOf(ReturnError);
    });

    it('does not wait for a source return() that hangs', async () => {
      const controller = new AbortController();
      const source = hangingAfter([1], 'hang');
      const result = pump(source.iterable, () => {}, { signal: controller.signal, resolveOnAbort: true });
      await macrotask();
      controller.abort();
      expect(await settlesWithin(result, 1)).toBe(true);
      expect(source.returnCalls).toBe(1);
    });

    it('calls the sink with one argument and no this', async () => {
      const calls: Array<{ self: unknown; args: unknown[] }> = [];
      await pump([1], function (this: unknown, ...args: unknown[]) {
        calls.push({ self: this, args });
      });
      expect(calls).toEqual([{ self: undefined, args: [1] }]);
    });
  });
});
