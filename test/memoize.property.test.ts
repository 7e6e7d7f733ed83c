import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type MemoizeAsyncContext, memoizeAsync } from '../src/memoize-async.js';
import { memoize } from '../src/memoize.js';
import { listenerCount } from '../src/testing/index.js';

// Model-based tests: random command sequences run against the real memoizer
// and against a small reference model; the underlying call counts, the
// results (by identity) and the stats must agree after every command.

afterEach(() => {
  vi.useRealTimers();
});

// --- memoize ---------------------------------------------------------------

/** Argument values; SameValueZero classes: 0 and -0 share one, NaN has one. */
const objA = { a: 1 };
const objB = { a: 1 }; // JSON-equal to objA, a different key
const fnC = (): void => {};
// The first five are the small domain most commands draw from, so that keys
// repeat often enough for hits, evictions and recency to matter.
const pool: readonly unknown[] = [0, -0, NaN, objA, 'a', 1, '', undefined, null, objB, fnC, '1'];

function classOf(value: unknown): number {
  return pool.findIndex((p) => p === value || (p !== p && value !== value));
}

function modelKey(args: readonly unknown[]): string {
  return `${args.length}:${args.map(classOf).join(',')}`;
}

type SyncCommand =
  | { kind: 'call'; args: number[] }
  | { kind: 'delete'; args: number[] }
  | { kind: 'has'; args: number[] }
  | { kind: 'clear' }
  | { kind: 'advance'; ms: number };

const argIndexes = fc.oneof(
  { weight: 3, arbitrary: fc.array(fc.nat(4), { minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.array(fc.nat(4), { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.array(fc.nat(pool.length - 1), { maxLength: 3 }) },
);

function call(args: number[]): SyncCommand {
  return { kind: 'call', args };
}
const syncCommand: fc.Arbitrary<SyncCommand> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('call' as const), args: argIndexes }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), args: argIndexes }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('has' as const), args: argIndexes }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 40 }) }) },
);

interface ModelEntry {
  key: string;
  value: object;
  expires: number;
}

/** The reference: an array in recency order (most recent first). */
class SyncModel {
  entries: ModelEntry[] = [];
  hits = 0;
  misses = 0;
  constructor(
    readonly max: number,
    readonly ttl: number,
  ) {}

  expire(now: number): void {
    this.entries = this.entries.filter((e) => e.expires > now);
  }

  lookup(key: string, now: number): ModelEntry | undefined {
    this.expire(now);
    return this.entries.find((e) => e.key === key);
  }

  touch(entry: ModelEntry): void {
    this.entries = [entry, ...this.entries.filter((e) => e !== entry)];
  }

  insert(key: string, value: object, now: number): void {
    this.entries.unshift({ key, value, expires: now + this.ttl });
    if (this.entries.length > this.max) this.entries.length = this.max;
  }

  remove(key: string, now: number): boolean {
    const entry = this.lookup(key, now);
    if (entry !== undefined) this.entries = this.entries.filter((e) => e !== entry);
    return entry !== undefined;
  }
}

describe('memoize (model-based)', () => {
  it('matches the reference model: underlying calls, results and stats', () => {
    vi.useFakeTimers();
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.option(fc.integer({ min: 5, max: 60 }), { nil: undefined, freq: 2 }),
        fc.constantFrom('strong', 'weak', 'keyed', 'weak-keyed'),
        fc.array(syncCommand, { minLength: 1, maxLength: 60 }),
        (max, ttl, mode, commands) => {
          const start = performance.now();
          let calls = 0;
          const fn = (...args: unknown[]): object => ({ call: ++calls, args });
          // The key option in the test maps each argument to its class, so the
          // model's key and the memoizer's key coincide.
          const key = mode.endsWith('keyed') ? (...args: unknown[]) => modelKey(args) : undefined;
          const options = {
            max,
            weak: mode.startsWith('weak'),
            ...(ttl === undefined ? {} : { ttl }),
            ...(key === undefined ? {} : { key }),
          };
          const m = memoize(fn, options);
          const model = new SyncModel(max, ttl ?? Infinity);
          for (const command of commands) {
            const now = performance.now() - start;
            if (command.kind === 'advance') {
              vi.advanceTimersByTime(command.ms);
              continue;
            }
            if (command.kind === 'clear') {
              m.clear();
              model.entries = [];
              continue;
            }
            const args = command.args.map((i) => pool[i]);
            const k = modelKey(args);
            if (command.kind === 'delete') {
              expect(m.delete(...args)).toBe(model.remove(k, now));
            } else if (command.kind === 'has') {
              expect(m.has(...args)).toBe(model.lookup(k, now) !== undefined);
            } else {
              const before = calls;
              const result = m(...args);
              const entry = model.lookup(k, now);
              if (entry !== undefined) {
                model.hits++;
                model.touch(entry);
                expect(calls).toBe(before);
                expect(result).toBe(entry.value);
              } else {
                model.misses++;
                expect(calls).toBe(before + 1);
                model.insert(k, result, now);
              }
            }
            model.expire(performance.now() - start);
            expect(m.stats).toEqual({ hits: model.hits, misses: model.misses, size: model.entries.length });
          }
          m.clear();
        },
      ),
      {
        numRuns: 1500,
        examples: [
          // A call with other arguments moves a different entry to the front
          // between two one-argument calls: recency must follow it.
          [2, undefined, 'strong', [call([4]), call([4, 5]), call([4]), call([11]), call([4])]],
        ],
      },
    );
  });
});

// --- memoizeAsync --------------------------------------------------------------

type AsyncCommand =
  | { kind: 'call'; key: number; signal: 'none' | 'live' | 'aborted' }
  | { kind: 'abort'; caller: number }
  | { kind: 'settle'; flight: number; fulfil: boolean }
  | { kind: 'tick'; turns: number }
  | { kind: 'delete'; key: number }
  | { kind: 'clear' };

const asyncCommand: fc.Arbitrary<AsyncCommand> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('call' as const),
      key: fc.nat(2),
      signal: fc.constantFrom('none' as const, 'live' as const, 'live' as const, 'aborted' as const),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('abort' as const), caller: fc.nat(15) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('settle' as const), flight: fc.nat(7), fulfil: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('tick' as const), turns: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
);

interface Expected {
  status: 'fulfilled' | 'rejected';
  value: unknown;
}

interface ModelFlight {
  key: number;
  waiters: Set<number>;
  attached: boolean;
  /** The fn call's promise was settled by the test; its reaction runs at the next microtask turn. */
  settled: Expected | null;
  /** The reaction ran (callers got the outcome). */
  delivered: boolean;
  abandoned: boolean;
  lastReason: unknown;
}

interface ModelCaller {
  flight: ModelFlight | null;
  controller: AbortController | null;
  expected: Expected | null;
  promise: Promise<unknown>;
}

interface Started {
  key: string;
  signal: AbortSignal;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
  done: boolean;
}

const KEYS = ['a', 'b', 'c'];

async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await undefined;
}

function observe(p: Promise<unknown>): { outcome: Expected | null } {
  const box: { outcome: Expected | null } = { outcome: null };
  p.then(
    (value) => {
      box.outcome = { status: 'fulfilled', value };
    },
    (value: unknown) => {
      box.outcome = { status: 'rejected', value };
    },
  );
  return box;
}

describe('memoizeAsync (model-based)', () => {
  it('matches the reference model under random calls, aborts, settlements and microtask jitter', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.array(asyncCommand, { minLength: 1, maxLength: 40 }), async (max, commands) => {
        const started: Started[] = [];
        const get = memoizeAsync(
          (key: string, { signal }: MemoizeAsyncContext) =>
            new Promise((resolve, reject) => {
              started.push({ key, signal, resolve, reject, done: false });
            }),
          { max },
        );
        // The model: cache in recency order, flights, callers.
        let cache: Array<{ key: number; value: unknown }> = [];
        const flights: ModelFlight[] = [];
        const attached = new Map<number, ModelFlight>();
        const callers: ModelCaller[] = [];
        const observed: Array<{ outcome: Expected | null }> = [];
        let order: ModelFlight[] = []; // settled, reaction not yet run, in settlement order

        const deliver = (flight: ModelFlight): void => {
          flight.delivered = true;
          const outcome = flight.settled!;
          if (flight.attached) {
            flight.attached = false;
            attached.delete(flight.key);
            if (outcome.status === 'fulfilled') {
              cache = [{ key: flight.key, value: outcome.value }, ...cache].slice(0, max);
            }
          }
          for (const i of flight.waiters) callers[i]!.expected = outcome;
          flight.waiters.clear();
        };

        for (const command of commands) {
          switch (command.kind) {
            case 'call': {
              const controller = command.signal === 'none' ? null : new AbortController();
              const reason = new Error(`caller ${callers.length}`);
              if (command.signal === 'aborted') controller!.abort(reason);
              const promise = get(KEYS[command.key]!, controller ? { signal: controller.signal } : undefined);
              observed.push(observe(promise));
              const caller: ModelCaller = { flight: null, controller, expected: null, promise };
              callers.push(caller);
              const index = callers.length - 1;
              const hit = cache.find((e) => e.key === command.key);
              if (command.signal === 'aborted') {
                caller.expected = { status: 'rejected', value: reason };
              } else if (hit !== undefined) {
                cache = [hit, ...cache.filter((e) => e !== hit)];
                caller.expected = { status: 'fulfilled', value: hit.value };
              } else {
                let flight = attached.get(command.key);
                if (flight === undefined) {
                  flight = {
                    key: command.key,
                    waiters: new Set(),
                    attached: true,
                    settled: null,
                    delivered: false,
                    abandoned: false,
                    lastReason: undefined,
                  };
                  flights.push(flight);
                  attached.set(command.key, flight);
                }
                flight.waiters.add(index);
                caller.flight = flight;
              }
              expect(started.length).toBe(flights.length);
              break;
            }
            case 'abort': {
              const caller = callers[command.caller];
              if (caller === undefined || caller.controller === null || caller.controller.signal.aborted) break;
              const reason = new Error(`abort ${command.caller}`);
              caller.controller.abort(reason);
              const flight = caller.flight;
              if (caller.expected === null && flight !== null && flight.waiters.has(command.caller)) {
                caller.expected = { status: 'rejected', value: reason };
                flight.waiters.delete(command.caller);
                if (flight.waiters.size === 0 && !flight.delivered) {
                  flight.abandoned = true;
                  flight.lastReason = reason;
                  flight.delivered = true; // nobody left to deliver to
                  if (flight.attached) {
                    flight.attached = false;
                    attached.delete(flight.key);
                  }
                  order = order.filter((f) => f !== flight);
                }
              }
              break;
            }
            case 'settle': {
              const target = started[command.flight];
              if (target === undefined || target.done) break;
              target.done = true;
              const flight = flights[command.flight]!;
              const value = command.fulfil ? { flight: command.flight } : new Error(`flight ${command.flight}`);
              flight.settled = { status: command.fulfil ? 'fulfilled' : 'rejected', value };
              if (command.fulfil) target.resolve(value);
              else target.reject(value);
              if (!flight.delivered) order.push(flight);
              break;
            }
            case 'tick': {
              // No `await` at all for 0 turns: awaiting even a resolved
              // promise would let the queued reactions run.
              if (command.turns > 0) {
                await turns(command.turns);
                for (const flight of order) deliver(flight);
                order = [];
              }
              break;
            }
            case 'delete': {
              const had = cache.some((e) => e.key === command.key) || attached.has(command.key);
              cache = cache.filter((e) => e.key !== command.key);
              const flight = attached.get(command.key);
              if (flight !== undefined) {
                flight.attached = false;
                attached.delete(command.key);
              }
              expect(get.delete(KEYS[command.key]!)).toBe(had);
              break;
            }
            case 'clear': {
              cache = [];
              for (const flight of attached.values()) flight.attached = false;
              attached.clear();
              get.clear();
              break;
            }
          }
          expect(get.stats.pending).toBe(attached.size);
          expect(get.stats.size).toBe(cache.length);
        }

        // Settle everything still open, then compare every caller.
        await turns(1);
        for (const flight of order) deliver(flight);
        order = [];
        started.forEach((s, i) => {
          if (s.done) return;
          s.done = true;
          const value = { flight: i, late: true };
          flights[i]!.settled = { status: 'fulfilled', value };
          s.resolve(value);
          if (!flights[i]!.delivered) order.push(flights[i]!);
        });
        await turns(1);
        for (const flight of order) deliver(flight);
        await turns(3);

        expect(started.length).toBe(flights.length);
        callers.forEach((caller, i) => {
          expect(observed[i]!.outcome).toEqual(caller.expected);
          if (caller.expected!.status === 'rejected') expect(observed[i]!.outcome!.value).toBe(caller.expected!.value);
          if (caller.controller !== null) expect(listenerCount(caller.controller.signal, 'abort')).toBe(0);
        });
        flights.forEach((flight, i) => {
          expect(started[i]!.signal.aborted).toBe(flight.abandoned);
          if (flight.abandoned) expect(started[i]!.signal.reason).toBe(flight.lastReason);
        });
        expect(get.stats.pending).toBe(0);
        expect(get.stats.size).toBe(cache.length);
      }),
      { numRuns: 1500 },
    );
  });
});
