import { LRUCache } from 'lru-cache';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type MemoizeAsyncContext, memoizeAsync } from '../src/memoize-async.js';
import { listenerCount } from '../src/testing/index.js';

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A memoized loader whose calls the test settles by hand. */
function controlled<T = string>(options?: Parameters<typeof memoizeAsync>[1]) {
  const started: Array<{ id: string; signal: AbortSignal; d: Deferred<T> }> = [];
  const get = memoizeAsync((id: string, { signal }: MemoizeAsyncContext) => {
    const d = deferred<T>();
    started.push({ id, signal, d });
    return d.promise;
  }, options as never);
  return { get, started };
}

async function outcome(p: Promise<unknown>): Promise<{ status: string; value: unknown }> {
  return p.then(
    (value) => ({ status: 'fulfilled', value }),
    (value: unknown) => ({ status: 'rejected', value }),
  );
}

async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await undefined;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('memoizeAsync', () => {
  describe('validation', () => {
    it('throws ERR_INVALID_ARG_TYPE naming "fn" when fn is not a function', () => {
      for (const bad of [undefined, null, 1, {}, Promise.resolve()]) {
        expect(() => memoizeAsync(bad as never)).toThrow(
          expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"fn"') }),
        );
      }
    });

    it('throws synchronously for bad options, naming the option', () => {
      const fn = async (_id: string, _ctx: MemoizeAsyncContext) => 1;
      const cases: Array<[unknown, string, string]> = [
        [5, 'options', 'ERR_INVALID_ARG_TYPE'],
        [{ max: 0 }, 'options.max', 'ERR_OUT_OF_RANGE'],
        [{ max: 2.5 }, 'options.max', 'ERR_OUT_OF_RANGE'],
        [{ max: NaN }, 'options.max', 'ERR_OUT_OF_RANGE'],
        [{ max: '1' }, 'options.max', 'ERR_INVALID_ARG_TYPE'],
        [{ ttl: -5 }, 'options.ttl', 'ERR_OUT_OF_RANGE'],
        [{ ttl: 0 }, 'options.ttl', 'ERR_OUT_OF_RANGE'],
        [{ key: 1 }, 'options.key', 'ERR_INVALID_ARG_TYPE'],
      ];
      for (const [options, name, code] of cases) {
        expect(() => memoizeAsync(fn, options as never)).toThrow(
          expect.objectContaining({ code, message: expect.stringContaining(`"${name}"`) }),
        );
      }
    });

    it('rejects (never throws) a call whose signal is not an AbortSignal', async () => {
      const { get, started } = controlled();
      let result: Promise<unknown> | undefined;
      expect(() => {
        result = get('a', { signal: {} as never });
      }).not.toThrow();
      await expect(result).rejects.toMatchObject({
        name: 'TypeError',
        code: 'ERR_INVALID_ARG_TYPE',
        message: expect.stringContaining('"options.signal"'),
      });
      expect(started).toHaveLength(0);
    });

    it('rejects a call whose options are not an object, or carry anything but signal', async () => {
      const { get, started } = controlled();
      await expect(get('a', 5 as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"options"') });
      await expect(get('a', null as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
      await expect(get('a', { id: 2 } as never)).rejects.toMatchObject({
        code: 'ERR_INVALID_ARG_VALUE',
        message: expect.stringContaining('"id"'),
      });
      expect(started).toHaveLength(0);
    });

    it('rejects a second key value, saying to pass several values as one key', async () => {
      const { get, started } = controlled();
      await expect(get('a', 'b' as never)).rejects.toMatchObject({
        name: 'TypeError',
        code: 'ERR_INVALID_ARG_TYPE',
        message: expect.stringContaining('f([a, b])'),
      });
      expect(started).toHaveLength(0);
    });

    it('rejects a positional signal, saying to pass it as { signal }', async () => {
      const { get, started } = controlled();
      await expect(get('a', new AbortController().signal as never)).rejects.toMatchObject({
        name: 'TypeError',
        code: 'ERR_INVALID_ARG_TYPE',
        message: expect.stringContaining('{ signal }'),
      });
      expect(started).toHaveLength(0);
    });

    it('rejects a call with a third argument, saying to pass several values as one key', async () => {
      const { get, started } = controlled();
      await expect((get as (...args: unknown[]) => Promise<unknown>)('a', {}, 'extra')).rejects.toMatchObject({
        name: 'TypeError',
        code: 'ERR_INVALID_ARG_VALUE',
        message: expect.stringContaining('f([a, b], { signal })'),
      });
      expect(started).toHaveLength(0);
    });

    it('rejects unknown options with the name to use instead (p-memoize cacheKey, the old arity)', () => {
      const fn = async (id: string) => id;
      const cases: Array<[string, string]> = [
        ['cacheKey', 'key'],
        ['arity', 'key'],
        ['maxAge', 'ttl'],
        ['maxSize', 'max'],
      ];
      for (const [name, hint] of cases) {
        expect(() => memoizeAsync(fn, { [name]: 1 } as never)).toThrow(
          expect.objectContaining({
            name: 'TypeError',
            code: 'ERR_INVALID_ARG_VALUE',
            message: expect.stringMatching(new RegExp(`"options".*"${name}".*Did you mean "${hint}"`)),
          }),
        );
      }
      expect(() => memoizeAsync(fn, { weak: true } as never)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('"weak"') }),
      );
    });

    it('rejects a positional signal or key function as options, with the hint', () => {
      const fn = async (id: string) => id;
      expect(() => memoizeAsync(fn, new AbortController().signal as never)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('{ signal }') }),
      );
      expect(() => memoizeAsync(fn, ((id: string) => id) as never)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('{ key }') }),
      );
    });

    it('rejects with the key function\'s error when it throws', async () => {
      const get = memoizeAsync(async (_x: number, _ctx: MemoizeAsyncContext) => 1, {
        key: () => {
          throw new Error('bad key');
        },
      });
      await expect(get(1)).rejects.toThrow('bad key');
    });
  });

  describe('call signature: (key, options?) whatever fn declares', () => {
    it.each([
      ['URL', () => [new URL('https://a.example/'), new URL('https://b.example/')]],
      ['Date', () => [new Date(1), new Date(2)]],
      ['array', () => [['a'], ['b']]],
      ['plain object', () => [{ id: 'a' }, { id: 'b' }]],
      ['Map', () => [new Map([['id', 'a']]), new Map([['id', 'b']])]],
    ] as const)('gives each %s key its own entry and passes it to fn (never read as call options)', async (_name, make) => {
      const [a, b] = make() as unknown as [object, object];
      const received: unknown[] = [];
      const f = memoizeAsync(async (key: unknown) => {
        received.push(key);
        return key;
      });
      expect(await f(a)).toBe(a);
      expect(await f(b)).toBe(b);
      expect(await f(a)).toBe(a);
      expect(received).toEqual([a, b]);
      expect(received[0]).toBe(a);
      expect(received[1]).toBe(b);
      expect(f.stats).toMatchObject({ hits: 1, misses: 2, size: 2 });
    });

    it('calls a one-parameter fn with the key, called as f(key) and as f(key, { signal })', async () => {
      const calls: unknown[][] = [];
      const fetchUser = async (id: string) => ({ id });
      const f = memoizeAsync(async (id: string) => {
        calls.push([id]);
        return fetchUser(id);
      });
      expect(await f('a')).toEqual({ id: 'a' });
      expect(await f('b', { signal: new AbortController().signal })).toEqual({ id: 'b' });
      expect(await f('a', { signal: new AbortController().signal })).toEqual({ id: 'a' });
      expect(calls).toEqual([['a'], ['b']]);
    });

    it('calls fn with (key, { signal }) whatever its declared parameter count', async () => {
      const seen: unknown[] = [];
      const f = memoizeAsync(function (...args: unknown[]) {
        seen.push(args.length, args[0], Object.keys(args[1] as object));
        return Promise.resolve(1);
      } as (key: string, context: MemoizeAsyncContext) => Promise<number>);
      await f('k');
      expect(seen).toEqual([2, 'k', ['signal']]);
    });

    it('keeps fn\'s name, with length 1 (the key)', () => {
      async function fetchUser(id: string): Promise<string> {
        return id;
      }
      const f = memoizeAsync(fetchUser);
      expect(f.name).toBe('fetchUser');
      expect(f.length).toBe(1);
      expect(memoizeAsync(async (_a: string, _ctx: MemoizeAsyncContext) => 1).name).toBe('');
    });
  });

  describe('one abort listener per signal (shared hub)', () => {
    it('keeps one listener for 10,000 callers waiting on one signal, and rejects them all with signal.reason', async () => {
      const warnings: Error[] = [];
      const onWarning = (warning: Error) => void warnings.push(warning);
      process.on('warning', onWarning);
      try {
        const { get, started } = controlled();
        const controller = new AbortController();
        const calls: Promise<unknown>[] = [];
        for (let i = 0; i < 10_000; i++) calls.push(get(`k${i % 100}`, { signal: controller.signal }));
        expect(listenerCount(controller.signal, 'abort')).toBe(1);
        const reason = new Error('shutdown');
        controller.abort(reason);
        const results = await Promise.allSettled(calls);
        expect(results.every((r) => r.status === 'rejected' && r.reason === reason)).toBe(true);
        expect(listenerCount(controller.signal, 'abort')).toBe(0);
        // Every shared call was abandoned by all its callers, so each was aborted.
        expect(started).toHaveLength(100);
        expect(started.every((s) => s.signal.aborted && s.signal.reason === reason)).toBe(true);
        await new Promise((resolve) => setImmediate(resolve));
        expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
      } finally {
        process.off('warning', onWarning);
      }
    });

    it('ignores a synthetic abort event on a live signal', async () => {
      const { get, started } = controlled();
      const controller = new AbortController();
      const p = get('a', { signal: controller.signal });
      controller.signal.dispatchEvent(new Event('abort'));
      started[0]!.d.resolve('A');
      expect(await outcome(p)).toEqual({ status: 'fulfilled', value: 'A' });
      expect(started[0]!.signal.aborted).toBe(false);
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
    });

    it('rejects only its caller when a foreign signal refuses the listener', async () => {
      const { get, started } = controlled();
      const error = new Error('no listeners here');
      const foreign = {
        aborted: false,
        reason: undefined,
        addEventListener() {
          throw error;
        },
        removeEventListener() {},
      };
      const other = get('a');
      await expect(get('a', { signal: foreign as never })).rejects.toBe(error);
      started[0]!.d.resolve('A');
      expect(await other).toBe('A');
    });

    it('still settles its caller when a foreign signal\'s removeEventListener throws', async () => {
      const { get, started } = controlled();
      const error = new Error('cannot remove');
      const reported: unknown[] = [];
      const originalReportError = (globalThis as { reportError?: unknown }).reportError;
      (globalThis as { reportError?: unknown }).reportError = (e: unknown) => void reported.push(e);
      try {
        const foreign = {
          aborted: false,
          reason: undefined,
          addEventListener() {},
          removeEventListener() {
            throw error;
          },
        };
        const p = get('a', { signal: foreign as never });
        started[0]!.d.resolve('A');
        expect(await p).toBe('A');
        expect(reported).toEqual([error]);
      } finally {
        (globalThis as { reportError?: unknown }).reportError = originalReportError;
      }
    });
  });

  describe('semantics', () => {
    it('shares one in-flight call among concurrent callers for one key', async () => {
      const { get, started } = controlled();
      const p1 = get('a');
      const p2 = get('a');
      const p3 = get('b');
      expect(started.map((s) => s.id)).toEqual(['a', 'b']);
      expect(p1).not.toBe(p2); // each caller gets a promise of its own
      started[0]!.d.resolve('A');
      started[1]!.d.resolve('B');
      expect(await Promise.all([p1, p2, p3])).toEqual(['A', 'A', 'B']);
      expect(get.stats).toEqual({ hits: 1, misses: 2, size: 2, pending: 0 });
    });

    it('runs fn once for callers that join after fn resolved but before its reaction ran', async () => {
      const { get, started } = controlled();
      const p1 = get('a');
      started[0]!.d.resolve('A');
      const p2 = get('a'); // same synchronous block: still in flight
      expect(await Promise.all([p1, p2])).toEqual(['A', 'A']);
      expect(started).toHaveLength(1);
    });

    it('caches fulfilled values, undefined included', async () => {
      let n = 0;
      const get = memoizeAsync(async (x: number, _ctx: MemoizeAsyncContext) => {
        n++;
        return x === 0 ? undefined : x * 2;
      });
      expect(await get(1)).toBe(2);
      expect(await get(1)).toBe(2);
      expect(await get(0)).toBe(undefined);
      expect(await get(0)).toBe(undefined);
      expect(n).toBe(2);
      expect(get.has(1)).toBe(true);
      expect(get.has(0)).toBe(true);
      expect(get.stats).toEqual({ hits: 2, misses: 2, size: 2, pending: 0 });
    });

    it('never caches a rejection: every waiting caller gets it, the next call runs fn again', async () => {
      const { get, started } = controlled();
      const p1 = get('a');
      const p2 = get('a');
      const error = new Error('down');
      started[0]!.d.reject(error);
      expect(await outcome(p1)).toEqual({ status: 'rejected', value: error });
      expect(await outcome(p2)).toEqual({ status: 'rejected', value: error });
      expect(get.has('a')).toBe(false);
      const p3 = get('a');
      expect(started).toHaveLength(2);
      started[1]!.d.resolve('A');
      expect(await p3).toBe('A');
    });

    it('rejects only its caller when fn throws synchronously, and caches nothing', async () => {
      let n = 0;
      const get = memoizeAsync((x: number, _ctx: MemoizeAsyncContext) => {
        n++;
        if (n === 1) throw new Error('sync');
        return x;
      });
      await expect(get(1)).rejects.toThrow('sync');
      expect(get.stats.pending).toBe(0);
      expect(await get(1)).toBe(1);
    });

    it('accepts fn returning a plain value or a thenable, and calls then once however many callers wait', async () => {
      let thens = 0;
      let resolveIt!: (v: string) => void;
      const get = memoizeAsync((_id: string, _ctx: MemoizeAsyncContext) => ({
        then(onFulfilled: (v: string) => void) {
          thens++;
          resolveIt = onFulfilled;
        },
      }));
      const callers = Array.from({ length: 50 }, () => get('a'));
      await flush();
      resolveIt('A');
      expect(await Promise.all(callers)).toEqual(Array(50).fill('A'));
      expect(thens).toBe(1);
      const plain = memoizeAsync((x: number, _ctx: MemoizeAsyncContext) => x + 1);
      expect(await plain(1)).toBe(2);
    });

    it('rejects only the aborting caller, with its signal.reason; the others still get the value', async () => {
      const { get, started } = controlled();
      const a = new AbortController();
      const b = new AbortController();
      const pa = get('k', { signal: a.signal });
      const pb = get('k', { signal: b.signal });
      const pc = get('k');
      const reason = new Error('A left');
      a.abort(reason);
      expect(await outcome(pa)).toEqual({ status: 'rejected', value: reason });
      expect(started[0]!.signal.aborted).toBe(false);
      started[0]!.d.resolve('V');
      expect(await pb).toBe('V');
      expect(await pc).toBe('V');
      expect(get.has('k')).toBe(true);
      expect(listenerCount(a.signal, 'abort')).toBe(0);
      expect(listenerCount(b.signal, 'abort')).toBe(0);
    });

    it('does not let one caller\'s abort reject the others, as lru-cache fetch does', async () => {
      // The control: lru-cache 11 rejects every caller sharing the fetch.
      let finish!: (v: number) => void;
      const cache = new LRUCache<string, number>({
        max: 10,
        fetchMethod: () =>
          new Promise<number>((resolve) => {
            finish = resolve;
          }),
      });
      const a = new AbortController();
      const theirs = [cache.fetch('x', { signal: a.signal }), cache.fetch('x')];
      a.abort(new Error('A left'));
      finish(1);
      const theirOutcomes = await Promise.allSettled(theirs);
      expect(theirOutcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);

      const { get, started } = controlled<number>();
      const b = new AbortController();
      const ours = [get('x', { signal: b.signal }), get('x')];
      b.abort(new Error('B left'));
      started[0]!.d.resolve(1);
      const ourOutcomes = await Promise.allSettled(ours);
      expect(ourOutcomes.map((o) => o.status)).toEqual(['rejected', 'fulfilled']);
    });

    it('rejects at once on an already-aborted signal: attaches nothing, starts and joins nothing', async () => {
      const { get, started } = controlled();
      const reason = new Error('gone');
      const signal = AbortSignal.abort(reason);
      const spy = vi.spyOn(signal, 'addEventListener');
      await expect(get('a', { signal })).rejects.toBe(reason);
      expect(started).toHaveLength(0);
      const p = get('a');
      await expect(get('a', { signal })).rejects.toBe(reason); // does not join
      started[0]!.d.resolve('A');
      await p;
      await expect(get('a', { signal })).rejects.toBe(reason); // not even from the cache
      expect(spy).not.toHaveBeenCalled();
      expect(get.stats).toEqual({ hits: 0, misses: 1, size: 1, pending: 0 });
    });

    it('rejects a caller whose signal fn itself aborts, and abandons the call it was alone on', async () => {
      const caller = new AbortController();
      let shared: AbortSignal | undefined;
      const get = memoizeAsync((_id: string, { signal }: MemoizeAsyncContext) => {
        shared = signal;
        caller.abort('inside');
        return new Promise<string>(() => {});
      });
      await expect(get('k', { signal: caller.signal })).rejects.toBe('inside');
      expect(shared?.aborted).toBe(true);
      expect(get.stats.pending).toBe(0);
      expect(listenerCount(caller.signal, 'abort')).toBe(0);
    });

    it('aborts the shared call only when every waiting caller has left, with the last reason', async () => {
      const { get, started } = controlled();
      const a = new AbortController();
      const b = new AbortController();
      const pa = get('k', { signal: a.signal });
      const pb = get('k', { signal: b.signal });
      const shared = started[0]!.signal;
      a.abort('first');
      expect(shared.aborted).toBe(false);
      b.abort('second');
      expect(shared.aborted).toBe(true);
      expect(shared.reason).toBe('second');
      await expect(pa).rejects.toBe('first');
      await expect(pb).rejects.toBe('second');
      expect(get.stats.pending).toBe(0);
      // The abandoned call is forgotten: a new caller starts afresh, and the
      // abandoned call's late value is not cached.
      const pc = get('k');
      expect(started).toHaveLength(2);
      started[0]!.d.resolve('late');
      await flush();
      expect(get.has('k')).toBe(false);
      started[1]!.d.resolve('fresh');
      expect(await pc).toBe('fresh');
      expect(get.has('k')).toBe(true);
    });

    it('never aborts the shared call while a caller without a signal waits', async () => {
      const { get, started } = controlled();
      const a = new AbortController();
      const pa = get('k', { signal: a.signal });
      const plain = get('k');
      a.abort();
      await expect(pa).rejects.toMatchObject({ name: 'AbortError' });
      expect(started[0]!.signal.aborted).toBe(false);
      started[0]!.d.resolve('v');
      expect(await plain).toBe('v');
    });

    it('leaves no listener on any caller signal after fulfilment, rejection or abort', async () => {
      const { get, started } = controlled();
      const signals = Array.from({ length: 6 }, () => new AbortController());
      const calls = signals.map((c, i) => get(i < 3 ? 'ok' : 'bad', { signal: c.signal }));
      expect(signals.map((c) => listenerCount(c.signal, 'abort'))).toEqual([1, 1, 1, 1, 1, 1]);
      signals[1]!.abort();
      signals[4]!.abort();
      started[0]!.d.resolve('v');
      started[1]!.d.reject(new Error('x'));
      await Promise.allSettled(calls);
      expect(signals.map((c) => listenerCount(c.signal, 'abort'))).toEqual([0, 0, 0, 0, 0, 0]);
      // The shared calls' own signals carry nothing of ours either.
      expect(started.map((s) => listenerCount(s.signal, 'abort'))).toEqual([0, 0]);
    });

    it('leaves zero listeners after 50 resolved calls on one signal, where lru-cache fetch leaves 50', async () => {
      const signal = new AbortController().signal;
      const cache = new LRUCache<number, number>({ max: 100, fetchMethod: async (k) => k });
      const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
      for (let i = 0; i < 50; i++) await cache.fetch(i, { signal });
      expect(listenerCount(signal, 'abort')).toBe(50);
      warn.mockRestore();

      const ours = new AbortController().signal;
      const get = memoizeAsync(async (k: number, _ctx: MemoizeAsyncContext) => k, { max: 100 });
      for (let i = 0; i < 50; i++) await get(i, { signal: ours });
      for (let i = 0; i < 50; i++) await get(i, { signal: ours }); // hits
      expect(listenerCount(ours, 'abort')).toBe(0);
    });

    it('keeps waiting callers working when the entry is deleted or cleared in flight; the late value is not cached', async () => {
      for (const drop of ['delete', 'clear'] as const) {
        const { get, started } = controlled();
        const p1 = get('k');
        const p2 = get('k');
        if (drop === 'delete') expect(get.delete('k')).toBe(true);
        else get.clear();
        expect(get.stats.pending).toBe(0);
        const p3 = get('k'); // starts afresh
        expect(started).toHaveLength(2);
        started[0]!.d.resolve('old');
        expect(await Promise.all([p1, p2])).toEqual(['old', 'old']);
        expect(get.has('k')).toBe(false);
        started[1]!.d.resolve('new');
        expect(await p3).toBe('new');
        expect(await get('k')).toBe('new');
        expect(started).toHaveLength(2);
      }
    });

    it('does not count in-flight calls against max, and a full cache does not disturb them', async () => {
      const { get, started } = controlled({ max: 1 });
      const calls = ['a', 'b', 'c'].map((id) => get(id));
      expect(get.stats.pending).toBe(3);
      started.forEach((s) => s.d.resolve(s.id.toUpperCase()));
      expect(await Promise.all(calls)).toEqual(['A', 'B', 'C']);
      expect(get.stats.size).toBe(1);
      expect(get.has('c')).toBe(true);
    });

    it('bounds the cache by max (default 1,000) with LRU eviction', async () => {
      let n = 0;
      const get = memoizeAsync(async (x: number, _ctx: MemoizeAsyncContext) => {
        n++;
        return x;
      });
      for (let i = 0; i < 1200; i++) await get(i);
      expect(get.stats.size).toBe(1000);
      await get(1199);
      expect(n).toBe(1200);
      await get(0);
      expect(n).toBe(1201);
    });

    it('counts ttl from fulfilment', async () => {
      vi.useFakeTimers();
      const { get, started } = controlled({ ttl: 100 });
      const p = get('k');
      vi.advanceTimersByTime(500); // in flight: no clock running yet
      started[0]!.d.resolve('v');
      await p;
      vi.advanceTimersByTime(99);
      expect(await get('k')).toBe('v');
      vi.advanceTimersByTime(1);
      expect(get.has('k')).toBe(false);
      void get('k');
      expect(started).toHaveLength(2);
    });

    it('keys on the one key argument by SameValueZero, and on key(key) when given', async () => {
      let n = 0;
      const get = memoizeAsync(async (_key: unknown) => ++n);
      const o = {};
      expect(await get(o)).toBe(await get(o));
      expect(await get({})).not.toBe(await get({}));
      expect(await get(NaN)).toBe(await get(NaN));
      expect(await get(-0)).toBe(await get(0));
      expect(get.has(o)).toBe(true);
      expect(get.delete(o)).toBe(true);
      expect(get.delete(o)).toBe(false);
      expect(get.delete('nope')).toBe(false);
      const keyed = memoizeAsync(async (user: { id: number }) => ({ ...user }), { key: (user) => user.id });
      expect(await keyed({ id: 1 })).toBe(await keyed({ id: 1 }));
      expect(keyed.has({ id: 1 })).toBe(true);
      expect(keyed.delete({ id: 1 })).toBe(true);
    });

    it('takes several values as one array key, compared by content through key()', async () => {
      const seen: unknown[] = [];
      const get = memoizeAsync(async ([a, b]: [number, string]) => {
        seen.push([a, b]);
        return `${a}${b}`;
      }, { key: ([a, b]) => `${a}:${b}` });
      expect(await get([1, 'x'])).toBe('1x');
      expect(await get([1, 'x'], { signal: new AbortController().signal })).toBe('1x');
      expect(await get([1, 'y'])).toBe('1y');
      expect(seen).toEqual([
        [1, 'x'],
        [1, 'y'],
      ]);
      expect(get.has([1, 'x'])).toBe(true);
    });

    it('memoizes a function of no key under the key undefined', async () => {
      let loads = 0;
      const config = memoizeAsync(async () => ++loads);
      expect(await config()).toBe(1);
      expect(await config(undefined, {})).toBe(1);
      expect(config.has()).toBe(true);
      expect(config.delete()).toBe(true);
      expect(await config()).toBe(2);
    });

    it('passes this through to fn without making it part of the key', async () => {
      const get = memoizeAsync(async function (this: { base: number }, x: number, _ctx: MemoizeAsyncContext) {
        return this.base + x;
      });
      expect(await get.call({ base: 10 }, 1)).toBe(11);
      expect(await get.call({ base: 20 }, 1)).toBe(11);
    });

    it('gives fn a fresh context whose signal belongs to the shared call', async () => {
      const contexts: MemoizeAsyncContext[] = [];
      const get = memoizeAsync(async (_x: number, ctx: MemoizeAsyncContext) => {
        contexts.push(ctx);
        return 1;
      });
      const caller = new AbortController();
      await Promise.all([get(1, { signal: caller.signal }), get(2, { signal: caller.signal })]);
      expect(contexts).toHaveLength(2);
      expect(contexts[0]).not.toBe(contexts[1]);
      expect(contexts[0]!.signal).not.toBe(caller.signal);
      expect(Object.keys(contexts[0]!)).toEqual(['signal']);
    });
  });
});
