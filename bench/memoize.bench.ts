// Hit-path throughput and retained memory of `memoize` / `memoizeAsync`
// against moize, memoizee, p-memoize and the inline `Map` memoization lodash's
// `_.memoize` performs.
//
// Throughput scenarios (every contender's cache is warm before timing, so
// every timed call is a hit):
//   one primitive argument, one hot key   moize's best case (it checks the
//                                         most recent key first);
//   one primitive argument, 100 keys      round-robin over 100 cached keys;
//   one object argument, 100 keys         the same with object keys;
//   three arguments, 100 combinations     (number, string, object). The Map
//                                         contender builds a string key, as
//                                         hand-written memoizers do; it needs
//                                         an id on the object to do so;
//   async hit, 100 keys                   `await get(key)` on a cached value.
// Bounded contenders get the same bound (1,000); the Map, p-memoize and the
// default memoizee are unbounded, which is what their users get by default.
//
// Memory scenarios (bytes retained per call after full GCs, calls with
// distinct arguments, 100-byte-ish results): the default configuration of
// each, which is what leaks in production; and memoizeAsync vs lru-cache
// `fetch` with one long-lived caller signal (its per-call abort listener).
//
// Each contender's loop is written out so that every call site stays
// monomorphic, as in an application.
//
// Run: node --expose-gc --import tsx bench/memoize.bench.ts
//      (or `npm run bench -- memoize`). Takes ~50 s.

import { setMaxListeners } from 'node:events';
import { LRUCache } from 'lru-cache';
import memoizee from 'memoizee';
import moize from 'moize';
import pMemoize from 'p-memoize';
import { type MemoizeAsyncContext, memoizeAsync } from '../src/memoize-async.js';
import { memoize } from '../src/memoize.js';
import { type Contender, printHeader, printRows, retainedPerOp, runScenario } from './harness.js';

const OPS = 200_000;
const ASYNC_OPS = 50_000;
const BOUND = 1000;

let sink = 0;

const NUMBERS = Array.from({ length: 100 }, (_, i) => i);
const OBJECTS = Array.from({ length: 100 }, (_, i) => ({ id: i }));
const STRINGS = Array.from({ length: 100 }, (_, i) => `s${i % 10}`);

function square(x: number): number {
  return x * x;
}
function objectId(o: { id: number }): number {
  return o.id;
}
function three(n: number, s: string, o: { id: number }): number {
  return n + s.length + o.id;
}

// --- one primitive argument ---------------------------------------------------

function mapMemo1<A, R>(fn: (a: A) => R): (a: A) => R {
  const cache = new Map<A, R>();
  return (a) => {
    if (cache.has(a)) return cache.get(a)!;
    const value = fn(a);
    cache.set(a, value);
    return value;
  };
}

function primitiveContenders(keys: number[]): Record<string, Contender> {
  const map = mapMemo1(square);
  const ours = memoize(square, { max: BOUND });
  const mo = moize(square, { maxSize: BOUND });
  const mz = memoizee(square, { max: BOUND, primitive: true });
  const n = keys.length;
  for (const k of keys) {
    map(k);
    ours(k);
    mo(k);
    mz(k);
  }
  return {
    'Map (lodash-style, unbounded)': (ops) => {
      for (let i = 0; i < ops; i++) sink += map(keys[i % n]!);
    },
    'leakproof memoize': (ops) => {
      for (let i = 0; i < ops; i++) sink += ours(keys[i % n]!);
    },
    'moize (maxSize 1000)': (ops) => {
      for (let i = 0; i < ops; i++) sink += mo(keys[i % n]!);
    },
    'memoizee (max 1000)': (ops) => {
      for (let i = 0; i < ops; i++) sink += mz(keys[i % n]!);
    },
  };
}

// --- one object argument ------------------------------------------------------

function objectContenders(): Record<string, Contender> {
  const map = mapMemo1(objectId);
  const ours = memoize(objectId, { max: BOUND });
  const weak = memoize(objectId, { max: BOUND, weak: true });
  const mo = moize(objectId, { maxSize: BOUND });
  const mz = memoizee(objectId, { max: BOUND });
  for (const o of OBJECTS) {
    map(o);
    ours(o);
    weak(o);
    mo(o);
    mz(o);
  }
  const n = OBJECTS.length;
  return {
    'Map (lodash-style, unbounded)': (ops) => {
      for (let i = 0; i < ops; i++) sink += map(OBJECTS[i % n]!);
    },
    'leakproof memoize': (ops) => {
      for (let i = 0; i < ops; i++) sink += ours(OBJECTS[i % n]!);
    },
    'leakproof memoize (weak)': (ops) => {
      for (let i = 0; i < ops; i++) sink += weak(OBJECTS[i % n]!);
    },
    'moize (maxSize 1000)': (ops) => {
      for (let i = 0; i < ops; i++) sink += mo(OBJECTS[i % n]!);
    },
    'memoizee (max 1000)': (ops) => {
      for (let i = 0; i < ops; i++) sink += mz(OBJECTS[i % n]!);
    },
  };
}

// --- three arguments -----------------------------------------------------------

function threeContenders(): Record<string, Contender> {
  const cache = new Map<string, number>();
  // The usual hand-written multi-argument key: it has to stringify, so it
  // needs an id on the object (two distinct objects with one id collide).
  const map = (n: number, s: string, o: { id: number }): number => {
    const key = `${n}|${s}|${o.id}`;
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const value = three(n, s, o);
    cache.set(key, value);
    return value;
  };
  const ours = memoize(three, { max: BOUND });
  const mo = moize(three, { maxSize: BOUND });
  const mz = memoizee(three, { max: BOUND });
  for (let i = 0; i < 100; i++) {
    map(NUMBERS[i]!, STRINGS[i]!, OBJECTS[i]!);
    ours(NUMBERS[i]!, STRINGS[i]!, OBJECTS[i]!);
    mo(NUMBERS[i]!, STRINGS[i]!, OBJECTS[i]!);
    mz(NUMBERS[i]!, STRINGS[i]!, OBJECTS[i]!);
  }
  return {
    'Map + string key (unbounded)': (ops) => {
      for (let i = 0; i < ops; i++) {
        const j = i % 100;
        sink += map(NUMBERS[j]!, STRINGS[j]!, OBJECTS[j]!);
      }
    },
    'leakproof memoize': (ops) => {
      for (let i = 0; i < ops; i++) {
        const j = i % 100;
        sink += ours(NUMBERS[j]!, STRINGS[j]!, OBJECTS[j]!);
      }
    },
    'moize (maxSize 1000)': (ops) => {
      for (let i = 0; i < ops; i++) {
        const j = i % 100;
        sink += mo(NUMBERS[j]!, STRINGS[j]!, OBJECTS[j]!);
      }
    },
    'memoizee (max 1000)': (ops) => {
      for (let i = 0; i < ops; i++) {
        const j = i % 100;
        sink += mz(NUMBERS[j]!, STRINGS[j]!, OBJECTS[j]!);
      }
    },
  };
}

// --- async hits ------------------------------------------------------------------

function asyncContenders(): Promise<Record<string, Contender>> {
  const promises = new Map<number, Promise<number>>();
  const map = (k: number): Promise<number> => {
    let p = promises.get(k);
    if (p === undefined) promises.set(k, (p = Promise.resolve(k * 2)));
    return p;
  };
  const ours = memoizeAsync(async (k: number, _ctx: MemoizeAsyncContext) => k * 2, { max: BOUND });
  const signal = new AbortController().signal;
  const pm = pMemoize(async (k: number) => k * 2);
  const warm = async (): Promise<void> => {
    for (const k of NUMBERS) {
      await map(k);
      await ours(k);
      await pm(k);
    }
  };
  return warm().then(() => ({
    'Map of promises (caches rejections)': async (ops) => {
      for (let i = 0; i < ops; i++) sink += await map(NUMBERS[i % 100]!);
    },
    'leakproof memoizeAsync': async (ops) => {
      for (let i = 0; i < ops; i++) sink += await ours(NUMBERS[i % 100]!);
    },
    'leakproof memoizeAsync + signal': async (ops) => {
      for (let i = 0; i < ops; i++) sink += await ours(NUMBERS[i % 100]!, { signal });
    },
    'p-memoize (unbounded)': async (ops) => {
      for (let i = 0; i < ops; i++) sink += await pm(NUMBERS[i % 100]!);
    },
  }));
}

// --- retained memory ---------------------------------------------------------------

function result(i: number): { i: number; payload: number[] } {
  return { i, payload: [i, i, i, i, i, i, i, i] };
}

async function memory(): Promise<void> {
  const COUNT = 10_000;
  const rows: Array<Array<string | number>> = [];
  const measure = async (name: string, bound: string, make: () => (i: number) => unknown): Promise<void> => {
    const bytes = await retainedPerOp(make, (fn, i) => fn(i), COUNT);
    rows.push([name, bound, bytes.toFixed(1)]);
  };
  await measure('Map (lodash-style)', 'unbounded', () => mapMemo1(result));
  await measure('leakproof memoize', 'max 1000 (default)', () => memoize(result));
  await measure('moize', 'maxSize 1 (default)', () => moize(result));
  await measure('memoizee', 'unbounded (default)', () => memoizee(result));
  const asyncRow = async (name: string, bound: string, make: () => (i: number) => Promise<unknown>): Promise<void> => {
    const bytes = await retainedPerOp(make, (fn, i) => fn(i), COUNT);
    rows.push([name, bound, bytes.toFixed(1)]);
  };
  await asyncRow('p-memoize', 'unbounded (default)', () => pMemoize(async (i: number) => result(i)));
  await asyncRow('leakproof memoizeAsync', 'max 1000 (default)', () => {
    const get = memoizeAsync(async (i: number, _ctx: MemoizeAsyncContext) => result(i));
    return (i) => get(i);
  });
  printRows(
    `retained bytes per call, ${COUNT.toLocaleString('en')} calls with distinct arguments (after full GCs)`,
    ['memoizer', 'bound', 'bytes / call'],
    rows,
  );

  // One long-lived caller signal (a server's shutdown signal, a request
  // context): lru-cache's fetch leaves a listener holding its call's state on
  // it per resolved call. Both caches hold the same 1,000 values.
  const listenerRows: Array<Array<string | number>> = [];
  const longLived = new AbortController().signal;
  setMaxListeners(0, longLived);
  const fetchBytes = await retainedPerOp(
    () => new LRUCache<number, object>({ max: 1000, fetchMethod: async (k) => ({ k }) }),
    (cache, i) => cache.fetch(i < 0 ? -i : i % 5000, { signal: longLived }),
    COUNT,
  );
  listenerRows.push(['lru-cache fetch', fetchBytes.toFixed(1)]);
  const longLived2 = new AbortController().signal;
  setMaxListeners(0, longLived2);
  const oursBytes = await retainedPerOp(
    () => memoizeAsync(async (k: number, _ctx: MemoizeAsyncContext) => ({ k }), { max: 1000 }),
    (get, i) => get(i < 0 ? -i : i % 5000, { signal: longLived2 }),
    COUNT,
  );
  listenerRows.push(['leakproof memoizeAsync', oursBytes.toFixed(1)]);
  printRows(
    `retained bytes per call with one long-lived caller signal, ${COUNT.toLocaleString('en')} calls`,
    ['cache', 'bytes / call'],
    listenerRows,
  );
}

// --- run ---------------------------------------------------------------------------------

printHeader('memoize / memoizeAsync');

await runScenario({
  name: 'memoize hit: one primitive argument, one hot key',
  ops: OPS,
  contenders: primitiveContenders([7]),
});
await runScenario({
  name: 'memoize hit: one primitive argument, 100 keys round-robin',
  ops: OPS,
  contenders: primitiveContenders(NUMBERS),
});
await runScenario({ name: 'memoize hit: one object argument, 100 keys', ops: OPS, contenders: objectContenders() });
await runScenario({ name: 'memoize hit: three arguments, 100 combinations', ops: OPS, contenders: threeContenders() });
await runScenario({ name: 'memoizeAsync hit: 100 keys, awaited', ops: ASYNC_OPS, contenders: await asyncContenders() });
await memory();

if (sink === 0.5) console.log(sink);
