// Property tests of abortableIterator: random sources (async or sync, short,
// failing, hanging, with awkward return() methods) driven by random consumer
// actions at random microtask points. Microtask jitter only, no timers.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { abortableIterator } from '../src/abortable-iterator.js';
import { listenerCount } from '../src/testing/index.js';
import { macrotask, type ReturnBehavior, type SourcePlan, SourceError, TrackedSource } from './helpers/iterables.js';

// Well under 5 s on an idle machine; the margin is for a loaded one (CI, or
// several suites at once), where the default 5 s timeout fails a correct run.
const PROPERTY_TIMEOUT = 60_000;

async function jitter(ticks: number): Promise<void> {
  for (let i = 0; i < ticks; i++) await Promise.resolve();
}

const returnBehaviors: ReturnBehavior[] = ['ok', 'hang', 'throw', 'reject', 'non-object', 'missing'];

/** A random source plan. Indices past the end simply never happen. */
const planArbitrary: fc.Arbitrary<SourcePlan<number>> = fc
  .record({
    sync: fc.boolean(),
    length: fc.integer({ min: 0, max: 6 }),
    failAt: fc.option(fc.integer({ min: 0, max: 7 }), { nil: undefined }),
    hangAt: fc.option(fc.integer({ min: 0, max: 7 }), { nil: undefined }),
    rejectValueAt: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
    hangValueAt: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
    promiseValues: fc.boolean(),
    returnBehavior: fc.constantFrom(...returnBehaviors),
  })
  .map(({ sync, length, failAt, hangAt, rejectValueAt, hangValueAt, promiseValues, returnBehavior }) => {
    const plan: SourcePlan<number> = { values: Array.from({ length }, (_, i) => i * 10), sync, returnBehavior };
    if (failAt !== undefined) plan.failAt = failAt;
    if (sync) {
      if (rejectValueAt !== undefined) plan.rejectValueAt = rejectValueAt;
      if (hangValueAt !== undefined) plan.hangValueAt = hangValueAt;
      plan.promiseValues = promiseValues;
    } else if (hangAt !== undefined) {
      plan.hangAt = hangAt;
    }
    return plan;
  });

type Action =
  | { kind: 'next'; count: number }
  | { kind: 'return' }
  | { kind: 'throw' }
  | { kind: 'abort' }
  | { kind: 'wait'; ticks: number };

const actionArbitrary: fc.Arbitrary<Action> = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 3 }).map((count): Action => ({ kind: 'next', count })) },
  { weight: 1, arbitrary: fc.constant<Action>({ kind: 'return' }) },
  { weight: 1, arbitrary: fc.constant<Action>({ kind: 'throw' }) },
  { weight: 1, arbitrary: fc.constant<Action>({ kind: 'abort' }) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 6 }).map((ticks): Action => ({ kind: 'wait', ticks })) },
);

interface Outcome {
  settled: boolean;
  status?: 'fulfilled' | 'rejected';
  value?: unknown;
}

function observe(promise: Promise<unknown>): Outcome {
  const outcome: Outcome = { settled: false };
  promise.then(
    (value) => {
      outcome.settled = true;
      outcome.status = 'fulfilled';
      outcome.value = value;
    },
    (reason: unknown) => {
      outcome.settled = true;
      outcome.status = 'rejected';
      outcome.value = reason;
    },
  );
  return outcome;
}

describe('abortableIterator', () => {
  describe('properties', () => {
    it('returns a started source at most once and exactly when it must, leaves no listener, settles every call, keeps order', async () => {
      await fc.assert(
        fc.asyncProperty(
          planArbitrary,
          fc.boolean(),
          fc.array(actionArbitrary, { maxLength: 12 }),
          fc.boolean(),
          async (plan, withSignal, actions, endWithAbort) => {
            let clock = 0;
            let finishedAt = Infinity;
            let earlyCloseAt = Infinity;
            let consumerSawEndAt = Infinity;
            const source = new TrackedSource(plan);
            source.onFinish = () => {
              finishedAt = Math.min(finishedAt, ++clock);
            };
            const controller = new AbortController();
            const signal = withSignal ? controller.signal : undefined;
            const iterator = abortableIterator(source.iterable, { signal, onReturnError: () => {} });
            const nexts: Outcome[] = [];
            const others: Outcome[] = [];
            let pullsAtClose = -1;

            const noteEnd = (outcome: Outcome): void => {
              // A natural end or a source error, as the consumer sees it.
              const value = outcome.value as IteratorResult<unknown> | undefined;
              const natural = outcome.status === 'fulfilled' && value?.done === true && finishedAt < earlyCloseAt;
              const failed = outcome.status === 'rejected' && outcome.value instanceof SourceError;
              if (natural || failed) consumerSawEndAt = Math.min(consumerSawEndAt, ++clock);
            };
            const track = (promise: Promise<unknown>, list: Outcome[]): void => {
              const outcome = observe(promise);
              list.push(outcome);
              promise.then(
                () => noteEnd(outcome),
                () => noteEnd(outcome),
              );
            };
            const closeEarly = (): void => {
              earlyCloseAt = Math.min(earlyCloseAt, ++clock);
              if (pullsAtClose < 0) pullsAtClose = source.nextCalls;
            };

            for (const action of actions) {
              switch (action.kind) {
                case 'next':
                  for (let i = 0; i < action.count; i++) track(iterator.next(), nexts);
                  break;
                case 'return':
                  closeEarly();
                  track(iterator.return(), others);
                  break;
                case 'throw':
                  closeEarly();
                  others.push(observe(iterator.throw(new Error('consumer'))));
                  break;
                case 'abort':
                  if (signal) {
                    closeEarly();
                    controller.abort();
                  }
                  break;
                case 'wait':
                  await jitter(action.ticks);
                  break;
              }
            }
            // Every consumer ends its iteration one way or the other.
            if (endWithAbort && signal) {
              closeEarly();
              controller.abort();
            }
            closeEarly();
            track(iterator.return(), others);
            await macrotask();
            await macrotask();

            // At most once, and only if something ended the iteration early.
            const returnable = plan.returnBehavior !== 'missing';
            expect(source.returnCalls).toBeLessThanOrEqual(1);
            if (returnable) {
              if (earlyCloseAt < finishedAt || source.rejectedValue) expect(source.returnCalls).toBe(1);
              if (consumerSawEndAt < earlyCloseAt && !source.rejectedValue) expect(source.returnCalls).toBe(0);
            }

            // No pull once closed by the consumer or the signal.
            if (pullsAtClose >= 0) expect(source.nextCalls).toBe(pullsAtClose);

            // No listener, whatever happened.
            expect(listenerCount(controller.signal, 'abort')).toBe(0);

            // Every call settles; without a signal the one pull in flight on a
            // hung source settles only when the source does.
            expect(others.every((o) => o.settled)).toBe(true);
            const unsettled = nexts.filter((o) => !o.settled).length;
            if (signal) expect(unsettled).toBe(0);
            else {
              expect(unsettled).toBeLessThanOrEqual(1);
              if (unsettled === 1) expect(plan.hangAt).toBeDefined();
            }

            // A call rejects with the abort reason or the source's own error, nothing else.
            for (const o of nexts) {
              if (o.status === 'rejected') {
                expect(o.value === controller.signal.reason || o.value instanceof SourceError).toBe(true);
              }
            }

            // Values arrive in order, each once: a prefix of the source's.
            const delivered = nexts
              .filter((o) => o.status === 'fulfilled' && (o.value as IteratorResult<number>).done === false)
              .map((o) => (o.value as IteratorResult<number>).value);
            expect(delivered).toEqual(plan.values.slice(0, delivered.length));
            // Settled in call order: nothing fulfilled with a value after a call that ended the iteration.
            const firstEnd = nexts.findIndex((o) => o.status === 'rejected' || (o.value as IteratorResult<number> | undefined)?.done === true);
            if (firstEnd >= 0) {
              expect(nexts.slice(firstEnd).every((o) => !(o.status === 'fulfilled' && (o.value as IteratorResult<number>).done === false))).toBe(true);
            }
          },
        ),
        { numRuns: 2000 },
      );
    }, PROPERTY_TIMEOUT);

    it('matches a plain for await when nothing aborts', async () => {
      // A return() that fails or hangs is where we differ on purpose (a break
      // does not wait for it; its error goes to onReturnError), so these
      // sources have a well-behaved one, or none.
      await fc.assert(
        fc.asyncProperty(
          planArbitrary.filter(
            (plan) =>
              plan.hangAt === undefined &&
              plan.hangValueAt === undefined &&
              (plan.returnBehavior === 'ok' || plan.returnBehavior === 'missing'),
          ),
          fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
          fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 8, maxLength: 8 }),
          fc.boolean(),
          async (plan, breakAt, ticks, withSignal) => {
            const run = async (iterable: AsyncIterable<number>, source: TrackedSource<number>) => {
              const seen: number[] = [];
              let error: unknown;
              try {
                let i = 0;
                for await (const value of iterable) {
                  seen.push(value);
                  await jitter(ticks[i % ticks.length]!);
                  if (i++ === breakAt) break;
                }
              } catch (e) {
                error = e;
              }
              await macrotask();
              return {
                seen,
                error: error === undefined ? undefined : [(error as Error).name, (error as Error).message],
                returnCalls: source.returnCalls,
                nextCalls: source.nextCalls,
              };
            };
            const nativeSource = new TrackedSource(plan);
            const native = await run(nativeSource.iterable, nativeSource);
            const ourSource = new TrackedSource(plan);
            const signal = withSignal ? new AbortController().signal : undefined;
            const ours = await run(abortableIterator(ourSource.iterable, { signal, onReturnError: () => {} }), ourSource);
            expect(ours.seen).toEqual(native.seen);
            expect(ours.error).toEqual(native.error);
            expect(ours.nextCalls).toBe(native.nextCalls);
            // Where engines disagree on closing a failed sync source, we follow
            // the spec: a rejected value closes it (tc39/ecma262#2600; Node 20
            // and 22 do not), a next() that throws does not (Node 24 does).
            const syncFailure = plan.sync === true && (ourSource.rejectedValue || plan.failAt !== undefined);
            if (!syncFailure) expect(ours.returnCalls).toBe(native.returnCalls);
          },
        ),
        { numRuns: 2000 },
      );
    }, PROPERTY_TIMEOUT);
  });
});
