import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { abortable } from '../src/abortable.js';
import { listenerCount } from '../src/testing/index.js';

// Issue #3, section 1: `abortable` settles like `promise` or rejects with
// `signal.reason`, whichever comes first, and removes its listener when it
// settles. Schedules are microtask jitter (no timers): every event and every
// call happens after a random number of microtask turns, so settle-then-abort,
// abort-then-settle, both in the same turn, calls on already-settled promises
// and on already-aborted signals are all explored.

type Outcome = { status: 'fulfilled'; value: unknown } | { status: 'rejected'; reason: unknown } | { status: 'pending' };

interface Scenario {
  promises: Array<{ settle: 'resolve' | 'reject' | 'never'; at: number }>;
  signals: Array<{ abort: boolean; at: number }>;
  calls: Array<{ promise: number; signal: number; at: number }>;
}

type Wrapper = (promise: Promise<unknown>, signal: AbortSignal) => Promise<unknown>;

/** The reference: correct semantics, one reaction and one listener per call, removed on settle. */
const reference: Wrapper = (promise, signal) =>
  new Promise((resolve, reject) => {
    if (signal.aborted) {
      promise.then(undefined, () => {});
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (reason: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(reason);
      },
    );
  });

const ours: Wrapper = (promise, signal) => abortable(promise, { signal });

async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await null;
}

const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    promiseCount: fc.integer({ min: 1, max: 3 }),
    signalCount: fc.integer({ min: 1, max: 3 }),
  })
  .chain(({ promiseCount, signalCount }) =>
    fc.record({
      promises: fc.array(
        fc.record({ settle: fc.constantFrom('resolve' as const, 'reject' as const, 'never' as const), at: fc.nat(6) }),
        { minLength: promiseCount, maxLength: promiseCount },
      ),
      signals: fc.array(fc.record({ abort: fc.boolean(), at: fc.nat(6) }), { minLength: signalCount, maxLength: signalCount }),
      calls: fc.array(
        fc.record({ promise: fc.nat(promiseCount - 1), signal: fc.nat(signalCount - 1), at: fc.nat(6) }),
        { minLength: 1, maxLength: 6 },
      ),
    }),
  );

/** Runs one scenario against one wrapper; returns every call's outcome and the listeners left per signal. */
async function run(s: Scenario, wrap: Wrapper): Promise<{ outcomes: Outcome[]; listeners: number[]; settledPerSignal: boolean[] }> {
  const promises = s.promises.map((_, i) => {
    let resolve!: (value: unknown) => void;
    let reject!: (reason: unknown) => void;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // The scenario's own promises may reject with no call waiting on them yet.
    promise.catch(() => {});
    return { promise, resolve: () => resolve(`value ${i}`), reject: () => reject(`error ${i}`) };
  });
  const controllers = s.signals.map(() => new AbortController());
  const outcomes: Outcome[] = s.calls.map(() => ({ status: 'pending' }));
  const started: Array<Promise<unknown>> = [];

  const jobs: Array<Promise<void>> = [];
  s.promises.forEach((p, i) => {
    if (p.settle === 'never') return;
    jobs.push(turns(p.at).then(() => (p.settle === 'resolve' ? promises[i]!.resolve() : promises[i]!.reject())));
  });
  s.signals.forEach((sig, i) => {
    if (sig.abort) jobs.push(turns(sig.at).then(() => controllers[i]!.abort(`abort ${i}`)));
  });
  s.calls.forEach((call, k) => {
    jobs.push(
      turns(call.at).then(() => {
        const result = wrap(promises[call.promise]!.promise, controllers[call.signal]!.signal);
        started.push(result);
        result.then(
          (value) => (outcomes[k] = { status: 'fulfilled', value }),
          (reason: unknown) => (outcomes[k] = { status: 'rejected', reason }),
        );
      }),
    );
  });
  await Promise.all(jobs);
  await turns(20);
  const listeners = controllers.map((c) => listenerCount(c.signal, 'abort'));
  const settledPerSignal = controllers.map((_, i) => s.calls.every((call, k) => call.signal !== i || outcomes[k]!.status !== 'pending'));
  // Never-settling promises and never-aborted signals are local to this run; nothing leaks out of it.
  void started;
  return { outcomes, listeners, settledPerSignal };
}

describe('abortable', () => {
  describe('properties', () => {
    it('settles every call exactly as the reference wrapper does, on every schedule', async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          const expected = await run(s, reference);
          const actual = await run(s, ours);
          expect(actual.outcomes).toEqual(expected.outcomes);
        }),
        { numRuns: 2000 },
      );
    });

    it('leaves no listener on a signal once its calls have settled, and at most one before', async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          const { listeners, settledPerSignal } = await run(s, ours);
          listeners.forEach((count, i) => {
            expect(count).toBeLessThanOrEqual(1);
            if (settledPerSignal[i]) expect(count).toBe(0);
          });
        }),
        { numRuns: 2000 },
      );
    });

    it('rejects with signal.reason whenever the signal aborted before the promise settled', async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async (s) => {
          const { outcomes } = await run(s, ours);
          s.calls.forEach((call, k) => {
            const sig = s.signals[call.signal]!;
            const p = s.promises[call.promise]!;
            const outcome = outcomes[k]!;
            // An abort no later than the call itself always wins: the call sees an aborted signal.
            if (sig.abort && sig.at <= call.at) {
              expect(outcome).toEqual({ status: 'rejected', reason: `abort ${call.signal}` });
            }
            // Neither side ever settles: the call stays pending.
            if (!sig.abort && p.settle === 'never') expect(outcome.status).toBe('pending');
          });
        }),
        { numRuns: 2000 },
      );
    });
  });
});
