import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { any, race } from '../src/race.js';

// Differential tests: the same contenders, on the same microtask schedule, go
// to leakproof and to the built-in in one synchronous block; the outcome and
// the microtask turn at which each result settles must be identical.

type Spec =
  | { kind: 'value'; value: number }
  | { kind: 'resolved'; value: number }
  | { kind: 'rejected'; value: number }
  | { kind: 'later'; ticks: number; fulfil: boolean; value: number }
  | { kind: 'never' }
  | { kind: 'thenable'; ticks: number; fulfil: boolean; value: number }
  | { kind: 'again'; index: number };

const spec: fc.Arbitrary<Spec> = fc.oneof(
  fc.record({ kind: fc.constant('value' as const), value: fc.integer({ min: 0, max: 99 }) }),
  fc.record({ kind: fc.constant('resolved' as const), value: fc.integer({ min: 0, max: 99 }) }),
  fc.record({ kind: fc.constant('rejected' as const), value: fc.integer({ min: 0, max: 99 }) }),
  fc.record({
    kind: fc.constant('later' as const),
    ticks: fc.integer({ min: 0, max: 6 }),
    fulfil: fc.boolean(),
    value: fc.integer({ min: 0, max: 99 }),
  }),
  fc.record({ kind: fc.constant('never' as const) }),
  fc.record({
    kind: fc.constant('thenable' as const),
    ticks: fc.integer({ min: -1, max: 3 }),
    fulfil: fc.boolean(),
    value: fc.integer({ min: 0, max: 99 }),
  }),
  fc.record({ kind: fc.constant('again' as const), index: fc.nat(7) }),
);

const scenario = fc.record({
  specs: fc.array(spec, { minLength: 0, maxLength: 6 }),
  // Contenders raced (by leakproof) before the compared call: either in an
  // earlier turn (their shared reaction has run) or in the same synchronous
  // block (it may still be queued) – the out-of-order trap.
  preRaced: fc.array(fc.nat(7), { maxLength: 3 }),
  preRaceAwaited: fc.boolean(),
  generator: fc.boolean(),
  oursFirst: fc.boolean(),
  startDelay: fc.integer({ min: 0, max: 4 }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer S> ? S : never;

const never = new Promise<never>(() => {});

async function ticks(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await undefined;
}

function build(specs: Spec[]): unknown[] {
  const built: unknown[] = [];
  for (const s of specs) {
    switch (s.kind) {
      case 'value':
        built.push(s.value);
        break;
      case 'resolved':
        built.push(Promise.resolve(s.value));
        break;
      case 'rejected': {
        const p = Promise.reject(new Error(String(s.value)));
        p.catch(() => {});
        built.push(p);
        break;
      }
      case 'later': {
        const p = ticks(s.ticks).then(() => {
          if (s.fulfil) return s.value;
          throw new Error(String(s.value));
        });
        p.catch(() => {});
        built.push(p);
        break;
      }
      case 'never':
        built.push(never);
        break;
      case 'thenable':
        built.push({
          then(resolve: (v: unknown) => void, reject: (r: unknown) => void) {
            const settle = (): void => (s.fulfil ? resolve(s.value) : reject(new Error(String(s.value))));
            if (s.ticks < 0) settle();
            else void ticks(s.ticks).then(settle);
          },
        });
        break;
      case 'again':
        built.push(built.length > 0 ? built[s.index % built.length] : s.index);
        break;
    }
  }
  return built;
}

function describeOutcome(status: 'fulfilled' | 'rejected', value: unknown): string {
  if (status === 'fulfilled') return `fulfilled ${String(value)}`;
  if (value instanceof AggregateError) return `rejected [${value.errors.map((e: Error) => e.message).join(',')}]`;
  return `rejected ${value instanceof Error ? value.message : String(value)}`;
}

async function compare(
  ours: (xs: Iterable<unknown>) => Promise<unknown>,
  native: (xs: Iterable<unknown>) => Promise<unknown>,
  s: Scenario,
): Promise<void> {
  const contenders = build(s.specs);
  const pre = s.preRaced.filter((i) => i < contenders.length).map((i) => contenders[i]);
  for (const p of pre) ours([p]).catch(() => {});
  if (s.preRaceAwaited) await ticks(8);
  await ticks(s.startDelay);

  const input = (): Iterable<unknown> => (s.generator ? (function* () { yield* contenders; })() : contenders);
  const results: Record<'ours' | 'native', { tick: number; text: string }> = {
    ours: { tick: -1, text: 'pending' },
    native: { tick: -1, text: 'pending' },
  };
  let tick = 0;
  const observe = (who: 'ours' | 'native', p: Promise<unknown>): void => {
    p.then(
      (v) => (results[who] = { tick, text: describeOutcome('fulfilled', v) }),
      (e: unknown) => (results[who] = { tick, text: describeOutcome('rejected', e) }),
    );
  };
  if (s.oursFirst) {
    observe('ours', ours(input()));
    observe('native', native(input()));
  } else {
    observe('native', native(input()));
    observe('ours', ours(input()));
  }
  for (; tick < 40; tick++) await undefined;
  expect(results.ours).toEqual(results.native);
}

const runs = Number(process.env.FC_RUNS ?? 1000);

describe('race (property)', () => {
  it('matches Promise.race: same outcome, same microtask turn', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, (s) => compare(race, (xs) => Promise.race(xs), s)),
      { numRuns: runs },
    );
  });

  it('matches Promise.any: same outcome, same microtask turn', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, (s) => compare(any, (xs) => Promise.any(xs), s)),
      { numRuns: runs },
    );
  });
});
