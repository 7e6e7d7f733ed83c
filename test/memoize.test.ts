import memoizee from 'memoizee';
import moize from 'moize';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { memoizeAsync } from '../src/memoize-async.js';
import { MEMOIZE_DEFAULT_MAX, type Memoized, memoize } from '../src/memoize.js';

/** A function that counts its calls and returns a fresh object per call. */
function counted<A extends unknown[]>(): { fn: (...args: A) => { n: number; args: A }; calls: () => number } {
  let n = 0;
  return {
    fn: (...args: A) => ({ n: ++n, args }),
    calls: () => n,
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('memoize', () => {
  describe('validation', () => {
    it('throws ERR_INVALID_ARG_TYPE naming "fn" when fn is not a function', () => {
      for (const bad of [undefined, null, 1, 'f', {}, Promise.resolve()]) {
        expect(() => memoize(bad as never)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"fn"') }));
      }
    });

    it('throws ERR_INVALID_ARG_TYPE when options is not an object', () => {
      for (const bad of [null, 1, 'x', true]) {
        expect(() => memoize(() => 1, bad as never)).toThrow(
          expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"options"') }),
        );
      }
    });

    it('rejects a max that is not a positive integer or Infinity, naming options.max', () => {
      for (const bad of [0, -1, 1.5, NaN, -Infinity]) {
        expect(() => memoize(() => 1, { max: bad })).toThrow(
          expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('"options.max"') }),
        );
      }
      for (const bad of ['10', null, 10n]) {
        expect(() => memoize(() => 1, { max: bad as never })).toThrow(
          expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"options.max"') }),
        );
      }
    });

    it('rejects a ttl that is not a number > 0, naming options.ttl', () => {
      for (const bad of [0, -1, NaN, -Infinity]) {
        expect(() => memoize(() => 1, { ttl: bad })).toThrow(
          expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('"options.ttl"') }),
        );
      }
      expect(() => memoize(() => 1, { ttl: '5' as never })).toThrow(
        expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"options.ttl"') }),
      );
    });

    it('rejects a key that is not a function and a weak that is not a boolean', () => {
      expect(() => memoize(() => 1, { key: 'id' as never })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"options.key"') }),
      );
      expect(() => memoize(() => 1, { weak: 1 as never })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"options.weak"') }),
      );
    });

    it('rejects unknown options with the name to use instead (habits of p-memoize, memoizee, moize, lodash)', () => {
      const cases: Array<[string, string]> = [
        ['cacheKey', 'key'],
        ['resolver', 'key'],
        ['normalizer', 'key'],
        ['length', 'key'],
        ['maxAge', 'ttl'],
        ['maxSize', 'max'],
        ['weakKeys', 'weak'],
        ['tll', 'ttl'],
      ];
      for (const [name, hint] of cases) {
        expect(() => memoize(() => 1, { [name]: 1 } as never)).toThrow(
          expect.objectContaining({
            name: 'TypeError',
            code: 'ERR_INVALID_ARG_VALUE',
            message: expect.stringMatching(new RegExp(`"options".*"${name}".*Did you mean "${hint}"`)),
          }),
        );
      }
    });

    it('rejects a lodash-style resolver or a signal in place of options, with the hint', () => {
      expect(() => memoize((a: number) => a, ((a: number) => a) as never)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('{ key }') }),
      );
      expect(() => memoize((a: number) => a, new AbortController().signal as never)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('{ signal }') }),
      );
    });

    it('accepts max: Infinity and ttl: Infinity when asked', () => {
      const { fn, calls } = counted<[number]>();
      const m = memoize(fn, { max: Infinity, ttl: Infinity });
      for (let i = 0; i < 3000; i++) m(i);
      for (let i = 0; i < 3000; i++) m(i);
      expect(calls()).toBe(3000);
      expect(m.stats.size).toBe(3000);
    });
  });

  describe('semantics', () => {
    it('keeps fn\'s name and length on the memoized function, whatever the key', () => {
      function area(width: number, height: number): number {
        return width * height;
      }
      for (const options of [undefined, { key: (w: number, h: number) => `${w}x${h}` }, { weak: true }]) {
        const m = memoize(area, options);
        expect(m.name).toBe('area');
        expect(m.length).toBe(2);
        expect(m(2, 3)).toBe(6);
      }
    });

    it('is bounded by default: keeps the 1,000 most recent results', () => {
      expect(MEMOIZE_DEFAULT_MAX).toBe(1000);
      const { fn, calls } = counted<[number]>();
      const m = memoize(fn);
      for (let i = 0; i < 1500; i++) m(i);
      expect(m.stats.size).toBe(1000);
      m(1499); // the most recent 1,000 are cached
      m(500);
      expect(calls()).toBe(1500);
      m(0); // evicted
      expect(calls()).toBe(1501);
    });

    it('stays bounded where memoizee, the unbounded default of the field, does not', () => {
      let theirs = 0;
      const control = memoizee((x: number) => ++theirs);
      for (let i = 0; i < 2000; i++) control(i);
      control(0);
      expect(theirs).toBe(2000); // still cached: memoizee kept all 2,000

      const { fn, calls } = counted<[number]>();
      const m = memoize(fn);
      for (let i = 0; i < 2000; i++) m(i);
      m(0);
      expect(calls()).toBe(2001);
      expect(m.stats.size).toBe(1000);
    });

    it('holds more than one entry by default, unlike moize (size 1)', () => {
      let theirs = 0;
      const control = moize((x: number) => ++theirs);
      control(1);
      control(2);
      control(1);
      expect(theirs).toBe(3);

      const { fn, calls } = counted<[number]>();
      const m = memoize(fn);
      m(1);
      m(2);
      m(1);
      expect(calls()).toBe(2);
    });

    it('evicts the least recently used result; a hit refreshes recency', () => {
      const { fn, calls } = counted<[string]>();
      const m = memoize(fn, { max: 2 });
      m('a');
      m('b');
      m('a'); // a is now the most recent
      m('c'); // evicts b
      expect(calls()).toBe(3);
      m('a');
      expect(calls()).toBe(3);
      m('b');
      expect(calls()).toBe(4);
    });

    it('keys one argument by SameValueZero: NaN hits, -0 is 0, objects by identity', () => {
      const { fn, calls } = counted<[unknown]>();
      const m = memoize(fn);
      expect(m(NaN)).toBe(m(NaN));
      expect(m(0)).toBe(m(-0));
      expect(m({})).not.toBe(m({}));
      expect(m('1')).not.toBe(m(1));
      const o = {};
      expect(m(o)).toBe(m(o));
      expect(calls()).toBe(7);
    });

    it('compares several arguments one by one, never stringified: objects never collide', () => {
      const { fn, calls } = counted<unknown[]>();
      const m = memoize(fn);
      const a = { id: 1 };
      const b = { id: 1 };
      expect(m(a, 1)).not.toBe(m(b, 1)); // JSON-equal, distinct
      expect(m('a,b', 'c')).not.toBe(m('a', 'b,c')); // would collide when joined
      expect(m(1, 2)).not.toBe(m(2, 1));
      expect(m(a, NaN, -0)).toBe(m(a, NaN, 0));
      const hostile = { toString: () => { throw new Error('stringified'); }, toJSON: () => { throw new Error('stringified'); } };
      expect(m(hostile, hostile)).toBe(m(hostile, hostile));
      expect(calls()).toBe(8);
    });

    it('treats a different number of arguments as a different key', () => {
      const { fn, calls } = counted<unknown[]>();
      const m = memoize(fn);
      const r0 = m();
      const r1 = m(undefined);
      const r2 = m(undefined, undefined);
      const r3 = m(1);
      const r4 = m(1, undefined);
      expect(new Set([r0, r1, r2, r3, r4]).size).toBe(5);
      expect(m()).toBe(r0);
      expect(m(undefined)).toBe(r1);
      expect(m(undefined, undefined)).toBe(r2);
      expect(m(1, undefined)).toBe(r4);
      expect(calls()).toBe(5);
    });

    it('uses key(...args) as the key when given', () => {
      const { fn, calls } = counted<[{ id: number }, string]>();
      const seen: unknown[][] = [];
      const m = memoize(fn, {
        key: (user, field) => {
          seen.push([user, field]);
          return `${user.id}:${field}`;
        },
      });
      const first = m({ id: 1 }, 'name');
      expect(m({ id: 1 }, 'name')).toBe(first);
      expect(m({ id: 2 }, 'name')).not.toBe(first);
      expect(calls()).toBe(2);
      expect(seen).toEqual([
        [{ id: 1 }, 'name'],
        [{ id: 1 }, 'name'],
        [{ id: 2 }, 'name'],
      ]);
      expect(m.has({ id: 1 }, 'name')).toBe(true);
      expect(m.delete({ id: 1 }, 'name')).toBe(true);
      expect(m.has({ id: 1 }, 'name')).toBe(false);
    });

    it('caches an undefined result', () => {
      let n = 0;
      const m = memoize((_x: number, _y?: number) => {
        n++;
        return undefined;
      });
      m(1);
      m(1);
      m(1, 2);
      m(1, 2);
      expect(n).toBe(2);
      expect(m.has(1)).toBe(true);
    });

    it('does not cache a thrown error and leaves no entry behind', () => {
      let n = 0;
      const m = memoize((x: number, y?: number) => {
        n++;
        if (n % 2 === 1) throw new Error(`fail ${x}${y ?? ''}`);
        return x;
      });
      expect(() => m(1)).toThrow('fail 1');
      expect(m(1)).toBe(1);
      expect(() => m(2, 3)).toThrow('fail 23');
      expect(m.has(2, 3)).toBe(false);
      expect(m.stats).toEqual({ hits: 0, misses: 3, size: 1 });
    });

    it('passes this through to fn without making it part of the key', () => {
      const m = memoize(function (this: { base: number }, x: number) {
        return this.base + x;
      });
      expect(m.call({ base: 10 }, 1)).toBe(11);
      expect(m.call({ base: 20 }, 1)).toBe(11); // cached: this is not in the key
      expect(m.call({ base: 20 }, 2)).toBe(22);
      const obj = { base: 100, m };
      expect(obj.m(3)).toBe(103);
    });

    it('caches a returned promise as it is, rejections included (use memoizeAsync)', async () => {
      let n = 0;
      const sync = memoize(async (_id: number) => {
        n++;
        throw new Error('down');
      });
      await expect(sync(1)).rejects.toThrow('down');
      await expect(sync(1)).rejects.toThrow('down');
      expect(n).toBe(1); // the documented default: the promise is the result

      let m = 0;
      const async = memoizeAsync(async (_id: number, _ctx: { signal: AbortSignal }) => {
        m++;
        throw new Error('down');
      });
      await expect(async(1)).rejects.toThrow('down');
      await expect(async(1)).rejects.toThrow('down');
      expect(m).toBe(2);
    });

    it('supports recursion (each level cached once)', () => {
      let n = 0;
      const fib: (k: number) => number = memoize((k: number): number => {
        n++;
        return k < 2 ? k : fib(k - 1) + fib(k - 2);
      });
      expect(fib(80)).toBe(23416728348467685);
      expect(n).toBe(81);
    });

    it('keeps the newer value when fn re-enters itself with the same arguments', () => {
      for (const weak of [false, true]) {
        let depth = 0;
        const key = { k: 1 };
        const m: Memoized<(o: object, s: string) => number> = memoize(
          (o: object, s: string): number => {
            depth++;
            if (depth === 1) m(o, s);
            return depth;
          },
          { weak },
        );
        expect(m(key, 'x')).toBe(2);
        expect(m(key, 'x')).toBe(2);
        expect(m.stats.size).toBe(1);
      }
    });

    it('expires results after ttl', () => {
      vi.useFakeTimers();
      for (const weak of [false, true]) {
        const { fn, calls } = counted<[unknown, unknown?]>();
        const m = memoize(fn, { ttl: 100, weak });
        const o = {};
        m(1);
        m(o, 2);
        vi.advanceTimersByTime(99);
        m(1);
        m(o, 2);
        expect(calls()).toBe(2);
        vi.advanceTimersByTime(1);
        expect(m.has(1)).toBe(false);
        expect(m.stats.size).toBe(0);
        m(1);
        m(o, 2);
        expect(calls()).toBe(4);
        m.clear();
      }
    });

    it('delete(...args) and has(...args) address one entry', () => {
      for (const options of [{}, { weak: true }]) {
        const { fn, calls } = counted<unknown[]>();
        const m = memoize(fn, options);
        const o = {};
        m(1);
        m(1, o);
        m();
        expect([m.has(1), m.has(1, o), m.has(), m.has(1, {}), m.has(2)]).toEqual([true, true, true, false, false]);
        expect(m.delete(1, o)).toBe(true);
        expect(m.delete(1, o)).toBe(false);
        expect(m.delete(5, 6, 7)).toBe(false);
        expect([m.has(1), m.has(1, o), m.has()]).toEqual([true, false, true]);
        m(1, o);
        expect(calls()).toBe(4);
        expect(m.delete()).toBe(true);
        expect(m.delete(1)).toBe(true);
        expect(m.stats.size).toBe(1);
      }
    });

    it('has() does not refresh recency', () => {
      const { fn, calls } = counted<[string]>();
      const m = memoize(fn, { max: 2 });
      m('a');
      m('b');
      expect(m.has('a')).toBe(true);
      m('c'); // evicts a: has() did not refresh it
      m('a');
      expect(calls()).toBe(4);
    });

    it('clear() drops every result', () => {
      for (const options of [{}, { weak: true }, { key: (x: unknown) => x }]) {
        const { fn, calls } = counted<unknown[]>();
        const m = memoize(fn, options);
        m(1);
        m(2, 3);
        m({});
        m.clear();
        expect(m.stats.size).toBe(0);
        m(1);
        m(2, 3);
        expect(calls()).toBe(5);
      }
    });

    it('counts hits and misses in stats', () => {
      const m = memoize((x: number, y?: number) => x + (y ?? 0), { max: 2 });
      m(1);
      m(1);
      m(1, 2);
      m(1, 2);
      m(1, 2);
      m(3);
      expect(m.stats).toEqual({ hits: 3, misses: 3, size: 2 });
      const snapshot = m.stats;
      m(3);
      expect(snapshot.hits).toBe(3); // a snapshot, not a live view
      expect(m.stats.hits).toBe(4);
    });

    it('weak: caches object and primitive arguments like the strong cache', () => {
      const { fn, calls } = counted<unknown[]>();
      const m = memoize(fn, { weak: true });
      const a = {};
      const b = () => {};
      expect(m(a)).toBe(m(a));
      expect(m(b, 'x', a)).toBe(m(b, 'x', a));
      expect(m('x', NaN)).toBe(m('x', NaN));
      expect(m(a, b)).not.toBe(m(b, a));
      expect(m(a)).not.toBe(m(a, undefined));
      expect(m()).toBe(m());
      const sym = Symbol('s');
      expect(m(sym)).toBe(m(sym));
      expect(calls()).toBe(8);
    });

    it('weak: max still bounds the entry count', () => {
      const { fn, calls } = counted<[object, number]>();
      const m = memoize(fn, { weak: true, max: 3 });
      const keys = Array.from({ length: 10 }, () => ({}));
      for (let i = 0; i < 10; i++) m(keys[i]!, i);
      expect(m.stats.size).toBe(3);
      m(keys[9]!, 9);
      m(keys[7]!, 7);
      expect(calls()).toBe(10);
      m(keys[0]!, 0);
      expect(calls()).toBe(11);
      expect(m.has(keys[8]!, 8)).toBe(false); // the least recent went
    });

    it('weak: a key function returning an object is held weakly too', () => {
      const { fn, calls } = counted<[{ user: object }]>();
      const m = memoize(fn, { weak: true, key: (req) => req.user });
      const user = {};
      expect(m({ user })).toBe(m({ user }));
      expect(calls()).toBe(1);
      expect(m.has({ user })).toBe(true);
      expect(m.delete({ user })).toBe(true);
    });
  });
});
