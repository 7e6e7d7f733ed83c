// `abortable`: wait for a promise, or stop waiting when a signal aborts.
//
// Leak: the usual wrapper,
//   new Promise((resolve, reject) => {
//     promise.then(resolve, reject);
//     signal.addEventListener('abort', () => reject(signal.reason));
//   })
// leaks both ways. The abort listener stays on a long-lived signal after the
// promise settled (one closure per call, and through `resolve` the result and
// its value); and after an abort, the reaction stays on a long-lived promise
// (a shutdown promise, a never-resolving `iterator.next()`) and keeps the
// rejected result and its reason. `Promise.race([promise, abortPromise])` has
// the second leak (nodejs/node#17469).
//
// Invariant: once the returned promise settles, neither `promise` nor
// `signal` reaches it. The signal is watched through the shared abort hub (one
// native listener per signal; see internal/abort-hub.ts) and left on settle; the promise
// through the contender registry `race` uses (one reaction per promise in its
// lifetime, shared by every call; see internal/contender-registry.ts) and
// unsubscribed on settle. Both are dropped before the result settles.
//
// Refs: https://github.com/nodejs/node/issues/17469,
// https://github.com/deeplay-io/abort-controller-x (the per-call shape).

import { withResolvers } from './internal/resolvers.js';
import { type Contender, type Subscriber, subscribe } from './internal/contender-registry.js';
import { validateOptionalAbortSignal, validateOptionsBag } from './internal/validate.js';
import { type AbortHub, type AbortSubscriber, joinAbortHub, leaveAbortHub } from './internal/abort-hub.js';

type Resolve = (value: unknown) => void;
type Reject = (reason: unknown) => void;

/** Options of {@link abortable}. */
export interface AbortableOptions {
  /** Stops the wait (rejecting with `signal.reason`) when it aborts. */
  signal?: AbortSignal | undefined;
}

const OPTION_NAMES = ['signal'] as const;

/**
 * Settles like `promise`, or rejects with `options.signal.reason` if the
 * signal aborts first.
 *
 * An already-aborted signal rejects at once (in the next microtask turn, as
 * any rejected promise) and attaches nothing to it. Without a signal this is
 * `Promise.resolve(promise)`: the same promise when `promise` is a native
 * one, since there is nothing to stop waiting for.
 *
 * Guarantees: once the returned promise settles (either way), neither
 * `promise` nor `signal` reaches it, its value or its reason. `signal` carries
 * one native listener for all leakproof subscriptions on it, removed when the
 * last one settles; a long-lived `promise` carries one fixed-size reaction,
 * however many `abortable()` calls wait on it. A rejection of `promise` after
 * the abort (or when the signal was already aborted) is handled and ignored,
 * as `Promise.race` ignores a losing contender's; observe `promise` itself if
 * that rejection matters. Nothing is left attached when user code throws: a
 * `then` that throws rejects the result with that error and leaves no member
 * on the signal; a signal whose `removeEventListener` throws still lets the
 * result settle (the exception is reported, see {@link onAbort}).
 *
 * Does not: cancel the work behind `promise` (it runs on; pass the signal to
 * it as well). Release a wait on which neither side ever settles: while both
 * `promise` and `signal` stay pending, the call keeps its one subscription on
 * each, as any wait must. Accept the signal positionally: since 0.2 it is
 * `abortable(promise, { signal })`, like every leakproof primitive.
 *
 * @param promise A promise, thenable or value to wait for.
 * @param options `signal`: stops the wait when it aborts.
 * @returns A promise that settles like `promise` or rejects with
 * `signal.reason`. Bad options make it reject (it never throws): a
 * `TypeError` `ERR_INVALID_ARG_TYPE` for a non-object (a signal passed
 * positionally is told to be passed as `{ signal }`) or a `signal` that is
 * not an AbortSignal, `ERR_INVALID_ARG_VALUE` for an unknown option name.
 *
 * @example
 * ```ts
 * import { abortable } from 'leakproof';
 *
 * // `shutdown` lives for the whole process; each request's wait leaves
 * // nothing on it once the request is over.
 * const body = await abortable(readBody(request), { signal: shutdown });
 * ```
 */
export function abortable<T>(promise: T | PromiseLike<T>, options?: AbortableOptions): Promise<Awaited<T>>;
export function abortable(promise: unknown, options?: AbortableOptions): Promise<unknown> {
  try {
    validateOptionsBag(options, 'options', OPTION_NAMES);
    const signal = options?.signal;
    validateOptionalAbortSignal(signal, 'options.signal');
    // Reads `promise.constructor` for native promises, which may throw: do it
    // before subscribing anywhere, so a failure leaves nothing attached.
    const native = Promise.resolve(promise);
    if (signal === undefined) return native;
    if (signal.aborted) {
      markHandled(native, native === promise);
      return Promise.reject(signal.reason);
    }
    const { promise: result, resolve, reject } = withResolvers<unknown>();
    const state = new AbortableState(resolve, reject);
    state.watch(signal, native, native === promise);
    return result;
  } catch (error) {
    return Promise.reject(error);
  }
}

/** A subscriber that wants nothing: subscribing it only marks a rejection handled. */
const IGNORE: Subscriber = {
  done: true,
  fulfill(): void {},
  reject(): void {},
};

/**
 * Makes sure a later rejection of `promise` is not reported as unhandled
 * because of us, without a reaction per call: the shared record's single
 * reaction handles it. The record is left empty at once.
 */
function markHandled(promise: Promise<unknown>, shared: boolean): void {
  subscribe(promise, IGNORE, shared).remove(IGNORE);
}

class AbortableState implements Subscriber, AbortSubscriber {
  done = false;
  #resolve: Resolve | null;
  #reject: Reject | null;
  #record: Contender | null = null;
  #hub: AbortHub | null = null;

  constructor(resolve: Resolve, reject: Reject) {
    this.#resolve = resolve;
    this.#reject = reject;
  }

  watch(signal: AbortSignal, promise: Promise<unknown>, shared: boolean): void {
    // Both steps run user code that may throw: the promise's `then`, and a
    // foreign signal's addEventListener. Neither subscription delivers
    // synchronously, so the order is free: subscribe to the promise first (a
    // throwing `then` leaves nothing anywhere), then join the signal's hub,
    // and if that throws, leave the record again. Joining first would leave a
    // member on a long-lived signal when `then` throws.
    this.#record = subscribe(promise, this, shared);
    try {
      this.#hub = joinAbortHub(signal, this);
    } catch (error) {
      this.#release();
      throw error;
    }
  }

  fulfill(value: unknown): void {
    const resolve = this.#resolve;
    if (resolve === null) return;
    this.#release();
    resolve(value);
  }

  reject(reason: unknown): void {
    const reject = this.#reject;
    if (reject === null) return;
    this.#release();
    reject(reason);
  }

  /** From the hub, which has already dropped us. */
  abort(reason: unknown): void {
    this.#hub = null;
    this.reject(reason);
  }

  // The one release path: leave the promise's record and the signal's hub
  // before settling, so neither reaches the result when user code runs.
  #release(): void {
    this.done = true;
    this.#resolve = null;
    this.#reject = null;
    const record = this.#record;
    if (record !== null) {
      this.#record = null;
      record.remove(this);
    }
    const hub = this.#hub;
    if (hub !== null) {
      this.#hub = null;
      leaveAbortHub(hub, this);
    }
  }
}
