// Real case 3: Comlink 4.4.2 over worker_threads, worker terminated mid-call.
//
// Report: GoogleChromeLabs/comlink#655 ("Memory leak when terminating worker
// with ongoing call"); open, no fixed release. `wrap(endpoint)` keeps a
// `pendingListeners` Map of resolvers, filled per call and emptied only by an
// answer (or by `releaseProxy`, which settles nothing). After
// `worker.terminate()` no answer comes: each pending call's promise stays
// pending, its resolver stays in the Map, and the caller's suspended `await`
// (a reaction on that promise, with `this` in its frame) stays reachable from
// the proxy the application holds. `wrap()` also adds a `message` listener
// to the endpoint that nothing ever removes, `releaseProxy` included.
// leakproof: a wrapper that binds the proxy to a `Scope` closed on the
// worker's `exit`: every call runs through `scope.run`, so closing rejects
// every pending call with the exit reason at once; its cleanups release the
// proxy (emptying the Map) and remove the listener `wrap()` added.
//
// Real parts: comlink 4.4.2's `wrap`/`releaseProxy` and its Node adapter on
// the parent side, `expose` in a worker_threads Worker
// (fixtures/comlink-worker.mjs).
//
// Refs: https://github.com/GoogleChromeLabs/comlink/issues/655.

import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { type Endpoint, type Remote, releaseProxy, wrap } from 'comlink';
import nodeEndpoint from 'comlink/dist/umd/node-adapter.js';
import { afterEach, describe, expect, it } from 'vitest';
import { ClosedError } from '../../../src/errors.js';
import { type CloseResult, Scope } from '../../../src/scope.js';
import { expectCollectable, expectRetained, LeakError, track, type Tracker } from '../../../src/testing/index.js';
import { pathText } from './explanation.js';
import { report, settledBytes } from './report.js';

const WORKER_URL = new URL('./fixtures/comlink-worker.mjs', import.meta.url);
const N = 10;

/** What the worker exposes (fixtures/comlink-worker.mjs). */
interface WorkerApi {
  echo(...args: unknown[]): unknown[];
  hold(): Promise<string>;
  flush(): string;
  hang(): Promise<never>;
}

/** The reason every call pending at the worker's exit is rejected with. */
class WorkerExitError extends Error {
  override readonly name = 'WorkerExitError';
  readonly code = 'ERR_WORKER_EXITED';
  constructor(readonly exitCode: number) {
    super(`The worker exited (code ${exitCode}) with calls in flight`);
  }
}

type Handler = Parameters<Endpoint['addEventListener']>[1];

/** How callers reach the worker: Comlink's proxy directly, or through the scoped wrapper. */
interface Client {
  call<R>(fn: (api: Remote<WorkerApi>) => Promise<R>): Promise<R>;
}

/** Comlink as its README shows it: `const api = wrap(nodeEndpoint(worker))`. */
class PlainClient implements Client {
  readonly api: Remote<WorkerApi>;
  constructor(worker: Worker) {
    this.api = wrap<WorkerApi>(nodeEndpoint(worker));
  }
  call<R>(fn: (api: Remote<WorkerApi>) => Promise<R>): Promise<R> {
    return fn(this.api);
  }
}

/**
 * Comlink bound to the worker's lifetime. The endpoint is Comlink's Node
 * adapter, with its `message` handlers recorded so that the scope's cleanup
 * can remove the one `wrap()` adds.
 */
class ScopedClient implements Client {
  readonly api: Remote<WorkerApi>;
  readonly #scope = new Scope();
  /** The close started by the worker's exit. */
  closed: Promise<CloseResult> | null = null;

  constructor(worker: Worker) {
    const endpoint = recordingEndpoint(nodeEndpoint(worker), this.#scope);
    this.api = wrap<WorkerApi>(endpoint);
    // Registered after wrap(): cleanups run last-in first-out, so the proxy
    // is released (its Map emptied) before the listener goes.
    this.#scope.defer(releaseApi.bind(null, this.api));
    worker.once('exit', closeOnExit.bind(null, this, this.#scope));
  }

  call<R>(fn: (api: Remote<WorkerApi>) => Promise<R>): Promise<R> {
    return this.#scope.run(() => fn(this.api));
  }
}

// Module-level helpers: the long-lived listeners receive only what they need.

function recordingEndpoint(inner: Endpoint, scope: Scope): Endpoint {
  return {
    postMessage: inner.postMessage.bind(inner),
    addEventListener(type: string, handler: Handler) {
      inner.addEventListener(type, handler);
      scope.defer(removeHandler.bind(null, inner, type, handler));
    },
    removeEventListener: inner.removeEventListener.bind(inner),
  } as Endpoint;
}

function removeHandler(endpoint: Endpoint, type: string, handler: Handler): void {
  endpoint.removeEventListener(type, handler);
}

function releaseApi(api: Remote<WorkerApi>): void {
  api[releaseProxy]();
}

function closeOnExit(client: ScopedClient, scope: Scope, exitCode: number): void {
  // The worker is gone: nothing will answer, so there is nothing to wait for.
  client.closed = scope.close(new WorkerExitError(exitCode), { timeout: 0 });
}

// ---------------------------------------------------------------------------
// The caller: a large object that awaits a call inside one of its methods.

/** How the callers' calls ended, counted without keeping the callers. */
const outcomes = { fulfilled: 0, rejections: [] as unknown[] };

class Dashboard {
  /** 64 Ki numbers: what a view model or a parsed document weighs. */
  readonly rows = new Array<number>(1 << 16).fill(1);
  result: unknown;

  constructor(readonly client: Client) {}

  async refresh(method: 'hang' | 'hold'): Promise<void> {
    try {
      this.result = await this.client.call((api) => api[method]());
      outcomes.fulfilled++;
    } catch (error) {
      outcomes.rejections.push(error);
    }
  }
}

/** Starts `n` callers in a frame of their own and keeps none of them. */
function startCallers(client: Client, tracker: Tracker, n: number, method: 'hang' | 'hold'): void {
  for (let i = 0; i < n; i++) {
    const caller = new Dashboard(client);
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

describe('real case 3: Comlink 4.4.2, worker terminated mid-call (comlink#655)', () => {
  describe('leaks', () => {
    it('positive control: comlink keeps every caller whose call was pending at terminate()', async () => {
      const worker = spawn();
      // The application holds the proxy for its lifetime.
      const client = new PlainClient(worker);
      expect(await client.api.echo('ready')).toEqual(['ready']);
      const callers = track();
      const before = await settledBytes();
      startCallers(client, callers, N, 'hang');
      await nextMacrotask();
      expect(await worker.terminate()).toBe(1);
      await nextMacrotask();
      // Nothing settles the calls, so the callers wait forever...
      expect(outcomes.rejections.length + outcomes.fulfilled).toBe(0);
      // ...and each one is reachable from the proxy's pending-call Map through its await.
      const error = await expectCollectable(callers, { explain: true }).catch((e: unknown) => e);
      const grown = (await settledBytes()) - before;
      expect(error).toBeInstanceOf(LeakError);
      expect((error as LeakError).alive).toBe(N);
      expect((error as LeakError).labels).toContain('caller 0 (hang)');
      // The explanation names the cause: comlink's `pendingListeners` Map,
      // the call's promise and its pending reactions, and the caller's
      // suspended `refresh`.
      const { message, retainers } = error as LeakError;
      expect(retainers.map((r) => r.label)).toEqual(['caller 0 (hang)', 'caller 1 (hang)', 'caller 2 (hang)']);
      for (const retainer of retainers) {
        const path = pathText(retainer);
        expect(path).toMatch(/comlink\/dist\/umd\/comlink\.js/);
        expect(path).toContain('`pendingListeners`');
        expect(path).toContain('Map entry');
        expect(path).toContain('pending `.then` reaction');
        expect(path).toContain('suspended async function `refresh`');
      }
      expect(message).toContain('`pendingListeners`');
      // At least the callers' rows: N x 64 Ki x 8 bytes.
      expect(grown).toBeGreaterThan(N * (1 << 16) * 8 * 0.9);
      report('3 comlink', { version: '4.4.2', pending: N, alive: N, retainedKiB: Math.round(grown / 1024) });
      // releaseProxy empties the Map, which frees them, but settles nothing: they never resume.
      client.api[releaseProxy]();
      await expectCollectable(callers);
      expect(outcomes.rejections.length + outcomes.fulfilled).toBe(0);
    });

    it("positive control: each wrap() leaves a 'message' listener that releaseProxy does not remove", async () => {
      const worker = spawn();
      expect(worker.listenerCount('message')).toBe(0);
      const apis = [];
      for (let i = 0; i < 5; i++) {
        const api = wrap<WorkerApi>(nodeEndpoint(worker));
        expect(await api.echo(i)).toEqual([i]);
        apis.push(api);
      }
      // Released only now: the first RELEASE closes the worker's side.
      for (const api of apis) api[releaseProxy]();
      expect(worker.listenerCount('message')).toBe(5);
      report('3 comlink', { version: '4.4.2', wraps: 5, releasedProxies: 5, messageListeners: 5 });
    });

    it('rejects every pending call with the exit reason and releases every caller (Scope-bound wrapper)', async () => {
      const worker = spawn();
      const client = new ScopedClient(worker);
      expect(await client.api.echo('ready')).toEqual(['ready']);
      expect(worker.listenerCount('message')).toBe(1);
      const callers = track();
      const before = await settledBytes();
      startCallers(client, callers, N, 'hang');
      await nextMacrotask();
      expect(await worker.terminate()).toBe(1);
      await nextMacrotask();
      // Every pending call rejected with the termination reason, at once.
      expect(outcomes.fulfilled).toBe(0);
      expect(outcomes.rejections.length).toBe(N);
      const [reason] = outcomes.rejections;
      expect(reason).toBeInstanceOf(WorkerExitError);
      expect((reason as WorkerExitError).exitCode).toBe(1);
      expect(outcomes.rejections.every((e) => e === reason)).toBe(true);
      // The close gave up on the N calls the worker never answered, then released the proxy.
      expect(await client.closed).toEqual({ pending: N });
      expect(worker.listenerCount('message')).toBe(0);
      await expectCollectable(callers);
      const grown = (await settledBytes()) - before;
      report('3 comlink', { version: '4.4.2 + Scope', pending: N, alive: 0, retainedKiB: Math.round(grown / 1024) });
    });
  });

  describe('semantics', () => {
    it('answers calls while the worker runs, and rejects calls made after it exited', async () => {
      const worker = spawn();
      const client = new ScopedClient(worker);
      expect(await client.call((api) => api.echo(1, 2))).toEqual([1, 2]);
      await worker.terminate();
      await nextMacrotask();
      const late = await client.call((api) => api.echo(3)).catch((e: unknown) => e);
      expect(late).toBeInstanceOf(ClosedError);
      expect((late as ClosedError).cause).toBeInstanceOf(WorkerExitError);
    });
  });

  describe('cleanup', () => {
    it('keeps callers whose calls are pending on a live worker, then releases them after the answer (counter-test)', async () => {
      const worker = spawn();
      const client = new ScopedClient(worker);
      const callers = track();
      startCallers(client, callers, N, 'hold');
      // The answer may still come: the callers must stay alive meanwhile.
      await expectRetained(callers);
      expect(await client.call((api) => api.flush())).toBe('flushed');
      await nextMacrotask();
      expect(outcomes.fulfilled).toBe(N);
      expect(outcomes.rejections.length).toBe(0);
      await expectCollectable(callers);
    });
  });
});
