// Property tests of pump: random sources, random sinks (sync, async, throwing,
// rejecting) and aborts at random microtask points. Microtask jitter only.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pump } from '../src/pump.js';
import { listenerCount } from '../src/testing/index.js';
import { macrotask, type ReturnBehavior, type SourcePlan, SourceError, TrackedSource } from './helpers/iterables.js';

// Well under 5 s on an idle machine; the margin is for a loaded one (CI, or
// several suites at once), where the default 5 s timeout fails a correct run.
const PROPERTY_TIMEOUT = 60_000;

async function jitter(ticks: number): Promise<void> {
  for (let i = 0; i < ticks; i++) await Promise.resolve();
}

class SinkError extends Error {
  override readonly name = 'SinkError';
}

type SinkStep = { kind: 'sync' } | { kind: 'async'; ticks: number } | { kind: 'throw' } | { kind: 'reject'; ticks: number };

const sinkStep: fc.Arbitrary<SinkStep> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<SinkStep>({ kind: 'sync' }) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 4 }).map((ticks): SinkStep => ({ kind: 'async', ticks })) },
  { weight: 1, arbitrary: fc.constant<SinkStep>({ kind: 'throw' }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 4 }).map((ticks): SinkStep => ({ kind: 'reject', ticks })) },
);

const returnBehaviors: ReturnBehavior[] = ['ok', 'hang', 'throw', 'reject', 'non-object', 'missing'];

const planArbitrary: fc.Arbitrary<SourcePlan<number>> = fc
  .record({
    sync: fc.boolean(),
    length: fc.integer({ min: 0, max: 6 }),
    failAt: fc.option(fc.integer({ min: 0, max: 7 }), { nil: undefined }),
    hangAt: fc.option(fc.integer({ min: 0, max: 7 }), { nil: undefined }),
    rejectValueAt: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
    promiseValues: fc.boolean(),
    returnBehavior: fc.constantFrom(...returnBehaviors),
  })
  .map(({ sync, length, failAt, hangAt, rejectValueAt, promiseValues, returnBehavior }) => {
    const plan: SourcePlan<number> = { values: Array.from({ length }, (_, i) => i * 10), sync, returnBehavior };
    if (failAt !== undefined) plan.failAt = failAt;
    if (sync) {
      if (rejectValueAt !== undefined) plan.rejectValueAt = rejectValueAt;
      plan.promiseValues = promiseValues;
    } else if (hangAt !== undefined) {
      plan.hangAt = hangAt;
    }
    return plan;
  });

describe('pump', () => {
  describe('properties', () => {
    it('settles once, returns the source exactly when it must, feeds the sink in order, leaves no listener', async () => {
      await fc.assert(
        fc.asyncProperty(
          planArbitrary,
          fc.array(sinkStep, { minLength: 7, maxLength: 7 }),
          fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
          fc.boolean(),
          fc.boolean(),
          async (plan, steps, abortAfter, resolveOnAbort, signalGiven) => {
            // A source that may hang needs a signal to end the loop.
            const withSignal = signalGiven || plan.hangAt !== undefined || abortAfter !== undefined;
            let clock = 0;
            let finishedAt = Infinity;
            let abortedAt = Infinity;
            let settledAt = Infinity;
            const source = new TrackedSource(plan);
            source.onFinish = () => {
              finishedAt = Math.min(finishedAt, ++clock);
            };
            const controller = new AbortController();
            const received: number[] = [];
            const sinkCallTimes: number[] = [];
            let inSink = 0;
            let maxInSink = 0;
            let sinkFailure: SinkError | undefined;

            const sink = (value: number): unknown => {
              sinkCallTimes.push(++clock);
              const step = steps[received.length % steps.length]!;
              received.push(value);
              switch (step.kind) {
                case 'sync':
                  return undefined;
                case 'throw':
                  sinkFailure = new SinkError(`sink threw at ${value}`);
                  throw sinkFailure;
                default: {
                  inSink++;
                  maxInSink = Math.max(maxInSink, inSink);
                  const error = step.kind === 'reject' ? new SinkError(`sink rejected at ${value}`) : undefined;
                  if (error) sinkFailure = error;
                  return jitter(step.ticks).then(() => {
                    inSink--;
                    if (error) throw error;
                  });
                }
              }
            };

            const result = pump(source.iterable, sink, {
              signal: withSignal ? controller.signal : undefined,
              resolveOnAbort,
              onReturnError: () => {},
            });
            let outcome: { status: 'fulfilled' | 'rejected'; reason?: unknown } | undefined;
            result.then(
              () => {
                settledAt = ++clock;
                outcome = { status: 'fulfilled' };
              },
              (reason: unknown) => {
                settledAt = ++clock;
                outcome = { status: 'rejected', reason };
              },
            );
            if (abortAfter !== undefined) {
              await jitter(abortAfter);
              abortedAt = ++clock;
              controller.abort();
            }
            await macrotask();
            await macrotask();
            if (outcome === undefined && withSignal) {
              abortedAt = Math.min(abortedAt, ++clock);
              controller.abort();
              await macrotask();
            }

            // It settles, exactly one way.
            expect(outcome).toBeDefined();
            const aborted = abortedAt < settledAt;
            const reason = outcome!.reason;
            const byAbort = aborted && (resolveOnAbort ? outcome!.status === 'fulfilled' : reason === controller.signal.reason);
            const bySink = outcome!.status === 'rejected' && reason instanceof SinkError;
            const bySource = outcome!.status === 'rejected' && reason instanceof SourceError;
            const byEnd = outcome!.status === 'fulfilled' && !byAbort;
            expect([byAbort, bySink, bySource, byEnd].filter(Boolean)).toHaveLength(1);
            if (bySink) expect(reason).toBe(sinkFailure);
            if (byEnd) expect(finishedAt).toBeLessThan(Infinity);

            // The source's return(): at most once; exactly when the loop ended it.
            expect(source.returnCalls).toBeLessThanOrEqual(1);
            if (plan.returnBehavior !== 'missing') {
              const endedEarly = bySink || (byAbort && abortedAt < finishedAt) || source.rejectedValue;
              if (endedEarly) expect(source.returnCalls).toBe(1);
              if (byEnd || (bySource && !source.rejectedValue)) expect(source.returnCalls).toBe(0);
            }

            // The sink: values in order, one call at a time, none after the end.
            expect(received).toEqual(plan.values.slice(0, received.length));
            expect(maxInSink).toBeLessThanOrEqual(1);
            expect(sinkCallTimes.every((t) => t < settledAt)).toBe(true);
            if (byEnd) expect(received).toEqual(plan.values);

            expect(listenerCount(controller.signal, 'abort')).toBe(0);
          },
        ),
        { numRuns: 2000 },
      );
    }, PROPERTY_TIMEOUT);
  });
});
