// Real case 2: p-queue 9.0.0, `queue.add(fn, { signal })` with one long-lived
// signal.
//
// Report: sindresorhus/p-queue PR #235 (released as 9.0.1): "Fix memory leak
// with abort signal". In 9.0.0, `add()` races the task against
// `#throwOnAbort(signal)`, a promise whose `abort` listener is added with
// `{ once: true }` and never removed. A signal that never aborts (a service's
// shutdown signal) therefore gains one listener per task, and each listener's
// promise carries the race's reaction, which reaches the race's result: every
// task's result stays reachable for as long as the signal lives.
// 9.0.1 removes the listener when the task settles.
// leakproof: keep 9.0.0, give p-queue no signal, and stop waiting with
// `abortable(task, { signal })`, which subscribes through the shared abort hub and
// leaves the signal when the task settles.
//
// Real parts: the published p-queue 9.0.0 and 9.0.1 (npm aliases
// p-queue-9.0.0 / p-queue-9.0.1), one AbortController for the whole test.

import { getEventListeners } from 'node:events';
import PQueue900 from 'p-queue-9.0.0';
import PQueue901 from 'p-queue-9.0.1';
import { describe, expect, it } from 'vitest';
import { abortable } from '../../../src/abortable.js';
import { expectCollectable, expectRetained, LeakError, track, type Tracker } from '../../../src/testing/index.js';
import { pathText } from './explanation.js';
import { report, settledBytes } from './report.js';

type Queue = PQueue900 | PQueue901;
type Variant = 'p-queue@9.0.0' | 'p-queue@9.0.1' | 'p-queue@9.0.0 + abortable';

const N = 50;
/** Elements in one task result: 16 Ki numbers, 128 KiB of elements. */
const ROWS = 1 << 14;

/** What a task produces: a parsed page, a query result. */
class TaskResult {
  readonly rows: number[];
  constructor(readonly seq: number) {
    this.rows = new Array<number>(ROWS).fill(seq);
  }
}

/** The leakproof wait, in one place: the task's promise, or `signal.reason` once it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return abortable(promise, { signal });
}

function makeQueue(variant: Variant): Queue {
  return variant === 'p-queue@9.0.1' ? new PQueue901({ concurrency: 4 }) : new PQueue900({ concurrency: 4 });
}

/** Queues one task the way the variant passes the signal; the result is tracked, not kept. */
function enqueue(queue: Queue, variant: Variant, signal: AbortSignal, tracker: Tracker, seq: number): Promise<unknown> {
  const task = async (): Promise<TaskResult> => {
    await Promise.resolve();
    const result = new TaskResult(seq);
    tracker.add(result, `result of task ${seq}`);
    return result;
  };
  if (variant === 'p-queue@9.0.0 + abortable') {
    // p-queue never sees the signal; leakproof stops the wait on abort.
    return queue.add(() => {
      signal.throwIfAborted();
      return untilAborted(task(), signal);
    });
  }
  return queue.add(task, { signal });
}

/** Runs `n` tasks to completion with one signal; keeps none of their results. */
async function runTasks(variant: Variant, signal: AbortSignal, tracker: Tracker, n: number): Promise<Queue> {
  const queue = makeQueue(variant);
  const done: Promise<unknown>[] = [];
  for (let seq = 0; seq < n; seq++) done.push(enqueue(queue, variant, signal, tracker, seq));
  await Promise.all(done).then(() => undefined);
  await queue.onIdle();
  return queue;
}

function abortListeners(signal: AbortSignal): number {
  return getEventListeners(signal, 'abort').length;
}

describe('real case 2: p-queue add(fn, { signal }) with one long-lived signal', () => {
  describe('leaks', () => {
    it('positive control: p-queue 9.0.0 leaves one abort listener per task and keeps every result', async () => {
      // Lives for the whole test, as a service's shutdown signal does.
      const shutdown = new AbortController();
      const results = track();
      const before = await settledBytes();
      const queue = await runTasks('p-queue@9.0.0', shutdown.signal, results, N);
      expect(queue.size + queue.pending).toBe(0);
      expect(abortListeners(shutdown.signal)).toBe(N);
      const grown = (await settledBytes()) - before;
      const error = await expectCollectable(results, { explain: true }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LeakError);
      // Every result, not stragglers: each listener's promise holds its race.
      expect((error as LeakError).alive).toBe(N);
      expect((error as LeakError).labels).toContain('result of task 0');
      // The explanation names the cause: the abort listener 9.0.0 leaves on
      // the signal, its promise's `reject`, and that promise's pending
      // reaction from `Promise.race` leading to the race's resolved value.
      const { message, retainers } = error as LeakError;
      expect(retainers.map((r) => r.label)).toEqual(['result of task 0', 'result of task 1', 'result of task 2']);
      for (const retainer of retainers) {
        const path = pathText(retainer);
        expect(path).toContain("event listener for 'abort'");
        expect(path).toMatch(/p-queue-9\.0\.0\/dist\/index\.js/);
        expect(path).toContain('pending `.then` reaction');
        expect(path).toContain('resolved value');
      }
      expect(message).toContain("event listener for 'abort'");
      expect(message).toMatch(/p-queue-9\.0\.0\/dist\/index\.js/);
      // At least the results' elements stay: N x 16 Ki x 8 bytes.
      expect(grown).toBeGreaterThan(N * ROWS * 8 * 0.9);
      report('2 p-queue', { version: '9.0.0', tasks: N, listeners: N, alive: N, retainedKiB: Math.round(grown / 1024) });
      // Aborting the signal fires the listeners, which settle their promises and free the results.
      shutdown.abort();
      expect(abortListeners(shutdown.signal)).toBe(0);
      await expectCollectable(results);
    });

    for (const variant of ['p-queue@9.0.1', 'p-queue@9.0.0 + abortable'] as const) {
      it(`releases every result and leaves no listener on the signal (${variant})`, async () => {
        const shutdown = new AbortController();
        const results = track();
        const before = await settledBytes();
        await runTasks(variant, shutdown.signal, results, N);
        expect(abortListeners(shutdown.signal)).toBe(0);
        const grown = (await settledBytes()) - before;
        await expectCollectable(results);
        report('2 p-queue', { version: variant, tasks: N, listeners: 0, alive: 0, retainedKiB: Math.round(grown / 1024) });
      });
    }
  });

  describe('semantics', () => {
    for (const variant of ['p-queue@9.0.1', 'p-queue@9.0.0 + abortable'] as const) {
      it(`rejects a running task's add() with signal.reason on abort and leaves no listener (${variant})`, async () => {
        const controller = new AbortController();
        const queue = makeQueue(variant);
        const tracker = track();
        const finished = enqueue(queue, variant, controller.signal, tracker, 0);
        // A task that never finishes by itself, queued behind the first one's concurrency slot.
        const stuck =
          variant === 'p-queue@9.0.1'
            ? queue.add(() => new Promise<never>(() => {}), { signal: controller.signal })
            : queue.add(() => untilAborted(new Promise<never>(() => {}), controller.signal));
        await finished;
        await Promise.resolve();
        const reason = new Error('shutting down');
        controller.abort(reason);
        await expect(stuck).rejects.toBe(reason);
        expect(abortListeners(controller.signal)).toBe(0);
      });
    }
  });

  describe('cleanup', () => {
    it('keeps a running task and its signal subscription through GC rounds, then delivers its result (counter-test)', async () => {
      const shutdown = new AbortController();
      const queue = makeQueue('p-queue@9.0.0 + abortable');
      const results = track();
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const added = queue.add(() => untilAborted(holdResult(results, gate), shutdown.signal));
      // The task is still running: its result must survive the GC rounds, and
      // the wait keeps its one subscription on the signal meanwhile.
      await expectRetained(results);
      expect(abortListeners(shutdown.signal)).toBe(1);
      release();
      // ...and the wait still delivers the task's outcome.
      expect(await added).toBe(ROWS);
      expect(abortListeners(shutdown.signal)).toBe(0);
      await expectCollectable(results);
    });
  });
});

async function holdResult(tracker: Tracker, gate: Promise<void>): Promise<number> {
  const result = new TaskResult(0);
  tracker.add(result, 'held result');
  await gate;
  return result.rows.length;
}
