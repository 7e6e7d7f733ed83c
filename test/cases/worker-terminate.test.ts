// Case study 2: a worker terminated mid-call (Comlink-shaped RPC).
//
// Symptom (GoogleChromeLabs/comlink#655, "Memory leak when terminating worker
// with ongoing call"): a class that called a wrapped worker and terminated it
// before the call returned was never garbage-collected.
// Cause: the pending call's promise never settles, its resolvers stay in a
// pending-call map that outlives the worker, and the caller's suspended
// `await` (inside a method, so with `this`) is a reaction on that promise.
// Fix: bind a `Scope` to the worker's lifetime and run every call through
// `scope.run`; close the scope on the worker's `exit` event. Closing rejects
// every promise the scope handed out with the termination reason at once,
// whatever the worker did, so every caller's `await` resumes and lets go.
//
// Real parts: a worker_threads Worker (test/cases/fixtures/rpc-worker.mjs)
// that answers `echo` at once, answers `hold` later and never answers `hang`;
// `worker.terminate()` while a `hang` call is pending.
//
// Refs: https://github.com/GoogleChromeLabs/comlink/issues/655, issue 5.

import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { ClosedError } from '../../src/errors.js';
import { type CloseResult, Scope } from '../../src/scope.js';
import { expectCollectable, expectRetained, LeakError, track, type Tracker } from '../../src/testing/index.js';

const WORKER_URL = new URL('./fixtures/rpc-worker.mjs', import.meta.url);

/** The reason every call pending at the worker's exit is rejected with. */
class WorkerExitError extends Error {
  override readonly name = 'WorkerExitError';
  readonly code = 'ERR_WORKER_EXITED';
  constructor(readonly exitCode: number) {
    super(`The worker exited (code ${exitCode}) with calls in flight`);
  }
}

interface Answer {
  id: number;
  result?: unknown;
  error?: string;
}
interface PendingCall {
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

/** What both RPC clients offer: Comlink's `await proxy.method(...args)`, spelled out. */
interface Rpc {
  call(method: string, ...args: unknown[]): Promise<unknown>;
  /** Calls whose answer the client still waits for. */
  readonly pendingCalls: number;
}

/**
 * The naive client: a pending-call map keyed by id, answered by the message
 * listener, and never cleared when the worker goes away.
 */
class NaiveRpc implements Rpc {
  readonly #worker: Worker;
  readonly #pending = new Map<number, PendingCall>();
  #nextId = 0;

  constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', answer.bind(null, this.#pending));
  }

  get pendingCalls(): number {
    return this.#pending.size;
  }

  call(method: string, ...args: unknown[]): Promise<unknown> {
    return send(this.#worker, this.#pending, this.#nextId++, method, args);
  }
}

/**
 * The same client with its lifetime bound to the worker: a Scope closed on the
 * worker's `exit`, every call run through `scope.run`, and the pending-call map
 * cleared by a cleanup of that scope.
 */
class ScopedRpc implements Rpc {
  readonly #worker: Worker;
  readonly #pending = new Map<number, PendingCall>();
  readonly #scope = new Scope();
  #nextId = 0;
  /** The close started by the worker's exit (what it had to give up on). */
  closed: Promise<CloseResult> | null = null;

  constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', answer.bind(null, this.#pending));
    worker.once('exit', closeOnExit.bind(null, this, this.#scope));
    this.#scope.defer(clearMap.bind(null, this.#pending));
  }

  get pendingCalls(): number {
    return this.#pending.size;
  }

  call(method: string, ...args: unknown[]): Promise<unknown> {
    const id = this.#nextId++;
    return this.#scope.run(() => send(this.#worker, this.#pending, id, method, args));
  }
}

// Module-level helpers: the long-lived listeners receive only what they need.

function send(worker: Worker, pending: Map<number, PendingCall>, id: number, method: string, args: unknown[]) {
  return new Promise<unknown>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker.postMessage({ id, method, args });
  });
}

function answer(pending: Map<number, PendingCall>, { id, result, error }: Answer): void {
  const call = pending.get(id);
  if (call === undefined) return;
  pending.delete(id);
  if (error === undefined) call.resolve(result);
  else call.reject(new Error(error));
}

function closeOnExit(rpc: ScopedRpc, scope: Scope, exitCode: number): void {
  // The worker is gone: nothing will answer, so there is nothing to wait for.
  rpc.closed = scope.close(new WorkerExitError(exitCode), { timeout: 0 });
}

function clearMap(map: Map<unknown, unknown>): void {
  map.clear();
}

// ---------------------------------------------------------------------------
// The caller: a large object that awaits a call inside one of its methods.

/** How the callers' calls ended, counted without keeping the callers. */
const outcomes = { fulfilled: 0, rejections: [] as unknown[] };

class Dashboard {
  /** 64 Ki numbers: what a view model, a parsed document or a cache weighs. */
  readonly rows = new Array<number>(1 << 16).fill(1);
  result: unknown;

  constructor(readonly rpc: Rpc) {}

  async refresh(method: string): Promise<void> {
    try {
      this.result = await this.rpc.call(method, this.rows.length);
      outcomes.fulfilled++;
    } catch (error) {
      outcomes.rejections.push(error);
    }
  }
}

/** Starts `n` callers in a frame of their own and keeps none of them. */
function startCallers(rpc: Rpc, tracker: Tracker, n: number, method: string): void {
  for (let i = 0; i < n; i++) {
    const caller = new Dashboard(rpc);
    tracker.add(caller, `caller ${i} (${method})`);
    void caller.refresh(method);
  }
}

const workers: Worker[] = [];

function spawn(): Worker {
  const worker = new Worker(WORKER_URL);
  workers.push(worker);
  return worker;
}

afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.terminate()));
  outcomes.fulfilled = 0;
  outcomes.rejections.length = 0;
});

const N = 10;

describe('case 2: a worker terminated mid-call', () => {
  describe('leaks', () => {
    it('positive control: a naive pending-call map keeps every caller of a terminated worker', async () => {
      const worker = spawn();
      // The client lives as long as the application (Comlink's `wrap(worker)`).
      const rpc = new NaiveRpc(worker);
      expect(await rpc.call('echo', 'ready')).toEqual(['ready']);
      const callers = track();
      startCallers(rpc, callers, N, 'hang');
      await nextMacrotask();
      expect(await worker.terminate()).toBe(1);
      await nextMacrotask();
      // Nothing settles the calls, so the callers wait forever...
      expect(outcomes.rejections.length + outcomes.fulfilled).toBe(0);
      expect(rpc.pendingCalls).toBe(N);
      // ...and each one is reachable from the map through its await.
      const error = await expectCollectable(callers).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LeakError);
      expect((error as LeakError).alive).toBe(N);
    });

    it('releases every caller when the worker is terminated mid-call (Scope bound to the worker)', async () => {
      const worker = spawn();
      const rpc = new ScopedRpc(worker);
      expect(await rpc.call('echo', 'ready')).toEqual(['ready']);
      const callers = track();
      startCallers(rpc, callers, N, 'hang');
      await nextMacrotask();
      expect(rpc.pendingCalls).toBe(N);
      expect(await worker.terminate()).toBe(1);
      await nextMacrotask();
      // Every pending call rejected with the termination reason, at once.
      expect(outcomes.fulfilled).toBe(0);
      expect(outcomes.rejections.length).toBe(N);
      const [reason] = outcomes.rejections;
      expect(reason).toBeInstanceOf(WorkerExitError);
      expect((reason as WorkerExitError).exitCode).toBe(1);
      expect(outcomes.rejections.every((e) => e === reason)).toBe(true);
      // The close gave up on the N calls the worker never answered, then cleared the map.
      expect(await rpc.closed).toEqual({ pending: N });
      expect(rpc.pendingCalls).toBe(0);
      await expectCollectable(callers);
    });
  });

  describe('semantics', () => {
    it('answers calls while the worker runs, and rejects calls made after it exited', async () => {
      const worker = spawn();
      const rpc = new ScopedRpc(worker);
      expect(await rpc.call('echo', 1, 2)).toEqual([1, 2]);
      await worker.terminate();
      await nextMacrotask();
      const late = await rpc.call('echo', 3).catch((e: unknown) => e);
      expect(late).toBeInstanceOf(ClosedError);
      expect((late as ClosedError).cause).toBeInstanceOf(WorkerExitError);
      expect(rpc.pendingCalls).toBe(0);
    });
  });

  describe('cleanup', () => {
    it('keeps a caller whose call is still pending on a live worker, then releases it after the answer (counter-test)', async () => {
      const worker = spawn();
      const rpc = new ScopedRpc(worker);
      const callers = track();
      startCallers(rpc, callers, N, 'hold');
      // The answer may still come: the callers must stay alive meanwhile.
      await expectRetained(callers, { rounds: 4 });
      expect(rpc.pendingCalls).toBe(N);
      expect(await rpc.call('flush')).toBe('flushed');
      await nextMacrotask();
      expect(outcomes.fulfilled).toBe(N);
      expect(outcomes.rejections.length).toBe(0);
      expect(rpc.pendingCalls).toBe(0);
      await expectCollectable(callers);
    });
  });
});
