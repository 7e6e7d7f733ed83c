// Bytes retained per call by the signal primitives, against the built-in and
// the hand-written wrappers they replace.
//   node --expose-gc --import tsx bench/memory/signals.mem.ts
//
// "Retained" is heap + external after full collections, divided by the number
// of calls, with the long-lived signal or promise kept alive throughout: what
// a server pays per request, forever, in the shape that leaks.

import { setMaxListeners } from 'node:events';
import { abortable } from '../../src/abortable.js';
import { anySignal } from '../../src/any-signal.js';
import { delay } from '../../src/delay.js';
import { onAbort } from '../../src/on-abort.js';
import { printHeader, printRows, retainedPerOp } from '../harness.js';

const COUNT = 20_000;
const noop = (): void => {};

function longLivedController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

/** The `Promise.race([promise, abortPromise])` wrapper, listener removed on settle. */
function raceWrapper<T>(promise: PromiseLike<T>, signal: AbortSignal): Promise<T> {
  let listener!: () => void;
  const stop = new Promise<never>((_, reject) => {
    listener = () => reject(signal.reason);
    signal.addEventListener('abort', listener, { once: true });
  });
  return Promise.race([promise, stop]).finally(() => signal.removeEventListener('abort', listener));
}

/** The per-call listener wrapper (abort-controller-x's shape). */
function perCallWrapper<T>(promise: PromiseLike<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const listener = (): void => reject(signal.reason);
    signal.addEventListener('abort', listener, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', listener);
        resolve(value);
      },
      (reason: unknown) => {
        signal.removeEventListener('abort', listener);
        reject(reason);
      },
    );
  });
}

/** A naive composite: each input holds it strongly through a listener. */
function strongAny(signals: AbortSignal[]): AbortSignal {
  const controller = new AbortController();
  for (const signal of signals) signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
  return controller.signal;
}

/** A naive delay: clears its timer on abort but never removes its listener. */
function naiveDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}

const fmt = (bytes: number): string => bytes.toFixed(1);

/**
 * retainedPerOp after an unreported warm-up pass of its own, so one-off
 * growth (optimised code, feedback, process-wide tables sized on first use)
 * is not reported as a per-call cost.
 */
async function retained<S>(
  setup: () => S,
  op: (state: S, index: number) => unknown,
  count: number,
  warmup = count,
): Promise<number> {
  await retainedPerOp(setup, op, warmup);
  return retainedPerOp(setup, op, count);
}

printHeader(`signals: bytes retained per call (${COUNT.toLocaleString('en-US')} calls unless stated)`);

{
  const rows: Array<Array<string | number>> = [];
  // 100,000 calls, except the strong composite: each of its listeners makes
  // the next addEventListener scan longer (O(n^2) in total).
  const composites: Array<[string, (signal: AbortSignal) => unknown, number]> = [
    ['AbortSignal.any([longLived])', (signal) => AbortSignal.any([signal]), 100_000],
    ['strong hand-written composite', (signal) => strongAny([signal]), COUNT],
    ['anySignal([longLived]), dropped', (signal) => anySignal([signal]), 100_000],
    ['anySignal([longLived]), disposed', (signal) => anySignal([signal])[Symbol.dispose](), 100_000],
  ];
  for (const [name, make, count] of composites) {
    const bytes = await retained(longLivedController, (controller) => void make(controller.signal), count, 40_000);
    rows.push([name, count.toLocaleString('en-US'), fmt(bytes)]);
  }
  printRows('Composite signals on one long-lived input', ['contender', 'calls', 'bytes retained per call'], rows);
}

{
  const rows: Array<Array<string | number>> = [];
  const forever = new Promise<never>(() => {});
  const waits: Array<[string, (promise: Promise<never>, signal: AbortSignal) => Promise<unknown>]> = [
    ['Promise.race([longLived, abortPromise])', raceWrapper],
    ['per-call listener wrapper', perCallWrapper],
    ['abortable(longLived, { signal })', (promise, signal) => abortable(promise, { signal })],
  ];
  for (const [name, wait] of waits) {
    const bytes = await retained(
      () => forever,
      async (promise) => {
        const controller = new AbortController();
        const result = wait(promise, controller.signal).catch(noop);
        controller.abort({ payload: new Array(16).fill(0) });
        await result;
      },
      COUNT,
    );
    rows.push([name, fmt(bytes)]);
  }
  printRows(
    'Aborted waits on one long-lived never-settling promise (each abort reason is a small object)',
    ['contender', 'bytes retained per call'],
    rows,
  );
}

{
  const rows: Array<Array<string | number>> = [];
  const listeners: Array<[string, (signal: AbortSignal, i: number) => void]> = [
    ['addEventListener, never removed', (signal, i) => signal.addEventListener('abort', () => void i)],
    ['onAbort + dispose', (signal, i) => onAbort(signal, () => void i)[Symbol.dispose]()],
  ];
  for (const [name, subscribe] of listeners) {
    const bytes = await retained(longLivedController, (controller, i) => subscribe(controller.signal, i), COUNT);
    rows.push([name, fmt(bytes)]);
  }
  const delays: Array<[string, (signal: AbortSignal) => Promise<void>]> = [
    ['naive delay(0) (listener left behind)', (signal) => naiveDelay(0, signal)],
    ['delay(0, { signal })', (signal) => delay(0, { signal })],
  ];
  for (const [name, wait] of delays) {
    const bytes = await retained(
      longLivedController,
      (controller) => Promise.all(Array.from({ length: 10 }, () => wait(controller.signal))),
      COUNT / 10,
    );
    rows.push([name, fmt(bytes / 10)]);
  }
  printRows('Listeners and delays on one long-lived signal', ['contender', 'bytes retained per call'], rows);
}
