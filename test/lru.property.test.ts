// Model-based tests for `LRU` (issue 4, "Model-based property tests"): random
// command sequences run against the cache and against a reference model, an
// array in recency order; after every command the return value, the onEvict
// reports, the size, the total size and the content in recency order must
// match.
//
// Time is fake and deterministic. Two clocks:
// - lazy: only `performance` is faked. The real expiry timer cannot fire while
//   a run executes (runs are synchronous), so every expiry is the lazy one
//   performed at the start of the next operation.
// - timer: every timer is faked and `tick` commands run
//   `vi.advanceTimersByTime`, so expiry happens through the cache's one timer
//   with no access at all.
// Entries that expire at the same moment are reported in no particular order
// (documented), so within one command the 'expire' reports are compared as a
// multiset and all other reports in order.

import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type EvictReason, LRU } from '../src/lru.js';

interface Sized {
  id: number;
  size: number;
}
/** Objects compare by identity; NaN, 0 and -0 test SameValueZero on values. */
type Value = Sized | number;

function sizeOf(value: Value): number {
  return typeof value === 'number' ? 1 : value.size;
}

interface Config {
  max: number;
  maxSize: number | undefined;
  ttl: number | undefined;
  /** Whether `set` commands pass their own ttl (otherwise they are ignored). */
  entryTTLs: boolean;
}

type Command =
  | { op: 'get' | 'peek' | 'has' | 'delete'; key: number; advance: number }
  | { op: 'set'; key: number; value: number; ttl: number | undefined; advance: number }
  | { op: 'clear' | 'iterate'; advance: number }
  | { op: 'tick'; ms: number };

type Report = [key: unknown, value: unknown, reason: EvictReason];

const objectA = { name: 'A' };
const objectB = { name: 'B' };
// SameValueZero corners: NaN, -0 against 0, '__proto__', and two distinct
// objects with equal contents.
const KEYS: readonly unknown[] = [0, -0, 1, 2, 3, NaN, 'a', '__proto__', objectA, objectB, { name: 'A' }];

function sameValueZero(a: unknown, b: unknown): boolean {
  return a === b || (a !== a && b !== b);
}

interface ModelEntry {
  key: unknown;
  value: Value;
  expiresAt: number;
}

/** The reference: a plain array, most recent first. */
class Model {
  entries: ModelEntry[] = [];
  reports: Report[] = [];
  now: number;

  constructor(
    readonly config: Config,
    now: number,
  ) {
    this.now = now;
  }

  get total(): number {
    return this.config.maxSize === undefined ? 0 : this.entries.reduce((sum, e) => sum + sizeOf(e.value), 0);
  }

  #find(key: unknown): number {
    return this.entries.findIndex((e) => sameValueZero(e.key, key));
  }

  #report(entry: ModelEntry, reason: EvictReason): void {
    this.reports.push([entry.key, entry.value, reason]);
  }

  purge(): void {
    const due = this.entries.filter((e) => e.expiresAt <= this.now);
    this.entries = this.entries.filter((e) => e.expiresAt > this.now);
    for (const e of due) this.#report(e, 'expire');
  }

  #evictLast(): void {
    this.#report(this.entries.pop()!, 'evict');
  }

  get(key: unknown): Value | undefined {
    this.purge();
    const i = this.#find(key);
    if (i < 0) return undefined;
    const [entry] = this.entries.splice(i, 1);
    this.entries.unshift(entry!);
    return entry!.value;
  }

  peek(key: unknown): Value | undefined {
    this.purge();
    const i = this.#find(key);
    return i < 0 ? undefined : this.entries[i]!.value;
  }

  has(key: unknown): boolean {
    this.purge();
    return this.#find(key) >= 0;
  }

  delete(key: unknown): boolean {
    this.purge();
    const i = this.#find(key);
    if (i < 0) return false;
    const [entry] = this.entries.splice(i, 1);
    this.#report(entry!, 'delete');
    return true;
  }

  clear(): void {
    this.purge();
    for (let i = this.entries.length - 1; i >= 0; i--) this.#report(this.entries[i]!, 'clear');
    this.entries = [];
  }

  set(key: unknown, value: Value, entryTTL: number | undefined): void {
    const { max, maxSize } = this.config;
    const ttl = entryTTL ?? this.config.ttl ?? Infinity;
    const expiresAt = ttl === Infinity ? Infinity : this.now + ttl;
    const normalized = key === 0 ? 0 : key;
    this.purge();
    const i = this.#find(key);
    if (maxSize !== undefined && sizeOf(value) > maxSize) {
      if (i >= 0) {
        const [old] = this.entries.splice(i, 1);
        if (!sameValueZero(old!.value, value)) this.#report(old!, 'set');
      }
      this.#report({ key: normalized, value, expiresAt }, 'evict');
      return;
    }
    if (i >= 0) {
      const [old] = this.entries.splice(i, 1);
      this.entries.unshift({ key: old!.key, value, expiresAt });
      if (!sameValueZero(old!.value, value)) this.#report(old!, 'set');
      if (maxSize !== undefined) while (this.total > maxSize) this.#evictLast();
      return;
    }
    if (maxSize !== undefined) while (this.total + sizeOf(value) > maxSize) this.#evictLast();
    if (this.entries.length >= max) this.#evictLast();
    this.entries.unshift({ key: normalized, value, expiresAt });
  }
}

function splitReports(reports: Report[]): { expired: string[]; ordered: Report[] } {
  const expired = reports
    .filter((r) => r[2] === 'expire')
    .map((r) => `${KEYS.findIndex((k) => Object.is(k, r[0]))}/${typeof r[1] === 'number' ? r[1] : (r[1] as Sized).id}`)
    .sort();
  return { expired, ordered: reports.filter((r) => r[2] !== 'expire') };
}

function expectSameReports(actual: Report[], expected: Report[], context: string): void {
  const a = splitReports(actual);
  const e = splitReports(expected);
  expect(a.expired, `${context}: expired entries`).toEqual(e.expired);
  expect(a.ordered, `${context}: reports`).toEqual(e.ordered);
}

function run(config: Config, commands: Command[], clock: 'lazy' | 'timer', values: Value[]): void {
  const reports: Report[] = [];
  const cache = new LRU<unknown, Value>({
    max: config.max,
    ...(config.maxSize === undefined ? {} : { maxSize: config.maxSize, sizeOf }),
    ...(config.ttl === undefined ? {} : { ttl: config.ttl }),
    onEvict: (value, key, reason) => void reports.push([key, value, reason]),
  });
  const model = new Model(config, performance.now());
  try {
    for (const [n, command] of commands.entries()) {
      const context = `command ${n} ${JSON.stringify(command)}`;
      if (command.op === 'tick') {
        vi.advanceTimersByTime(command.ms);
        model.now += command.ms;
        model.purge();
      } else {
        if (command.advance > 0) {
          vi.advanceTimersByTime(command.advance);
          model.now += command.advance;
          // Lazy clock: nothing is removed until the next operation.
          if (clock === 'timer') model.purge();
        }
        let actual: unknown;
        let expected: unknown;
        switch (command.op) {
          case 'get':
            actual = cache.get(KEYS[command.key]);
            expected = model.get(KEYS[command.key]);
            break;
          case 'peek':
            actual = cache.peek(KEYS[command.key]);
            expected = model.peek(KEYS[command.key]);
            break;
          case 'has':
            actual = cache.has(KEYS[command.key]);
            expected = model.has(KEYS[command.key]);
            break;
          case 'delete':
            actual = cache.delete(KEYS[command.key]);
            expected = model.delete(KEYS[command.key]);
            break;
          case 'set': {
            const value = values[command.value]!;
            const ttl = config.entryTTLs ? command.ttl : undefined;
            actual = cache.set(KEYS[command.key], value, ttl === undefined ? undefined : { ttl });
            expected = cache;
            model.set(KEYS[command.key], value, ttl);
            break;
          }
          case 'clear':
            cache.clear();
            model.clear();
            break;
          case 'iterate':
            actual = [...cache.keys()];
            model.purge();
            expected = model.entries.map((e) => e.key);
            break;
        }
        if (command.op === 'iterate') expect(actual, context).toEqual(expected);
        else expect(actual, context).toBe(expected);
      }
      expectSameReports(reports, model.reports, context);
      // After any command nothing is due any more, so observing the cache
      // (which would remove due entries) must report nothing further.
      reports.length = 0;
      model.reports = [];
      expect([...cache.entries()], `${context}: content`).toEqual(model.entries.map((e) => [e.key, e.value]));
      expect(cache.size, `${context}: size`).toBe(model.entries.length);
      expect(cache.totalSize, `${context}: total size`).toBe(model.total);
      expect(reports, `${context}: observing reported`).toEqual([]);
    }
  } finally {
    cache[Symbol.dispose]();
  }
}

const configArb: fc.Arbitrary<Config> = fc
  .record({
    max: fc.integer({ min: 1, max: 5 }),
    sized: fc.boolean(),
    maxSize: fc.integer({ min: 1, max: 10 }),
    unboundedCount: fc.boolean(),
    ttl: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined, freq: 1 }),
    entryTTLs: fc.boolean(),
  })
  .map(({ max, sized, maxSize, unboundedCount, ttl, entryTTLs }) => ({
    max: sized && unboundedCount ? Infinity : max,
    maxSize: sized ? maxSize : undefined,
    ttl,
    entryTTLs,
  }));

const VALUE_SIZES = [1, 1, 2, 3, 4, 6, 9, 12];
const PRIMITIVE_VALUES = [NaN, 0, -0];
const VALUE_COUNT = VALUE_SIZES.length + PRIMITIVE_VALUES.length;

function commandArb(clock: 'lazy' | 'timer'): fc.Arbitrary<Command> {
  const key = fc.integer({ min: 0, max: KEYS.length - 1 });
  const advance = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 12 }));
  const entryTTL = fc.option(fc.oneof(fc.integer({ min: 1, max: 30 }), fc.constant(Infinity)), { nil: undefined, freq: 2 });
  const commands: Array<fc.Arbitrary<Command>> = [
    fc.record({ op: fc.constantFrom('get' as const, 'peek' as const, 'has' as const, 'delete' as const), key, advance }),
    fc.record({ op: fc.constant('set' as const), key, value: fc.integer({ min: 0, max: VALUE_COUNT - 1 }), ttl: entryTTL, advance }),
    fc.record({ op: fc.constant('set' as const), key, value: fc.integer({ min: 0, max: VALUE_COUNT - 1 }), ttl: entryTTL, advance }),
    fc.record({ op: fc.constantFrom('clear' as const, 'iterate' as const), advance }),
  ];
  if (clock === 'timer') commands.push(fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 40 }) }));
  return fc.oneof(...commands);
}

function values(): Value[] {
  return [...VALUE_SIZES.map((size, id): Value => ({ id, size })), ...PRIMITIVE_VALUES];
}

afterEach(() => {
  vi.useRealTimers();
});

describe('LRU', () => {
  describe('semantics', () => {
    it('matches the reference model, with lazy expiry only', () => {
      vi.useFakeTimers({ toFake: ['performance'] });
      fc.assert(
        fc.property(configArb, fc.array(commandArb('lazy'), { maxLength: 80, size: 'max' }), (config, commands) => {
          run(config, commands, 'lazy', values());
        }),
        { numRuns: 300 },
      );
    }, 30_000);

    it('matches the reference model, with expiry by its timer', () => {
      vi.useFakeTimers();
      fc.assert(
        fc.property(configArb, fc.array(commandArb('timer'), { maxLength: 80, size: 'max' }), (config, commands) => {
          run(config, commands, 'timer', values());
          // The one timer is cleared by dispose.
          expect(vi.getTimerCount()).toBe(0);
        }),
        { numRuns: 300 },
      );
    }, 30_000);

    it('expires exactly the entries that are due, whatever the mix of ttls', () => {
      // Many entries, no eviction, varied ttls: exercises the expiry heap
      // (re-sets that move an entry later or earlier, deletes from the middle).
      vi.useFakeTimers({ toFake: ['performance'] });
      const step = fc.record({
        op: fc.constantFrom('set', 'set', 'delete', 'check'),
        key: fc.integer({ min: 0, max: 63 }),
        ttl: fc.integer({ min: 1, max: 300 }),
        advance: fc.constantFrom(0, 0, 1, 2, 5),
      });
      fc.assert(
        fc.property(fc.array(step, { maxLength: 200, size: 'max' }), (steps) => {
          const cache = new LRU<number, number>({ max: 100 });
          const expiresAt = new Map<number, number>();
          let now = performance.now();
          for (const { op, key, ttl, advance } of steps) {
            vi.advanceTimersByTime(advance);
            now += advance;
            for (const [k, at] of expiresAt) if (at <= now) expiresAt.delete(k);
            if (op === 'set') {
              cache.set(key, key, { ttl });
              expiresAt.set(key, now + ttl);
            } else if (op === 'delete') {
              expect(cache.delete(key)).toBe(expiresAt.delete(key));
            }
            expect(cache.size).toBe(expiresAt.size);
            expect([...cache.keys()].sort((a, b) => a - b)).toEqual([...expiresAt.keys()].sort((a, b) => a - b));
          }
          cache[Symbol.dispose]();
        }),
        { numRuns: 300 },
      );
    }, 30_000);

    it('keeps at most one timer pending, whatever the sequence', () => {
      vi.useFakeTimers();
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 1, max: 2 ** 32 }), fc.integer({ min: 0, max: 2 ** 31 })), { maxLength: 40, size: 'max' }), (steps) => {
          const cache = new LRU<number, number>({ max: 8, ttl: 100 });
          for (const [key, ttl, advance] of steps) {
            cache.set(key, key, { ttl });
            expect(vi.getTimerCount()).toBeLessThanOrEqual(1);
            vi.advanceTimersByTime(advance);
            expect(vi.getTimerCount()).toBeLessThanOrEqual(1);
          }
          cache[Symbol.dispose]();
          expect(vi.getTimerCount()).toBe(0);
        }),
        { numRuns: 200 },
      );
    });
  });
});
