// `Scope` against the hand-written patterns it replaces.
//
// Time per operation:
//   run        one task per op on a long-lived scope, awaited by the caller:
//              `scope.run(fn)` vs the manual pattern (one long-lived
//              AbortController, `await fn(signal)`) vs
//              `Promise.race([fn(signal), abortPromise])` (the usual way to stop
//              waiting on close; it leaves a reaction on abortPromise per call);
//   open/close a child lifetime of a long-lived owner signal per op:
//              `new Scope({ signal })` + `close()` vs a child AbortController
//              linked with addEventListener/removeEventListener vs
//              `AbortSignal.any([owner])`;
//   lifetime   a whole short-lived scope per op (one task, one cleanup, close
//              awaited) vs the same by hand.
// Memory (bytes retained per op after full GCs, the headline):
//   the same run and open/close loops, keeping the long-lived scope, signal
//   and abort promise alive.
//
// Run: node --expose-gc --import tsx bench/scope.bench.ts
//      (or `npm run bench -- scope`). Takes ~30 s on a quiet machine.

import { setMaxListeners } from 'node:events';
import { Scope } from '../src/scope.js';
import { printHeader, printRows, retainedPerOp, runScenario, type Contender } from './harness.js';

const OPS = 50_000;
const LIFETIME_OPS = 10_000;
const ROUNDS = 9;
const WARMUP = 2;
const MEMORY_OPS = 20_000;

function never(): void {}
// Every close/abort gets this reason: a default reason is a fresh DOMException
// (~µs, a stack trace each) for every contender alike, and would drown the
// differences being measured.
const REASON = new Error('closed');
const noop = (): void => {};
const task = (signal: AbortSignal): Promise<boolean> => Promise.resolve(signal.aborted);

function abortPromise(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
}

// --- run ------------------------------------------------------------------------

const run: Record<string, Contender> = {
  'manual: long-lived AbortController, await fn(signal)': async (ops) => {
    const controller = new AbortController();
    for (let i = 0; i < ops; i++) await task(controller.signal);
    controller.abort();
  },
  'Promise.race([fn(signal), abortPromise])': async (ops) => {
    const controller = new AbortController();
    const stop = abortPromise(controller.signal);
    stop.catch(never);
    for (let i = 0; i < ops; i++) await Promise.race([task(controller.signal), stop]);
    controller.abort();
  },
  'leakproof scope.run(fn)': async (ops) => {
    const scope = new Scope();
    for (let i = 0; i < ops; i++) await scope.run(task);
    await scope.close();
  },
};

// --- open / close ------------------------------------------------------------------

const openClose: Record<string, Contender> = {
  'manual: AbortController + add/removeEventListener': (ops) => {
    const owner = new AbortController();
    for (let i = 0; i < ops; i++) {
      const child = new AbortController();
      const listener = (): void => child.abort(owner.signal.reason);
      owner.signal.addEventListener('abort', listener, { once: true });
      owner.signal.removeEventListener('abort', listener);
      child.abort(REASON);
    }
  },
  'AbortSignal.any([owner]) (no close)': (ops) => {
    const owner = new AbortController();
    for (let i = 0; i < ops; i++) AbortSignal.any([owner.signal]);
  },
  'leakproof new Scope({ signal }) + close()': (ops) => {
    const owner = new AbortController();
    let last: Promise<unknown> | undefined;
    // An empty scope is closed by the time close() returns; the promise is
    // awaited once per run.
    for (let i = 0; i < ops; i++) last = new Scope({ signal: owner.signal }).close(REASON);
    return last;
  },
};

// --- a whole short-lived lifetime ------------------------------------------------------

const lifetime: Record<string, Contender> = {
  'manual: linked controller, await task, cleanup, unlink': async (ops) => {
    const owner = new AbortController();
    for (let i = 0; i < ops; i++) {
      const child = new AbortController();
      const listener = (): void => child.abort(owner.signal.reason);
      owner.signal.addEventListener('abort', listener, { once: true });
      const cleanups: Array<() => unknown> = [noop];
      try {
        await task(child.signal);
      } finally {
        owner.signal.removeEventListener('abort', listener);
        child.abort(REASON);
        for (let j = cleanups.length - 1; j >= 0; j--) await cleanups[j]!();
      }
    }
  },
  'leakproof Scope: run, defer, await close()': async (ops) => {
    const owner = new AbortController();
    for (let i = 0; i < ops; i++) {
      const scope = new Scope({ signal: owner.signal });
      scope.defer(noop);
      await scope.run(task);
      await scope.close(REASON);
    }
  },
};

printHeader('Scope: time per operation');
console.log(`\n${OPS.toLocaleString('en-US')} operations per timed run; median of ${ROUNDS} interleaved runs after ${WARMUP} warmup runs.`);
const common = { ops: OPS, rounds: ROUNDS, warmup: WARMUP };
await runScenario({ ...common, name: 'run: one awaited task per op on a long-lived scope', contenders: run });
await runScenario({
  ...common,
  ops: LIFETIME_OPS,
  name: 'open/close: a child lifetime of a long-lived owner signal per op',
  contenders: openClose,
});
await runScenario({
  ...common,
  ops: LIFETIME_OPS,
  name: 'lifetime: a short-lived scope with one task and one cleanup per op',
  contenders: lifetime,
});

// --- memory --------------------------------------------------------------------------

interface RunState {
  controller: AbortController;
  stop: Promise<never>;
  scope: Scope;
}

function runState(): RunState {
  const controller = new AbortController();
  const stop = abortPromise(controller.signal);
  stop.catch(never);
  return { controller, stop, scope: new Scope() };
}

const memoryRows: Array<Array<string | number>> = [];
async function memory(name: string, bytes: Promise<number>): Promise<void> {
  memoryRows.push([name, (await bytes).toFixed(1)]);
}

await memory(
  'run: manual await fn(signal)',
  retainedPerOp(runState, (s) => task(s.controller.signal), MEMORY_OPS),
);
await memory(
  'run: Promise.race([fn(signal), abortPromise])',
  retainedPerOp(runState, (s) => Promise.race([task(s.controller.signal), s.stop]), MEMORY_OPS),
);
await memory(
  'run: leakproof scope.run(fn)',
  retainedPerOp(runState, (s) => s.scope.run(task), MEMORY_OPS),
);
await memory(
  'open/close: AbortController + add/removeEventListener',
  retainedPerOp(
    () => new AbortController(),
    (owner) => {
      const child = new AbortController();
      const listener = (): void => child.abort(owner.signal.reason);
      owner.signal.addEventListener('abort', listener, { once: true });
      owner.signal.removeEventListener('abort', listener);
      child.abort(REASON);
    },
    MEMORY_OPS,
  ),
);
await memory(
  'open/close: AbortController + addEventListener only (forgotten removal)',
  retainedPerOp(
    () => {
      const owner = new AbortController();
      // The MaxListenersExceededWarning is the symptom being measured, not news.
      setMaxListeners(0, owner.signal);
      return owner;
    },
    (owner) => {
      const child = new AbortController();
      owner.signal.addEventListener('abort', () => child.abort(owner.signal.reason), { once: true });
      child.abort(REASON);
    },
    MEMORY_OPS,
  ),
);
await memory(
  'open/close: AbortSignal.any([owner])',
  retainedPerOp(
    () => new AbortController(),
    (owner) => AbortSignal.any([owner.signal]),
    MEMORY_OPS,
  ),
);
await memory(
  'open/close: leakproof new Scope({ signal }) + close()',
  retainedPerOp(
    () => new AbortController(),
    (owner) => new Scope({ signal: owner.signal }).close(REASON),
    MEMORY_OPS,
  ),
);
await memory(
  'lifetime: leakproof Scope with a parent scope, a task and a cleanup',
  retainedPerOp(
    () => new Scope(),
    async (parent) => {
      const scope = new Scope({ parent });
      scope.defer(noop);
      await scope.run(task);
      await scope.close(REASON);
    },
    MEMORY_OPS,
  ),
);

printRows(`Scope: bytes retained per operation (${MEMORY_OPS.toLocaleString('en-US')} ops, long-lived owner kept alive)`, ['pattern', 'bytes/op'], memoryRows);
