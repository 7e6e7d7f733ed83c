// `pump`: the subscription loop as a function. Pulls from a source, hands each
// value to a sink, stops on abort, on the source's end or on the sink's error.
//
// Leak: the loop everybody writes, `while (true) { const r = await
// Promise.race([it.next(), abortPromise]); if (r.done) break; await send(r.value) }`,
// leaves a reaction per item on the never-settling abort promise that reaches
// that item's value (tRPC v11's WebSocket subscription leak), never removes its
// abort listener, and never calls `it.return()` when the sink fails, so the
// source's producer runs on. Looping over an async-generator wrapper instead
// (`abortable-iterator`) keeps the last item in the generator's frame while
// the sink is busy with it.
//
// Invariant: pump drives the iterator engine abortableIterator is made of
// (internal/iterator-engine.ts) through its request API: no promise per item of its own, nothing left on
// the signal after the loop ends (the iterator's one release path runs on
// every exit), and no field or frame of ours holds an item once the sink has
// been called with it: the value lives only in the synchronous call that hands
// it to the sink. A sink that returns a promise is waited for through
// reactions on that promise, which reach the pump, never the value.
//
// Refs: issue 3; https://github.com/trpc/trpc/issues/6156 (the loop this
// replaces); https://github.com/nodejs/node/issues/17469.

import { withResolvers } from './internal/resolvers.js';
import { IteratorEngine, iteratorMethod, openIterator } from './internal/iterator-engine.js';
import {
  validateBoolean,
  validateFunction,
  validateOptionalAbortSignal,
  validateOptionalFunction,
  validateOptionsBag,
} from './internal/validate.js';

/** Options of {@link pump}. */
export interface PumpOptions {
  /**
   * Aborting it stops the loop at once, even while the source's `next()` or a
   * sink call is pending, and closes the source.
   * @default undefined
   */
  signal?: AbortSignal | undefined;
  /**
   * What an abort means. `false`: the returned promise rejects with
   * `signal.reason` (the web convention, as everywhere in leakproof).
   * `true`: abort is a normal end and the promise resolves.
   * @default false
   */
  resolveOnAbort?: boolean | undefined;
  /**
   * Called (from a microtask) with what went wrong when closing the source:
   * its `return()` threw, rejected or resolved to a non-object. pump never
   * waits for it.
   * @default undefined (such errors are ignored)
   */
  onReturnError?: ((error: unknown) => void) | undefined;
}

type Sink<T> = (value: T) => unknown;

/**
 * Pulls every value from `source` and awaits `sink(value)` for each, one at a
 * time, until the source ends, the sink fails or the signal aborts.
 *
 * Settles:
 * - resolves when the source is done;
 * - rejects with the source's error if its `next()` throws or rejects (the
 *   source is not closed: it failed);
 * - rejects with the sink's error if `sink` throws or its promise rejects,
 *   after calling the source's `return()`;
 * - on abort, at once, even while the source's `next()` or a sink call is
 *   pending: rejects with `signal.reason`, or resolves when `resolveOnAbort`
 *   is set; the source's `return()` is called.
 *
 * Guarantees: the source's `return()` is called at most once, never after it
 * ended or failed on its own, and never awaited (errors go to
 * `onReturnError`). The loop subscribes to the signal when it starts (through
 * the one abort listener leakproof shares per signal) and unsubscribes when it
 * ends, whichever way. No item is kept once the sink has been
 * called with it, even while a sink promise is pending. A sync iterable is
 * iterated as `for await` does (promise values awaited); a sink that returns a
 * non-promise is not awaited, so a sync source with a sync sink runs without
 * a microtask per item.
 *
 * Does not: cancel a sink call in flight on abort (its eventual outcome is
 * ignored; pass the same signal into the sink's own work); run sink calls
 * concurrently.
 *
 * @param source An async iterable, or a sync iterable of values or promises.
 * @param sink Called with each value; may return a promise, which is awaited.
 * @param options `signal`, `resolveOnAbort`, `onReturnError`.
 * @returns A promise that settles as above. Bad arguments reject it with a
 * `TypeError` naming `source`, `sink`, `options` or the option
 * (`ERR_INVALID_ARG_TYPE`; `ERR_INVALID_ARG_VALUE` for an unknown option
 * name; a signal passed in place of `options` is told to be passed as
 * `{ signal }`); nothing is acquired from the source then.
 *
 * @example
 * ```ts
 * import { pump } from 'leakproof';
 *
 * // A WebSocket subscription: ends when the client goes away.
 * const controller = new AbortController();
 * socket.once('close', () => controller.abort());
 * await pump(subscription, (message) => socket.send(JSON.stringify(message)), {
 *   signal: controller.signal,
 *   resolveOnAbort: true,
 * });
 * ```
 */
export function pump<T>(
  source: AsyncIterable<T> | Iterable<T | PromiseLike<T>>,
  sink: (value: T) => unknown,
  options?: PumpOptions,
): Promise<void> {
  let iterator: IteratorEngine<unknown>;
  let resolveOnAbort: boolean;
  try {
    const method = iteratorMethod(source, 'source');
    validateFunction(sink, 'sink');
    validateOptionsBag(options, 'options', OPTIONS);
    const signal = options?.signal;
    validateOptionalAbortSignal(signal, 'options.signal');
    resolveOnAbort = options?.resolveOnAbort ?? false;
    validateBoolean(resolveOnAbort, 'options.resolveOnAbort');
    const onReturnError = options?.onReturnError;
    validateOptionalFunction(onReturnError, 'options.onReturnError');
    iterator = openIterator<unknown>(source, method, signal, onReturnError);
  } catch (error) {
    return Promise.reject(error);
  }
  const { promise, resolve, reject } = withResolvers<void>();
  const loop = new Pump(iterator, sink as Sink<unknown>, resolveOnAbort, resolve as () => void, reject);
  loop.start();
  return promise;
}

const OPTIONS = ['signal', 'resolveOnAbort', 'onReturnError'];

/** Marks "no result delivered synchronously" in `#arrived`. */
const NOTHING = /* @__PURE__ */ Symbol('nothing');

class Pump {
  // Dropped by #finish().
  #iterator: IteratorEngine<unknown> | null;
  #sink: Sink<unknown> | null;
  #resolve: (() => void) | null;
  #reject: ((reason: unknown) => void) | null;
  readonly #resolveOnAbort: boolean;

  /** True while #run() is requesting: a result that arrives synchronously is left in #arrived. */
  #inRun = false;
  /** A result delivered synchronously during #run(); NOTHING otherwise. Never outlives the turn. */
  #arrived: unknown = NOTHING;

  // Bound once per pump, so a request allocates no closure.
  readonly #onResult = (result: IteratorResult<unknown>): void => {
    if (this.#inRun) {
      this.#arrived = result;
      return;
    }
    if (this.#consume(result)) this.#run();
  };
  readonly #onError = (error: unknown): void => {
    // An abort reaches the abort hook (see start()) first, so this is the source's own error.
    this.#finish(false, error, false);
  };
  readonly #onSinkFulfilled = (): void => {
    if (this.#iterator !== null) this.#run();
  };
  readonly #onSinkRejected = (error: unknown): void => {
    this.#finish(false, error, true);
  };

  constructor(
    iterator: IteratorEngine<unknown>,
    sink: Sink<unknown>,
    resolveOnAbort: boolean,
    resolve: () => void,
    reject: (reason: unknown) => void,
  ) {
    this.#iterator = iterator;
    this.#sink = sink;
    this.#resolveOnAbort = resolveOnAbort;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  start(): void {
    IteratorEngine.setAbortHook(this.#iterator!, (reason) => this.#finish(this.#resolveOnAbort, reason, false));
    this.#run();
  }

  // Requests items until one has to be waited for. Items a sync source
  // delivers from within the request are handled by this loop rather than by
  // recursion, so a long sync source cannot overflow the stack.
  #run(): void {
    while (this.#iterator !== null) {
      this.#inRun = true;
      IteratorEngine.request(this.#iterator, this.#onResult as (value: IteratorResult<unknown>) => void, this.#onError);
      this.#inRun = false;
      const result = this.#arrived;
      if (result === NOTHING) return;
      this.#arrived = NOTHING;
      if (!this.#consume(result as IteratorResult<unknown>)) return;
    }
  }

  // Hands one result to the sink. Returns true when the next item can be
  // requested at once (the sink returned a non-promise).
  #consume(result: IteratorResult<unknown>): boolean {
    const sink = this.#sink;
    if (sink === null) return false;
    if (result.done) {
      this.#finish(true, undefined, false);
      return false;
    }
    let returned: unknown;
    try {
      returned = sink(result.value);
    } catch (error) {
      this.#finish(false, error, true);
      return false;
    }
    if (returned === null || (typeof returned !== 'object' && typeof returned !== 'function')) {
      return this.#iterator !== null;
    }
    // Awaited as `await` does; reactions are attached even if we finished
    // meanwhile, so a late rejection is handled, not reported as unhandled.
    try {
      Promise.resolve(returned).then(this.#onSinkFulfilled, this.#onSinkRejected);
    } catch (error) {
      this.#finish(false, error, true);
    }
    return false;
  }

  // The one release path. Idempotent.
  #finish(fulfil: boolean, reason: unknown, closeSource: boolean): void {
    const resolve = this.#resolve;
    const reject = this.#reject;
    if (resolve === null || reject === null) return;
    const iterator = this.#iterator!;
    this.#iterator = this.#sink = this.#resolve = this.#reject = null;
    this.#arrived = NOTHING;
    // Calls the source's return() (sink error) and removes the listener. A
    // no-op when the iterator already closed itself (done, source error, abort).
    if (closeSource) IteratorEngine.close(iterator);
    if (fulfil) resolve();
    else reject(reason);
  }
}
