import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { any, race } from '../src/race.js';

const never = new Promise<never>(() => {});

/** Settles after `n` microtask turns. */
async function afterTicks<T>(n: number, value: T): Promise<T> {
  for (let i = 0; i < n; i++) await undefined;
  return value;
}

/**
 * The microtask turn (counted from the call) at which `make()`'s promise
 * settles, observed by a reaction attached right after the call.
 */
async function settleTick(make: () => Promise<unknown>): Promise<number> {
  let tick = 0;
  let at = -1;
  const p = make();
  p.then(
    () => {
      at = tick;
    },
    () => {
      at = tick;
    },
  );
  for (let i = 0; i < 30 && at === -1; i++) {
    await undefined;
    tick++;
  }
  return at;
}

function outcome(p: Promise<unknown>): Promise<{ status: string; value: unknown }> {
  return p.then(
    (value) => ({ status: 'fulfilled', value }),
    (value: unknown) => ({ status: 'rejected', value }),
  );
}

async function isPending(p: Promise<unknown>, turns = 20): Promise<boolean> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  await afterTicks(turns, undefined);
  return !settled;
}

describe('race', () => {
  describe('semantics', () => {
    it('stays pending forever on an empty iterable (row 1)', async () => {
      expect(await isPending(race([]))).toBe(true);
      expect(await isPending(race(new Set()))).toBe(true);
    });

    it('rejects with a TypeError, never throws, on a non-iterable argument (row 2)', async () => {
      for (const bad of [undefined, null, 5, {}, Symbol('x')]) {
        let result: Promise<unknown> | undefined;
        expect(() => {
          result = race(bad as never);
        }).not.toThrow();
        await expect(result).rejects.toBeInstanceOf(TypeError);
        await expect(Promise.race(bad as never)).rejects.toBeInstanceOf(TypeError);
      }
    });

    it('iterates the input exactly once (generators, one-shot iterables, strings, Sets) (row 3)', async () => {
      let pulls = 0;
      function* gen(): Generator<Promise<string> | string> {
        pulls++;
        yield never;
        pulls++;
        yield afterTicks(2, 'gen');
        pulls++;
      }
      expect(await race(gen())).toBe('gen');
      expect(pulls).toBe(3);

      let iterations = 0;
      const oneShot: Iterable<number> = {
        [Symbol.iterator]() {
          iterations++;
          if (iterations > 1) throw new Error('iterated twice');
          let i = 0;
          return { next: () => (i < 2 ? { value: i++, done: false } : { value: undefined, done: true }) };
        },
      };
      expect(await race(oneShot)).toBe(0);
      // Settling and releasing must not re-read the input.
      await afterTicks(5, undefined);
      expect(iterations).toBe(1);

      expect(await race('ab')).toBe('a');
      expect(await race(new Set([never, Promise.resolve('set')]))).toBe('set');
    });

    it('rejects with the error an iterator throws from next() or value, without closing it (row 4)', async () => {
      for (const where of ['next', 'value'] as const) {
        const error = new Error(where);
        let returned = 0;
        let step = 0;
        const iterable: Iterable<unknown> = {
          [Symbol.iterator]: () => ({
            next() {
              step++;
              if (step === 1) return { value: never, done: false };
              if (where === 'next') throw error;
              return {
                get value(): unknown {
                  throw error;
                },
                done: false,
              };
            },
            return() {
              returned++;
              return { value: undefined, done: true };
            },
          }),
        };
        await expect(race(iterable)).rejects.toBe(error);
        await expect(Promise.race(iterable)).rejects.toBe(error);
        expect(returned).toBe(0);
      }
    });

    it('closes the iterator when resolving a contender throws, like the built-in (row 4)', async () => {
      const error = new Error('constructor getter');
      const hostile = Promise.resolve('x');
      Object.defineProperty(hostile, 'constructor', {
        get() {
          throw error;
        },
      });
      let returned = 0;
      const iterable = (): Iterable<unknown> => ({
        [Symbol.iterator]: () => {
          let i = 0;
          return {
            next: () => (i++ === 0 ? { value: hostile, done: false } : { value: undefined, done: true }),
            return: () => {
              returned++;
              return { value: undefined, done: true };
            },
          };
        },
      });
      await expect(race(iterable())).rejects.toBe(error);
      expect(returned).toBe(1);
      await expect(Promise.race(iterable())).rejects.toBe(error);
      expect(returned).toBe(2);
    });

    it('keeps earlier contenders harmless after an iterator error (row 4)', async () => {
      let rejectLater!: (reason: unknown) => void;
      const later = new Promise((_, reject) => {
        rejectLater = reject;
      });
      function* gen(): Generator<Promise<unknown>> {
        yield later;
        throw new Error('boom');
      }
      await expect(race(gen())).rejects.toThrow('boom');
      rejectLater(new Error('late'));
      // The late rejection is handled by the shared subscription: no
      // unhandled rejection reaches vitest (which would fail the run).
      await afterTicks(5, undefined);
    });

    it('settles non-thenables in iteration order (row 5)', async () => {
      expect(await race(['b', Promise.resolve('a')])).toBe('b');
      expect(await race([Promise.resolve('a'), 'b'])).toBe('a');
      expect(await race([1, 2, 3])).toBe(1);
    });

    it('lets the first already-settled contender in iteration order win, fulfilled or rejected (row 6)', async () => {
      const rejected = Promise.reject(new Error('first'));
      rejected.catch(() => {});
      const fulfilled = Promise.resolve('second');
      await afterTicks(3, undefined);
      await expect(race([rejected, fulfilled])).rejects.toThrow('first');
      expect(await race([fulfilled, rejected])).toBe('second');
    });

    it('does not let a previously raced settled promise win out of order (row 6)', async () => {
      const a = Promise.resolve('a');
      const b = Promise.resolve('b');
      await race([a]);
      void race([b]); // b's shared reaction is now queued
      expect(await race([Promise.resolve('c'), b])).toBe(await Promise.race([Promise.resolve('c'), b]));
      void race([b, a]);
      expect(await race([a, b])).toBe('a');
    });

    it('calls a thenable\'s then in a later microtask with resolve and reject (row 7)', async () => {
      const calls: Array<{ sync: boolean; arity: number; types: string[] }> = [];
      let inCall = true;
      const thenable = {
        then(resolve: (v: unknown) => void, reject: (r: unknown) => void) {
          calls.push({ sync: inCall, arity: arguments.length, types: [typeof resolve, typeof reject] });
          resolve('thenable');
        },
      };
      const p = race([thenable]);
      inCall = false;
      expect(await p).toBe('thenable');
      expect(calls).toEqual([{ sync: false, arity: 2, types: ['function', 'function'] }]);
    });

    it('rejects when then throws or the then getter throws (row 7)', async () => {
      const error = new Error('then');
      await expect(
        race([
          {
            then() {
              throw error;
            },
          },
        ]),
      ).rejects.toBe(error);
      const getterError = new Error('getter');
      await expect(
        race([
          {
            get then() {
              throw getterError;
            },
          },
        ]),
      ).rejects.toBe(getterError);
    });

    it('counts only the first resolution of a thenable (row 7)', async () => {
      const thenable = {
        then(resolve: (v: unknown) => void, reject: (r: unknown) => void) {
          resolve('first');
          reject(new Error('ignored'));
          resolve('ignored');
        },
      };
      expect(await race([thenable])).toBe('first');
    });

    it('treats functions with a then method as thenables (row 7)', async () => {
      const fn = Object.assign(() => {}, {
        then(resolve: (v: unknown) => void) {
          resolve('function thenable');
        },
      });
      expect(await race([fn])).toBe('function thenable');
    });

    it('settles every race sharing one promise, twice in one input or across many races (row 8)', async () => {
      let resolve!: (v: string) => void;
      const shared = new Promise<string>((r) => {
        resolve = r;
      });
      const races = Array.from({ length: 100 }, () => race([shared, never]));
      const twice = race([shared, shared]);
      resolve('shared');
      expect(await Promise.all(races)).toEqual(Array(100).fill('shared'));
      expect(await twice).toBe('shared');
      expect(await race([shared])).toBe('shared');
    });

    it('settles races sharing a contender in the order they joined, like the built-in (row 8)', async () => {
      const run = async (racer: (xs: Iterable<unknown>) => Promise<unknown>): Promise<string[]> => {
        const order: string[] = [];
        let resolveShared!: (v: string) => void;
        const shared = new Promise<string>((r) => {
          resolveShared = r;
        });
        let resolveX!: (v: string) => void;
        const x = racer([shared, new Promise((r) => (resolveX = r))]);
        const y = racer([shared, never]);
        resolveX('x'); // x leaves the shared contender first
        await x;
        const z = racer([shared, never]);
        void y.then(() => order.push('y'));
        void z.then(() => order.push('z'));
        await afterTicks(2, undefined);
        resolveShared('s');
        await afterTicks(5, undefined);
        return order;
      };
      expect(await run(race)).toEqual(await run((xs) => Promise.race(xs)));
      expect(await run(race)).toEqual(['y', 'z']);
    });

    it('raises no unhandled rejection for losers, and exactly one for an unhandled rejected result (row 9)', () => {
      // Unhandled rejections fail a vitest run, so count them in a child.
      const script = `
        import { race } from ${JSON.stringify(new URL('../src/race.ts', import.meta.url).href)};
        let count = 0;
        process.on('unhandledRejection', () => count++);
        const late = new Promise((_, reject) => setTimeout(() => reject(new Error('loser')), 5));
        await race([Promise.resolve('winner'), late]);
        race([Promise.reject(new Error('unhandled result'))]);
        await new Promise((r) => setTimeout(r, 30));
        console.log(JSON.stringify({ count }));
      `;
      const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        encoding: 'utf8',
      });
      expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ count: 1 });
    });

    it('returns a new native promise (row 10)', () => {
      const p = Promise.resolve(1);
      const result = race([p]);
      expect(result).not.toBe(p);
      expect(Object.getPrototypeOf(result)).toBe(Promise.prototype);
      expect(race([]) instanceof Promise).toBe(true);
    });

    it('settles in the same microtask turn as the built-in (row 12)', async () => {
      const scenarios: Array<[string, () => Iterable<unknown>]> = [
        ['value', () => [1]],
        ['resolved promise', () => [Promise.resolve(1)]],
        ['rejected promise', () => [Promise.reject(new Error('x'))]],
        ['promise settling later', () => [afterTicks(3, 'late'), never]],
        ['thenable', () => [{ then: (r: (v: number) => void) => r(1) }]],
        ['promise resolved to a promise', () => [Promise.resolve().then(() => Promise.resolve(1))]],
        ['value after pending', () => [never, 'v']],
      ];
      for (const [name, make] of scenarios) {
        const ours = await settleTick(() => race(make()));
        const native = await settleTick(() => Promise.race(make()));
        expect(native).toBeGreaterThanOrEqual(0);
        expect({ name, tick: ours }).toEqual({ name, tick: native });
      }
    });

    it('settles in the same microtask turn when a contender was raced before (row 12)', async () => {
      const settled = Promise.resolve('settled');
      await race([settled]);
      let resolve!: (v: string) => void;
      const pending = new Promise<string>((r) => {
        resolve = r;
      });
      void race([pending, never]);
      void Promise.race([pending, never]);
      expect(await settleTick(() => race([settled]))).toBe(await settleTick(() => Promise.race([settled])));
      const ours = settleTick(() => race([pending, never]));
      const native = settleTick(() => Promise.race([pending, never]));
      resolve('now');
      expect(await ours).toBe(await native);
    });

    it('matches the built-in for tuples of mixed types', async () => {
      const result: string | number = await race([Promise.resolve('a'), 1] as const);
      expect(result).toBe('a');
    });
  });

  describe('any', () => {
    it('fulfils with the first fulfilment (row 11)', async () => {
      expect(await any([Promise.reject(new Error('x')), afterTicks(2, 'b'), afterTicks(1, 'a')])).toBe('a');
      expect(await any(['v', Promise.reject(new Error('x'))])).toBe('v');
    });

    it('rejects with an AggregateError whose errors are in iteration order (row 11)', async () => {
      const e1 = new Error('1');
      const e2 = new Error('2');
      const e3 = new Error('3');
      const error: unknown = await any([
        afterTicks(3, undefined).then(() => {
          throw e1;
        }),
        Promise.reject(e2),
        afterTicks(1, undefined).then(() => {
          throw e3;
        }),
      ]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AggregateError);
      expect((error as AggregateError).errors).toEqual([e1, e2, e3]);
      expect((error as AggregateError).message).toBe('All promises were rejected');
    });

    it('rejects at once on an empty input, like Promise.any (row 11)', async () => {
      const ours = any([]);
      const native = Promise.any([]);
      const [o, n] = await Promise.all([outcome(ours), outcome(native)]);
      expect(o.status).toBe('rejected');
      expect(o.value).toBeInstanceOf(AggregateError);
      expect((o.value as AggregateError).errors).toEqual([]);
      expect(n.status).toBe('rejected');
      expect(await settleTick(() => any([]))).toBe(await settleTick(() => Promise.any([])));
    });

    it('rejects with a TypeError on a non-iterable argument (row 2)', async () => {
      await expect(any(42 as never)).rejects.toBeInstanceOf(TypeError);
    });

    it('rejects with an iterator error (row 4)', async () => {
      function* gen(): Generator<Promise<never>> {
        yield never;
        throw new Error('iter');
      }
      await expect(any(gen())).rejects.toThrow('iter');
    });

    it('settles every any() sharing one promise, including the same promise twice (row 8)', async () => {
      let reject!: (r: unknown) => void;
      const shared = new Promise<never>((_, r) => {
        reject = r;
      });
      const twice = any([shared, shared]);
      const many = Array.from({ length: 20 }, () => any([shared]));
      const error = new Error('shared');
      reject(error);
      expect(((await twice.catch((e: unknown) => e)) as AggregateError).errors).toEqual([error, error]);
      for (const p of many) expect(((await p.catch((e: unknown) => e)) as AggregateError).errors).toEqual([error]);
    });

    it('settles in the same microtask turn as the built-in (row 12)', async () => {
      const scenarios: Array<[string, () => Iterable<unknown>]> = [
        ['value', () => [1]],
        ['rejections', () => [Promise.reject(new Error('a')), Promise.reject(new Error('b'))]],
        ['later', () => [afterTicks(2, 'x'), never]],
      ];
      for (const [name, make] of scenarios) {
        expect({ name, tick: await settleTick(() => any(make())) }).toEqual({
          name,
          tick: await settleTick(() => Promise.any(make())),
        });
      }
    });
  });
});

// Issue 8, item 6: nothing half-applied when user code throws. A native
// promise (so it is shared between races) whose `then` throws: the built-ins
// reject with that error; v0.1 stamped its record on the promise first, so
// every later race on it hung.
function promiseWithThrowingThen(value: number, error: Error): Promise<number> {
  const promise = Promise.resolve(value);
  Object.defineProperty(promise, 'then', {
    configurable: true,
    value: () => {
      throw error;
    },
  });
  return promise;
}

function restoreThen(promise: Promise<unknown>): void {
  delete (promise as { then?: unknown }).then;
}

describe('user code that throws', () => {
  it('race rejects with the error of a contender whose then throws, and a later race on it works', async () => {
    const boom = new Error('then throws');
    const ours = promiseWithThrowingThen(1, boom);
    const builtin = promiseWithThrowingThen(1, boom);
    await expect(race([ours])).rejects.toBe(boom);
    await expect(Promise.race([builtin])).rejects.toBe(boom);
    restoreThen(ours);
    restoreThen(builtin);
    await expect(race([ours])).resolves.toBe(1);
    await expect(Promise.race([builtin])).resolves.toBe(1);
  });

  it('any rejects with the error of a contender whose then throws, and a later any on it works', async () => {
    const boom = new Error('then throws');
    const ours = promiseWithThrowingThen(2, boom);
    const builtin = promiseWithThrowingThen(2, boom);
    await expect(any([new Promise(() => {}), ours])).rejects.toBe(boom);
    await expect(Promise.any([new Promise(() => {}), builtin])).rejects.toBe(boom);
    restoreThen(ours);
    restoreThen(builtin);
    await expect(any([ours])).resolves.toBe(2);
    await expect(Promise.any([builtin])).resolves.toBe(2);
  });

  it('race rejects like Promise.race for a promise subclass whose then throws', async () => {
    const boom = new Error('subclass then throws');
    class Throwing<T> extends Promise<T> {
      override then(): never {
        throw boom;
      }
    }
    const contender = new Throwing<number>((resolve) => resolve(3));
    await expect(race([contender])).rejects.toBe(boom);
    await expect(Promise.race([contender])).rejects.toBe(boom);
  });
});
