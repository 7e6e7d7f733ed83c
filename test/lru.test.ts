// Behaviour and validation of `LRU` (issue 4 §1). Contract rows:
//  1. exact LRU order and eviction
//  2. keys by identity (SameValueZero, like Map)
//  3. onEvict once per removed entry, with the right reason
//  4. calling back into the cache from onEvict does not corrupt it
//  5. sizeOf results validated; a failing set leaves the cache unchanged
//  6. an entry larger than maxSize is not stored
//  7. TTL: lazy expiry on access
//  8. TTL: at most one unref'ed timer for the whole cache, rescheduled
//  9. TTL: durations above 2^31-1 ms
// 10. per-set ttl override
// 11. bad options rejected by the constructor, naming the option
// 12. [Symbol.dispose] clears the timer and the entries
// 13. memory grows with use, not with max (lru.gc.test.ts)
// 14. removed entries' key and value slots are cleared at once: evicted,
//     deleted, expired, overwritten and cleared values are collectable
//     (lru.gc.test.ts)
// 15. a dropped cache is collectable with its timer pending, and the unref'ed
//     timer never keeps the process alive (lru.gc.test.ts)
// 16. onEvict errors: onError, else rethrown from the call, else (timer) a
//     process warning, never an uncaught exception
// 17. unknown option names rejected with the name to write instead
// Model-based sequences live in lru.property.test.ts.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type EvictReason, LRU } from '../src/lru.js';

type Report = [key: unknown, value: unknown, reason: EvictReason];

function recorder(): { reports: Report[]; onEvict: (value: unknown, key: unknown, reason: EvictReason) => void } {
  const reports: Report[] = [];
  return { reports, onEvict: (value, key, reason) => void reports.push([key, value, reason]) };
}

/** Every structural view of the cache agrees with the others. */
function expectConsistent<K, V>(cache: LRU<K, V>): void {
  const keys = [...cache.keys()];
  const values = [...cache.values()];
  const entries = [...cache.entries()];
  expect(keys.length).toBe(cache.size);
  expect(new Set(keys).size).toBe(keys.length);
  expect(entries).toEqual(keys.map((k, i) => [k, values[i]]));
  for (const [k, v] of entries) {
    expect(cache.has(k)).toBe(true);
    expect(cache.peek(k)).toBe(v);
  }
  expect(keys.length).toBeLessThanOrEqual(cache.max);
}

function activeTimeouts(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('LRU', () => {
  describe('validation', () => {
    it('requires an options object', () => {
      // @ts-expect-error -- no options
      expect(() => new LRU()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' }));
      // @ts-expect-error -- null options
      expect(() => new LRU(null)).toThrow(/"options" argument/);
    });

    it('requires max and names options.max', () => {
      // @ts-expect-error -- max is required
      expect(() => new LRU({})).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"options.max" property') }));
      // @ts-expect-error -- wrong type
      expect(() => new LRU({ max: '10' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    });

    it.each([0, -1, NaN, 1.5, Infinity, -Infinity, 2 ** 53])('rejects max %s with a RangeError naming options.max', (max) => {
      let error: unknown;
      try {
        new LRU({ max });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(RangeError);
      expect(error).toMatchObject({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('"options.max"') });
    });

    it('accepts max: Infinity only together with maxSize', () => {
      const cache = new LRU<string, string>({ max: Infinity, maxSize: 3, sizeOf: () => 1 });
      expect(cache.max).toBe(Infinity);
      for (let i = 0; i < 10; i++) cache.set(String(i), 'x');
      expect(cache.size).toBe(3);
    });

    it.each([-1, 0, NaN, -Infinity])('rejects ttl %s with a RangeError naming options.ttl', (ttl) => {
      expect(() => new LRU({ max: 1, ttl })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('"options.ttl"') }));
    });

    it('rejects a non-number ttl with a TypeError', () => {
      // @ts-expect-error -- wrong type
      expect(() => new LRU({ max: 1, ttl: '5' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"options.ttl"') }));
    });

    it('rejects a non-function onEvict or sizeOf', () => {
      // @ts-expect-error -- wrong type
      expect(() => new LRU({ max: 1, onEvict: 1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"options.onEvict"') }));
      // @ts-expect-error -- wrong type
      expect(() => new LRU({ max: 1, maxSize: 5, sizeOf: 'length' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"options.sizeOf"') }));
    });

    it('requires maxSize and sizeOf together', () => {
      expect(() => new LRU({ max: 1, maxSize: 5 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"options.sizeOf"') }));
      expect(() => new LRU({ max: 1, sizeOf: () => 1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"options.maxSize"') }));
    });

    it.each([0, -3, 1.5, NaN, Infinity])('rejects maxSize %s with a RangeError naming options.maxSize', (maxSize) => {
      expect(() => new LRU({ max: 1, maxSize, sizeOf: () => 1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('"options.maxSize"') }));
    });

    it.each([
      ['dispose', 'onEvict'],
      ['disposeAfter', 'onEvict'],
      ['onEviction', 'onEvict'],
      ['maxAge', 'ttl'],
      ['ttlAutopurge', 'ttl'],
      ['length', 'sizeOf'],
      ['sizeCalculation', 'sizeOf'],
      ['maxEntrySize', 'maxSize'],
      ['onevict', 'onEvict'],
    ])('rejects the unknown option %s, naming %s instead', (name, hint) => {
      expect(() => new LRU({ max: 10, [name]: 1 } as never)).toThrow(
        expect.objectContaining({
          name: 'TypeError',
          code: 'ERR_INVALID_ARG_VALUE',
          message: expect.stringMatching(new RegExp(`"options".*"${name}".*Did you mean "${hint}"`)),
        }),
      );
    });

    it('rejects a positional bound or signal, saying what to write', () => {
      expect(() => new LRU(100 as never)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('{ max }') }),
      );
      expect(() => new LRU(new AbortController().signal as never)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('{ signal }') }),
      );
    });

    it('rejects unknown set options, naming ttl for maxAge, and changes nothing', () => {
      const cache = new LRU<string, number>({ max: 2 });
      expect(() => cache.set('a', 1, { maxAge: 5 } as never)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/"maxAge".*Did you mean "ttl"/) }),
      );
      expect(() => cache.set('a', 1, { ttl: 5, size: 3 } as never)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('"size"') }),
      );
      expect(cache.size).toBe(0);
      cache.set('a', 1, { ttl: 1000 });
      expect(cache.get('a')).toBe(1);
    });

    it('rejects a non-function onError', () => {
      expect(() => new LRU({ max: 1, onError: 'log' as never })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"options.onError"') }),
      );
    });

    it('validates set options before changing anything', () => {
      const { reports, onEvict } = recorder();
      const cache = new LRU<string, number>({ max: 1, onEvict });
      cache.set('a', 1);
      expect(() => cache.set('b', 2, { ttl: -1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('"options.ttl"') }));
      expect(() => cache.set('b', 2, { ttl: 0 })).toThrow(RangeError);
      // @ts-expect-error -- wrong type
      expect(() => cache.set('b', 2, null)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
      expect([...cache]).toEqual([['a', 1]]);
      expect(reports).toEqual([]);
    });
  });

  describe('semantics', () => {
    it('evicts the least recently used entry; get refreshes, peek and has do not', () => {
      const { reports, onEvict } = recorder();
      const cache = new LRU<string, number>({ max: 3, onEvict });
      cache.set('a', 1).set('b', 2).set('c', 3);
      expect([...cache.keys()]).toEqual(['c', 'b', 'a']);
      expect(cache.get('a')).toBe(1);
      expect(cache.peek('b')).toBe(2);
      expect(cache.has('b')).toBe(true);
      expect([...cache.keys()]).toEqual(['a', 'c', 'b']);
      cache.set('d', 4);
      expect(reports).toEqual([['b', 2, 'evict']]);
      expect([...cache.keys()]).toEqual(['d', 'a', 'c']);
      cache.set('c', 30); // update refreshes too
      cache.set('e', 5);
      expect(reports.at(-1)).toEqual(['a', 1, 'evict']);
      expect([...cache.entries()]).toEqual([['e', 5], ['c', 30], ['d', 4]]);
      expect([...cache.values()]).toEqual([5, 30, 4]);
      expect([...cache]).toEqual([...cache.entries()]);
      expect(cache.get('zz')).toBeUndefined();
      expect(cache.peek('zz')).toBeUndefined();
      expectConsistent(cache);
    });

    it('keeps exactly max entries with max: 1', () => {
      const cache = new LRU<number, number>({ max: 1 });
      for (let i = 0; i < 5; i++) cache.set(i, i);
      expect([...cache]).toEqual([[4, 4]]);
      expect(cache.get(4)).toBe(4);
    });

    it.each([65_535, 65_536])('stays exact at the 16-bit link boundary (max %i)', (max) => {
      const { reports, onEvict } = recorder();
      const cache = new LRU<number, number>({ max, onEvict });
      for (let i = 0; i < max + 10; i++) cache.set(i, i);
      expect(cache.size).toBe(max);
      expect(reports.map((r) => r[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(cache.get(10)).toBe(10); // the least recent becomes the most recent
      expect(cache.delete(max + 9)).toBe(true);
      cache.set(-1, -1).set(-2, -2); // reuses the freed slot, then evicts 11
      expect(reports.at(-1)).toEqual([11, 11, 'evict']);
      expect([...cache.keys()].slice(0, 4)).toEqual([-2, -1, 10, max + 8]);
      expect(cache.peek(max + 8)).toBe(max + 8);
    });

    it('stores undefined values and reports has() for them', () => {
      const cache = new LRU<string, undefined>({ max: 2 });
      cache.set('u', undefined);
      expect(cache.has('u')).toBe(true);
      expect(cache.size).toBe(1);
    });

    it('reuses freed slots and stays exact through many operations', () => {
      const cache = new LRU<number, number>({ max: 50 });
      const reference = new Map<number, number>(); // insertion order = recency order (oldest first)
      let seed = 1;
      const random = (): number => (seed = (seed * 16807) % 2147483647) % 120;
      for (let step = 0; step < 5000; step++) {
        const k = random();
        const op = step % 4;
        if (op === 0 || op === 1) {
          cache.set(k, step);
          reference.delete(k);
          reference.set(k, step);
          if (reference.size > 50) reference.delete(reference.keys().next().value!);
        } else if (op === 2) {
          const expected = reference.get(k);
          if (expected !== undefined) {
            reference.delete(k);
            reference.set(k, expected);
          }
          expect(cache.get(k)).toBe(expected);
        } else {
          expect(cache.delete(k)).toBe(reference.delete(k));
        }
      }
      expect([...cache]).toEqual([...reference].reverse());
    });

    it('compares keys by SameValueZero like Map', () => {
      const cache = new LRU<unknown, string>({ max: 10 });
      const a = { id: 1 };
      const b = { id: 1 };
      cache.set(a, 'a').set(b, 'b');
      expect(cache.get(a)).toBe('a');
      expect(cache.get(b)).toBe('b');
      cache.set(NaN, 'nan');
      expect(cache.get(NaN)).toBe('nan');
      expect(cache.has(Number('x'))).toBe(true);
      cache.set(-0, 'zero');
      expect(cache.get(0)).toBe('zero');
      expect(cache.get(+0)).toBe('zero');
      cache.set(0, 'zero again');
      expect(cache.size).toBe(4); // a, b, NaN, 0
      cache.set('1', 'string one').set(1, 'number one');
      expect(cache.get('1')).toBe('string one');
      expect(cache.get(1)).toBe('number one');
      const map = new Map<unknown, string>([[-0, 'x']]);
      expect([...cache.keys()].filter((k) => k === 0).map((k) => Object.is(k, -0))).toEqual([...map.keys()].map((k) => Object.is(k, -0)));
      expect(cache.delete(NaN)).toBe(true);
      expect(cache.has(NaN)).toBe(false);
    });

    it('treats __proto__, constructor and toString as ordinary keys', () => {
      const cache = new LRU<string, number>({ max: 10 });
      expect(cache.has('__proto__')).toBe(false);
      expect(cache.get('constructor')).toBeUndefined();
      cache.set('__proto__', 1).set('constructor', 2).set('toString', 3).set('hasOwnProperty', 4);
      expect(cache.get('__proto__')).toBe(1);
      expect(cache.get('constructor')).toBe(2);
      expect(cache.get('toString')).toBe(3);
      expect(cache.size).toBe(4);
      expect(Object.getPrototypeOf(cache)).toBe(LRU.prototype);
      expect(cache.delete('__proto__')).toBe(true);
      expect(cache.has('__proto__')).toBe(false);
    });

    it('accepts undefined, null, symbols and functions as keys', () => {
      const cache = new LRU<unknown, number>({ max: 10 });
      const s = Symbol('s');
      const f = (): void => {};
      cache.set(undefined, 1).set(null, 2).set(s, 3).set(f, 4);
      expect([cache.get(undefined), cache.get(null), cache.get(s), cache.get(f)]).toEqual([1, 2, 3, 4]);
      expect([...cache.keys()]).toEqual([f, s, null, undefined]);
    });

    it('reports each removed entry exactly once with its reason', () => {
      const { reports, onEvict } = recorder();
      const cache = new LRU<string, number>({ max: 2, onEvict });
      cache.set('a', 1).set('b', 2);
      cache.set('c', 3); // evicts a
      cache.set('b', 20); // replaces 2
      cache.set('b', 20); // same value: nothing left the cache
      expect(cache.delete('c')).toBe(true);
      expect(cache.delete('c')).toBe(false);
      cache.set('d', 4);
      cache.clear();
      expect(reports).toEqual([
        ['a', 1, 'evict'],
        ['b', 2, 'set'],
        ['c', 3, 'delete'],
        ['b', 20, 'clear'], // least recent first
        ['d', 4, 'clear'],
      ]);
      cache.clear();
      expect(reports).toHaveLength(5);
    });

    it('treats NaN replacing NaN as the same value', () => {
      const { reports, onEvict } = recorder();
      const cache = new LRU<string, number>({ max: 2, onEvict });
      cache.set('a', NaN).set('a', NaN);
      expect(reports).toEqual([]);
      cache.set('a', 0).set('a', -0);
      expect(reports).toEqual([['a', NaN, 'set']]);
    });

    it('reports expired entries with expire', () => {
      vi.useFakeTimers();
      const { reports, onEvict } = recorder();
      const cache = new LRU<string, number>({ max: 5, ttl: 100, onEvict });
      cache.set('a', 1);
      vi.advanceTimersByTime(100);
      expect(reports).toEqual([['a', 1, 'expire']]);
      cache[Symbol.dispose]();
    });

    it('lets onEvict read the cache, which already reflects the removal', () => {
      const seen: unknown[] = [];
      const cache: LRU<string, number> = new LRU<string, number>({
        max: 2,
        onEvict: (_v, key) => {
          seen.push([key, cache.has(key), cache.size, cache.get('b'), [...cache.keys()]]);
        },
      });
      cache.set('a', 1).set('b', 2).set('c', 3);
      expect(seen).toEqual([['a', false, 2, 2, ['b', 'c']]]);
      expect([...cache.keys()]).toEqual(['b', 'c']);
      expectConsistent(cache);
    });

    it('lets onEvict set: the re-inserted entry evicts the next one, reported after', () => {
      const reasons: string[] = [];
      let reinsert = true;
      const cache: LRU<string, number> = new LRU<string, number>({
        max: 3,
        onEvict: (value, key, reason) => {
          reasons.push(`${key}:${reason}`);
          if (reinsert && key === 'a') cache.set('a', value); // refuse to let 'a' go, once
          reinsert = false;
        },
      });
      cache.set('a', 1).set('b', 2).set('c', 3).set('d', 4);
      expect(reasons).toEqual(['a:evict', 'b:evict']);
      expect([...cache.keys()]).toEqual(['a', 'd', 'c']);
      expectConsistent(cache);
    });

    it('lets onEvict delete and clear during a multi-entry eviction', () => {
      const reports: string[] = [];
      const cache: LRU<string, string> = new LRU<string, string>({
        max: Infinity,
        maxSize: 6,
        sizeOf: (v) => v.length,
        onEvict: (_v, key, reason) => {
          reports.push(`${key}:${reason}`);
          if (key === 'a') cache.delete('c');
          if (key === 'b') cache.clear();
        },
      });
      cache.set('a', 'xx').set('b', 'xx').set('c', 'x').set('d', 'x');
      cache.set('e', 'xxxx'); // needs 4: evicts a, then b (sizes 2 + 2)
      expect(reports).toEqual(['a:evict', 'b:evict', 'c:delete', 'd:clear', 'e:clear']);
      expect(cache.size).toBe(0);
      expect(cache.totalSize).toBe(0);
      cache.set('f', 'xxxxxx');
      expect([...cache]).toEqual([['f', 'xxxxxx']]);
      expectConsistent(cache);
    });

    it('lets onEvict set during clear: the new entry survives the clear', () => {
      const cache: LRU<string, number> = new LRU<string, number>({
        max: 5,
        onEvict: (value, key, reason) => {
          if (reason === 'clear' && key === 'b') cache.set('late', value * 10);
        },
      });
      cache.set('a', 1).set('b', 2).set('c', 3);
      cache.clear();
      expect([...cache]).toEqual([['late', 20]]);
      expectConsistent(cache);
    });

    it('lets onEvict call into the cache during timer expiry', () => {
      vi.useFakeTimers();
      const log: string[] = [];
      const cache: LRU<string, number> = new LRU<string, number>({
        max: 5,
        ttl: 10,
        onEvict: (value, key, reason) => {
          log.push(`${key}:${reason}`);
          if (key === 'a') cache.set('a2', value, { ttl: 5 });
        },
      });
      cache.set('a', 1).set('b', 2, { ttl: 50 });
      vi.advanceTimersByTime(10);
      expect(log).toEqual(['a:expire']);
      expect([...cache.keys()]).toEqual(['a2', 'b']);
      vi.advanceTimersByTime(5);
      expect(log).toEqual(['a:expire', 'a2:expire']);
      vi.advanceTimersByTime(35);
      expect(log).toEqual(['a:expire', 'a2:expire', 'b:expire']);
      expect(vi.getTimerCount()).toBe(0);
    });

    it('reports every entry even when onEvict throws, then rethrows', () => {
      const seen: string[] = [];
      const boom = new Error('boom');
      const cache = new LRU<string, number>({
        max: 5,
        onEvict: (_v, key) => {
          seen.push(key);
          if (key === 'a') throw boom;
        },
      });
      cache.set('a', 1).set('b', 2).set('c', 3);
      expect(() => cache.delete('a')).toThrow(boom);
      expect(cache.has('a')).toBe(false);
      expect(() => cache.clear()).not.toThrow();
      expect(seen).toEqual(['a', 'b', 'c']);

      const multi = new LRU<string, number>({
        max: 5,
        onEvict: (_v, key) => {
          throw new Error(key);
        },
      });
      multi.set('a', 1).set('b', 2);
      let error: unknown;
      try {
        multi.clear();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(AggregateError);
      expect((error as AggregateError).errors.map((e: Error) => e.message)).toEqual(['a', 'b']);
      expect(multi.size).toBe(0);
    });

    it('hands onEvict errors to onError instead of rethrowing them, on every path', () => {
      vi.useFakeTimers();
      const errors: unknown[] = [];
      const cache = new LRU<string, number>({
        max: 2,
        ttl: 100,
        onEvict: (_v, key) => {
          throw new Error(key);
        },
        onError: (error) => void errors.push(error),
      });
      cache.set('a', 1).set('b', 2).set('c', 3); // evicts a
      expect(() => cache.delete('b')).not.toThrow();
      vi.advanceTimersByTime(100); // c expires on the timer
      expect(errors.map((e) => (e as Error).message)).toEqual(['a', 'b', 'c']);
      expect(cache.size).toBe(0);
    });

    it('reports an onEvict error on the expiry timer as a warning, not an uncaught exception', async () => {
      const warnings: Array<Error & { code?: string; detail?: string }> = [];
      const onWarning = (warning: Error) => void warnings.push(warning);
      process.on('warning', onWarning);
      try {
        const cache = new LRU<string, number>({
          max: 10,
          ttl: 5,
          onEvict: () => {
            throw new Error('boom from onEvict');
          },
        });
        cache.set('a', 1);
        await vi.waitFor(() => expect(warnings.some((w) => w.code === 'LEAKPROOF_EVICT_ERROR')).toBe(true), { timeout: 2000 });
        const warning = warnings.find((w) => w.code === 'LEAKPROOF_EVICT_ERROR')!;
        expect(warning.name).toBe('LeakproofWarning');
        expect(warning.message).toContain('onError');
        expect(warning.detail).toContain('boom from onEvict');
        // The cache is consistent and keeps working after the error.
        cache.set('b', 2);
        expect(cache.get('b')).toBe(2);
      } finally {
        process.off('warning', onWarning);
      }
    });

    it('does not crash the process when onEvict throws on the expiry timer (child process)', () => {
      const root = fileURLToPath(new URL('..', import.meta.url));
      const script = [
        `import { LRU } from './src/lru.ts';`,
        `const cache = new LRU({ max: 10, ttl: 5, onEvict: () => { throw new Error('boom from onEvict'); } });`,
        `cache.set('a', 1);`,
        // Ref'ed: the child waits for the timer path to run.
        `setTimeout(() => console.log('alive', cache.size), 100);`,
      ].join('\n');
      const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: root,
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(result.status).toBe(0);
      expect(result.stdout).toBe('alive 0\n');
      expect(result.stderr).toContain('LEAKPROOF_EVICT_ERROR');
      expect(result.stderr).toContain('boom from onEvict');
    });

    it('rejects a non-positive-integer size with a RangeError and changes nothing', () => {
      const { reports, onEvict } = recorder();
      let nextSize: unknown = 1;
      const cache = new LRU<string, number>({ max: 3, maxSize: 10, sizeOf: () => nextSize as number, onEvict });
      cache.set('a', 1).set('b', 2).set('c', 3);
      for (const bad of [0, -1, 1.5, NaN, Infinity, '2', undefined, 2 ** 53]) {
        nextSize = bad;
        let error: unknown;
        try {
          cache.set('d', 4); // would evict 'a' if applied
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(RangeError);
        expect(error).toMatchObject({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('options.sizeOf') });
        try {
          cache.set('b', 20); // would replace 'b' if applied
        } catch {
          // expected
        }
      }
      expect([...cache]).toEqual([['c', 3], ['b', 2], ['a', 1]]);
      expect(cache.totalSize).toBe(3);
      expect(reports).toEqual([]);
    });

    it('passes value and key to sizeOf and keeps the total', () => {
      const calls: unknown[] = [];
      const cache = new LRU<string, string>({
        max: 10,
        maxSize: 10,
        sizeOf: (value, key) => {
          calls.push([value, key]);
          return value.length;
        },
      });
      cache.set('a', 'xxx').set('b', 'yyyy');
      expect(calls).toEqual([['xxx', 'a'], ['yyyy', 'b']]);
      expect(cache.totalSize).toBe(7);
      cache.set('a', 'x');
      expect(cache.totalSize).toBe(5);
      cache.delete('b');
      expect(cache.totalSize).toBe(1);
      cache.set('c', 'x'.repeat(10));
      expect([...cache.keys()]).toEqual(['c']);
      expect(cache.totalSize).toBe(10);
    });

    it('evicts least recent entries until the new one fits, never the new one', () => {
      const { reports, onEvict } = recorder();
      const cache = new LRU<string, string>({ max: 100, maxSize: 10, sizeOf: (v) => v.length, onEvict });
      cache.set('a', 'xxx').set('b', 'xxx').set('c', 'xxx');
      cache.get('a');
      cache.set('d', 'xxxxxx');
      expect(reports).toEqual([['b', 'xxx', 'evict'], ['c', 'xxx', 'evict']]);
      expect([...cache.keys()]).toEqual(['d', 'a']);
      cache.set('a', 'xxxxxxx'); // grows in place: evicts d
      expect([...cache.keys()]).toEqual(['a']);
      expect(reports.at(-1)).toEqual(['d', 'xxxxxx', 'evict']);
    });

    it('does not store an entry larger than maxSize, hands it back and drops the old one', () => {
      const { reports, onEvict } = recorder();
      const cache = new LRU<string, string>({ max: 10, maxSize: 5, sizeOf: (v) => v.length, onEvict });
      cache.set('a', 'xx').set('b', 'yy');
      cache.set('c', 'z'.repeat(6));
      expect(cache.has('c')).toBe(false);
      expect([...cache.keys()]).toEqual(['b', 'a']); // others untouched
      expect(reports).toEqual([['c', 'zzzzzz', 'evict']]);
      cache.set('a', 'w'.repeat(9));
      expect(cache.get('a')).toBeUndefined(); // never the stale value
      expect(reports.slice(1)).toEqual([['a', 'xx', 'set'], ['a', 'wwwwwwwww', 'evict']]);
      expect(cache.totalSize).toBe(2);
    });

    it('reports an oversized value once when it replaces itself', () => {
      const { reports, onEvict } = recorder();
      let big = false;
      const value = { name: 'v' };
      const cache = new LRU<string, object>({ max: 10, maxSize: 5, sizeOf: () => (big ? 6 : 1), onEvict });
      cache.set('a', value);
      big = true;
      cache.set('a', value);
      expect(reports).toEqual([['a', value, 'evict']]);
      expect(cache.size).toBe(0);
    });

    it('expires lazily on access, without the timer', () => {
      // Only the clock is fake: the real timer (10 s) cannot fire in this
      // synchronous test, so every removal below is lazy.
      vi.useFakeTimers({ toFake: ['performance'] });
      const { reports, onEvict } = recorder();
      const cache = new LRU<string, number>({ max: 10, ttl: 10_000, onEvict });
      cache.set('a', 1).set('b', 2).set('c', 3).set('d', 4).set('e', 5);
      vi.advanceTimersByTime(9_999);
      expect(cache.get('a')).toBe(1);
      vi.advanceTimersByTime(1);
      expect(cache.get('a')).toBeUndefined();
      expect(reports).toHaveLength(5); // all due entries go at once
      expect(reports.map((r) => r[2])).toEqual(['expire', 'expire', 'expire', 'expire', 'expire']);
      expect(new Set(reports.map((r) => r[0]))).toEqual(new Set(['a', 'b', 'c', 'd', 'e']));
      cache.set('f', 6);
      vi.advanceTimersByTime(10_000);
      expect(cache.has('f')).toBe(false);
      cache.set('g', 7);
      vi.advanceTimersByTime(10_000);
      expect(cache.peek('g')).toBeUndefined();
      cache.set('h', 8);
      vi.advanceTimersByTime(10_000);
      expect(cache.size).toBe(0);
      cache.set('i', 9);
      vi.advanceTimersByTime(10_000);
      expect([...cache]).toEqual([]);
      cache.set('j', 10);
      vi.advanceTimersByTime(10_000);
      expect(cache.delete('j')).toBe(false);
      expect(reports.map((r) => `${String(r[0])}:${r[2]}`).slice(5)).toEqual(['f:expire', 'g:expire', 'h:expire', 'i:expire', 'j:expire']);
      cache[Symbol.dispose]();
    });

    it('counts an entry as expired from set time + ttl on, and get does not extend it', () => {
      vi.useFakeTimers({ toFake: ['performance'] });
      const cache = new LRU<string, number>({ max: 10, ttl: 100 });
      cache.set('a', 1);
      vi.advanceTimersByTime(60);
      expect(cache.get('a')).toBe(1);
      vi.advanceTimersByTime(39);
      expect(cache.has('a')).toBe(true);
      vi.advanceTimersByTime(1);
      expect(cache.has('a')).toBe(false);
      cache[Symbol.dispose]();
    });

    it('re-setting an entry restarts its ttl', () => {
      vi.useFakeTimers();
      const cache = new LRU<string, number>({ max: 10, ttl: 100 });
      cache.set('a', 1);
      vi.advanceTimersByTime(60);
      cache.set('a', 1);
      vi.advanceTimersByTime(60);
      expect(cache.peek('a')).toBe(1);
      vi.advanceTimersByTime(40);
      expect(cache.peek('a')).toBeUndefined();
    });

    it('skips entries that expire while an iterator is open', () => {
      vi.useFakeTimers({ toFake: ['performance'] });
      const cache = new LRU<string, number>({ max: 10, ttl: 1000 });
      cache.set('a', 1);
      vi.advanceTimersByTime(500);
      cache.set('b', 2);
      const iterator = cache.keys();
      expect(iterator.next().value).toBe('b');
      vi.advanceTimersByTime(600);
      expect(iterator.next()).toEqual({ done: true, value: undefined });
      cache[Symbol.dispose]();
    });

    it('keeps at most one timer for the whole cache, whatever the entries', () => {
      vi.useFakeTimers();
      const { reports, onEvict } = recorder();
      const cache = new LRU<number, number>({ max: 1000, ttl: 1000, onEvict });
      for (let i = 0; i < 1000; i++) {
        cache.set(i, i, { ttl: 1000 + ((i * 7919) % 1000) });
        expect(vi.getTimerCount()).toBe(1);
        vi.advanceTimersByTime(1);
      }
      // Expiry happens by timer alone, in order of expiry, without any access.
      vi.advanceTimersByTime(3000);
      expect(reports).toHaveLength(1000);
      expect(vi.getTimerCount()).toBe(0);
    });

    it('re-arms for an earlier per-entry expiry and fires only when something is due', () => {
      vi.useFakeTimers();
      const { reports, onEvict } = recorder();
      const cache = new LRU<string, number>({ max: 10, ttl: 1000, onEvict });
      cache.set('late', 1);
      cache.set('soon', 2, { ttl: 10 });
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(10);
      expect(reports).toEqual([['soon', 2, 'expire']]);
      expect(vi.getTimerCount()).toBe(1); // re-armed for 'late'
      cache.delete('late');
      vi.advanceTimersByTime(990); // the stale timer fires once, finds nothing and stops
      expect(vi.getTimerCount()).toBe(0);
      expect(reports).toEqual([['soon', 2, 'expire'], ['late', 1, 'delete']]);
    });

    it('unrefs its timer: no active Timeout keeps the process alive', () => {
      const before = activeTimeouts();
      const cache = new LRU<string, number>({ max: 10, ttl: 60_000 });
      cache.set('a', 1);
      cache.set('b', 2, { ttl: 10 });
      expect(activeTimeouts()).toBe(before);
      // Positive control: a ref'ed timer is visible to the same check.
      const control = setTimeout(() => {}, 60_000);
      expect(activeTimeouts()).toBe(before + 1);
      clearTimeout(control);
      cache[Symbol.dispose]();
    });

    it('handles ttl above 2^31-1 ms: clamps the timer and re-arms', () => {
      vi.useFakeTimers();
      const { reports, onEvict } = recorder();
      const ttl = 2 ** 31 + 5000;
      const cache = new LRU<string, number>({ max: 10, ttl, onEvict });
      cache.set('a', 1);
      cache.set('b', 2, { ttl: 1e12 });
      vi.advanceTimersByTime(1); // the overflow bug would fire here
      expect(cache.has('a')).toBe(true);
      vi.advanceTimersByTime(2 ** 31 - 2); // the clamped timer fires: nothing due
      expect(reports).toEqual([]);
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(5000);
      expect(reports).toEqual([]);
      vi.advanceTimersByTime(1);
      expect(reports).toEqual([['a', 1, 'expire']]);
      expect(cache.peek('b')).toBe(2);
      vi.advanceTimersByTime(1e12);
      expect(reports.at(-1)).toEqual(['b', 2, 'expire']);
    });

    it('overrides ttl per entry, including Infinity and on a cache without ttl', () => {
      vi.useFakeTimers();
      const cache = new LRU<string, number>({ max: 10, ttl: 100 });
      cache.set('default', 1).set('short', 2, { ttl: 10 }).set('forever', 3, { ttl: Infinity }).set('long', 4, { ttl: 500 });
      vi.advanceTimersByTime(10);
      expect([...cache.keys()]).toEqual(['long', 'forever', 'default']);
      vi.advanceTimersByTime(90);
      expect([...cache.keys()]).toEqual(['long', 'forever']);
      vi.advanceTimersByTime(1e9);
      expect([...cache.keys()]).toEqual(['forever']);
      cache.set('forever', 3); // re-set with the default ttl: now it expires
      vi.advanceTimersByTime(100);
      expect(cache.size).toBe(0);

      const plain = new LRU<string, number>({ max: 10 });
      plain.set('a', 1).set('b', 2, { ttl: 50 });
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(50);
      expect([...plain.keys()]).toEqual(['a']);
      plain.set('a', 1, { ttl: 5 });
      vi.advanceTimersByTime(5);
      expect(plain.size).toBe(0);
    });

    it('[Symbol.dispose] clears the entries and the timer; the cache stays usable', () => {
      vi.useFakeTimers();
      const { reports, onEvict } = recorder();
      {
        using cache = new LRU<string, number>({ max: 10, ttl: 1000, onEvict });
        cache.set('a', 1).set('b', 2);
        expect(vi.getTimerCount()).toBe(1);
      }
      expect(vi.getTimerCount()).toBe(0);
      expect(reports).toEqual([['a', 1, 'clear'], ['b', 2, 'clear']]);

      const cache = new LRU<string, number>({ max: 10, ttl: 1000 });
      cache.set('a', 1);
      cache[Symbol.dispose]();
      cache[Symbol.dispose]();
      expect(cache.size).toBe(0);
      cache.set('b', 2);
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(1000);
      expect(cache.size).toBe(0);
    });

    it('iterates a snapshot: safe to delete, get or set while iterating', () => {
      const cache = new LRU<number, number>({ max: 20 });
      for (let i = 0; i < 6; i++) cache.set(i, i);
      const seen: number[] = [];
      for (const [k] of cache) {
        seen.push(k);
        if (k % 2 === 0) cache.delete(k); // the current entry
        cache.delete(k + 1); // one already visited
        if (k === 5) cache.delete(3); // one not reached yet: skipped
        cache.get(0); // reorders: no effect on this iteration
        cache.set(100 + k, k); // added: not visited
      }
      expect(seen).toEqual([5, 4, 2, 1, 0]);
      expect([...cache.keys()]).toEqual([100, 101, 102, 104, 105]);
      expectConsistent(cache);
    });

    it('iterators yield current values and are independent', () => {
      const cache = new LRU<string, number>({ max: 10 });
      cache.set('a', 1).set('b', 2);
      const values = cache.values();
      const keys = cache.keys();
      cache.set('a', 10);
      expect([...values]).toEqual([2, 10]);
      expect([...keys]).toEqual(['b', 'a']);
      expect([...cache.values()]).toEqual([10, 2]);
    });

    it('grows its storage with use and reuses it after clear', () => {
      const cache = new LRU<number, number>({ max: 1_000_000 });
      for (let i = 0; i < 100; i++) cache.set(i, i);
      cache.clear();
      for (let i = 0; i < 100; i++) cache.set(i, i * 2);
      expect(cache.size).toBe(100);
      expect(cache.get(99)).toBe(198);
      expectConsistent(cache);
    });
  });
});
