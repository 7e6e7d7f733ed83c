// Throughput of the signal primitives against what people write today.
//   node --expose-gc --import tsx bench/signals.bench.ts
//
// Every contender runs on the same long-lived signal (the shape that leaks),
// so a contender that leaves listeners behind also pays for them here: Node's
// EventTarget scans its listener list on every addEventListener.

import { addAbortListener, setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { abortable } from '../src/abortable.js';
import { anySignal } from '../src/any-signal.js';
import { delay } from '../src/delay.js';
import { onAbort } from '../src/on-abort.js';
import { printHeader, runScenario } from './harness.js';

const noop = (): void => {};
const forever = new Promise<never>(() => {});

/** A signal that lives for the whole run, like a server's shutdown signal. */
function longLived(): AbortSignal {
  const { signal } = new AbortController();
  setMaxListeners(0, signal);
  return signal;
}

/** The `Promise.race([promise, abortPromise])` wrapper. */
function raceWrapper<T>(promise: PromiseLike<T>, signal: AbortSignal): Promise<T> {
  let onAbortListener!: () => void;
  const stop = new Promise<never>((_, reject) => {
    onAbortListener = () => reject(signal.reason);
    signal.addEventListener('abort', onAbortListener, { once: true });
  });
  return Promise.race([promise, stop]).finally(() => signal.removeEventListener('abort', onAbortListener));
}

/** The per-call listener wrapper (abort-controller-x's `abortable` shape): one reaction and one listener per call. */
function perCallWrapper<T>(promise: PromiseLike<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbortListener = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbortListener, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbortListener);
        resolve(value);
      },
      (reason: unknown) => {
        signal.removeEventListener('abort', onAbortListener);
        reject(reason);
      },
    );
  });
}

printHeader('signals: onAbort, abortable, anySignal, delay');

{
  const signal = longLived();
  await runScenario({
    name: 'onAbort: subscribe and dispose on a long-lived signal',
    ops: 20_000,
    contenders: {
      'addEventListener + removeEventListener': (ops) => {
        for (let i = 0; i < ops; i++) {
          const listener = (): void => void i;
          signal.addEventListener('abort', listener, { once: true });
          signal.removeEventListener('abort', listener);
        }
      },
      'events.addAbortListener': (ops) => {
        for (let i = 0; i < ops; i++) addAbortListener(signal, () => void i)[Symbol.dispose]();
      },
      onAbort: (ops) => {
        for (let i = 0; i < ops; i++) onAbort(signal, () => void i)[Symbol.dispose]();
      },
    },
  });
}

{
  // 1,000 subscriptions alive at once (1,000 requests in flight on one
  // shutdown signal), then all disposed: EventTarget's duplicate scan makes
  // each add O(live listeners); the shared hub keeps it O(1).
  const signal = longLived();
  const live = 1_000;
  await runScenario({
    name: 'onAbort: 1,000 live subscriptions on one signal, then dispose all (per subscription)',
    ops: live,
    rounds: 7,
    contenders: {
      'addEventListener + removeEventListener': (ops) => {
        const listeners: Array<() => void> = [];
        for (let i = 0; i < ops; i++) {
          const listener = (): void => void i;
          signal.addEventListener('abort', listener, { once: true });
          listeners.push(listener);
        }
        for (const listener of listeners) signal.removeEventListener('abort', listener);
      },
      'events.addAbortListener': (ops) => {
        const handles: Disposable[] = [];
        for (let i = 0; i < ops; i++) handles.push(addAbortListener(signal, () => void i));
        for (const handle of handles) handle[Symbol.dispose]();
      },
      onAbort: (ops) => {
        const handles: Disposable[] = [];
        for (let i = 0; i < ops; i++) handles.push(onAbort(signal, () => void i));
        for (const handle of handles) handle[Symbol.dispose]();
      },
    },
  });
}

{
  const signal = longLived();
  await runScenario({
    name: 'abortable: await a settled promise, long-lived signal',
    ops: 10_000,
    contenders: {
      'await promise (no signal)': async (ops) => {
        for (let i = 0; i < ops; i++) await Promise.resolve(i);
      },
      'Promise.race([p, abortPromise])': async (ops) => {
        for (let i = 0; i < ops; i++) await raceWrapper(Promise.resolve(i), signal);
      },
      'per-call listener wrapper': async (ops) => {
        for (let i = 0; i < ops; i++) await perCallWrapper(Promise.resolve(i), signal);
      },
      abortable: async (ops) => {
        for (let i = 0; i < ops; i++) await abortable(Promise.resolve(i), { signal });
      },
    },
    baseline: 'Promise.race([p, abortPromise])',
  });
}

await runScenario({
  name: 'abortable: abort a wait on a long-lived never-settling promise',
  ops: 2_000,
  contenders: {
    'Promise.race([p, abortPromise])': async (ops) => {
      for (let i = 0; i < ops; i++) {
        const controller = new AbortController();
        const result = raceWrapper(forever, controller.signal).catch(noop);
        controller.abort();
        await result;
      }
    },
    'per-call listener wrapper': async (ops) => {
      for (let i = 0; i < ops; i++) {
        const controller = new AbortController();
        const result = perCallWrapper(forever, controller.signal).catch(noop);
        controller.abort();
        await result;
      }
    },
    abortable: async (ops) => {
      for (let i = 0; i < ops; i++) {
        const controller = new AbortController();
        const result = abortable(forever, { signal: controller.signal }).catch(noop);
        controller.abort();
        await result;
      }
    },
  },
});

{
  const signal = longLived();
  await runScenario({
    name: 'anySignal: compose a long-lived and a per-request signal',
    ops: 2_000,
    contenders: {
      'AbortSignal.any (dropped)': (ops) => {
        for (let i = 0; i < ops; i++) AbortSignal.any([signal, new AbortController().signal]);
      },
      'anySignal (dropped)': (ops) => {
        for (let i = 0; i < ops; i++) anySignal([signal, new AbortController().signal]);
      },
      'anySignal + dispose': (ops) => {
        for (let i = 0; i < ops; i++) anySignal([signal, new AbortController().signal])[Symbol.dispose]();
      },
    },
  });
}

await runScenario({
  name: 'anySignal: compose, then the per-request input aborts',
  ops: 2_000,
  contenders: {
    'AbortSignal.any': (ops) => {
      const signal = longLived();
      for (let i = 0; i < ops; i++) {
        const request = new AbortController();
        AbortSignal.any([signal, request.signal]);
        request.abort();
      }
    },
    anySignal: (ops) => {
      const signal = longLived();
      for (let i = 0; i < ops; i++) {
        const request = new AbortController();
        anySignal([signal, request.signal]);
        request.abort();
      }
    },
  },
});

{
  const signal = longLived();
  await runScenario({
    name: 'delay: 1,000 concurrent 0 ms delays with a long-lived signal, awaited (per delay)',
    ops: 1_000,
    rounds: 7,
    contenders: {
      'timers/promises setTimeout': (ops) => Promise.all(Array.from({ length: ops }, () => sleep(0, undefined, { signal }))),
      delay: (ops) => Promise.all(Array.from({ length: ops }, () => delay(0, { signal }))),
    },
  });
}

await runScenario({
  name: 'delay: arm a 60 s delay, then abort it',
  ops: 2_000,
  contenders: {
    'timers/promises setTimeout': async (ops) => {
      for (let i = 0; i < ops; i++) {
        const controller = new AbortController();
        const result = sleep(60_000, undefined, { signal: controller.signal }).catch(noop);
        controller.abort();
        await result;
      }
    },
    delay: async (ops) => {
      for (let i = 0; i < ops; i++) {
        const controller = new AbortController();
        const result = delay(60_000, { signal: controller.signal }).catch(noop);
        controller.abort();
        await result;
      }
    },
  },
});
