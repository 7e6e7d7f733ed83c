// The module-level queues paired with microtask jobs (race's marker jobs,
// onAbort's deferred calls on an already-aborted signal) keep storage bounded
// by the jobs queued now – even when the microtask queue never drains, which
// is what two interleaved chains of work produce. A queue reset only when fully
// drained grew here with every job that ever ran (v0.1).
import { describe, expect, it } from 'vitest';
import { markerQueueSlots } from '../../src/internal/contender-registry.js';
import { deferredQueueSlots, onAbort } from '../../src/on-abort.js';
import { race } from '../../src/race.js';

const JOBS = 50_000;

describe('paired microtask queues', () => {
  it('keeps race marker jobs in storage bounded by the live jobs while staggered chains never let the queue drain', async () => {
    // A promise raced before and already settled: every later race on it joins
    // its record through a marker job.
    const settled = Promise.resolve('v');
    await race([settled]);
    let maxSlots = 0;
    // Chains started one microtask apart: whenever a marker job runs, another
    // chain's job is already queued behind it.
    const chain = async (offset: number): Promise<void> => {
      for (let i = 0; i < offset; i++) await null;
      for (let i = 0; i < JOBS; i++) {
        await race([settled]);
        maxSlots = Math.max(maxSlots, markerQueueSlots());
      }
    };
    await Promise.all([0, 1, 2, 3].map(chain));
    expect(maxSlots).toBeLessThanOrEqual(64);
  });

  it('keeps deferred onAbort calls in storage bounded by the live calls while two chains never let the queue drain', async () => {
    const signal = AbortSignal.abort();
    let maxSlots = 0;
    const chain = (): Promise<void> =>
      new Promise((resolve) => {
        let left = JOBS;
        const again = (): void => {
          maxSlots = Math.max(maxSlots, deferredQueueSlots());
          if (--left === 0) resolve();
          else onAbort(signal, again);
        };
        onAbort(signal, again);
      });
    await Promise.all([chain(), chain()]);
    expect(maxSlots).toBeLessThanOrEqual(64);
  });
});
