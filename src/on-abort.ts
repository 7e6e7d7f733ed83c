// `onAbort`: `events.addAbortListener` that cannot be forgotten on a signal.
//
// Leak: `signal.addEventListener('abort', listener)` is removed only when the
// signal aborts. On a signal that lives for the whole process (shutdown, a
// server-wide timeout) each call leaves one listener, and through its closure
// whatever the caller's scope held: growth per request, then
// `MaxListenersExceededWarning`, then O(n) work per `addEventListener`
// (EventTarget scans its listener list for duplicates on every add).
//
// Invariant: a subscription is reachable from the signal only while it is
// live. Disposing it, or the signal aborting, drops it before any user code
// runs. All leakproof subscriptions on one signal share a single native
// listener (an `AbortHub`, attached while it has members and removed when its
// last member leaves), so the signal carries at most one listener from us and
// subscribing or leaving is O(1) however many callers wait on it.
//
// Refs: Node lib/internal/events/abort_listener.js (addAbortListener) and
// lib/internal/event_target.js (the duplicate scan in addEventListener),
// https://dom.spec.whatwg.org/#interface-AbortSignal.

import { type AbortHub, type AbortSubscriber, joinAbortHub, leaveAbortHub, reportError as report } from './internal/abort-hub.js';
import { validateAbortSignal, validateFunction } from './internal/validate.js';

/** What {@link onAbort} returns. */
export interface AbortListenerDisposable extends Disposable {
  /** The same as `[Symbol.dispose]()`, for code without `using`. */
  dispose(): void;
}

/**
 * Calls `listener(signal.reason)` once when `signal` aborts, like Node's
 * `events.addAbortListener`, and returns a Disposable that removes it.
 *
 * If `signal` is already aborted, `listener` is called in a microtask and
 * nothing is attached; disposing before that microtask runs cancels the call.
 *
 * Guarantees: after the signal aborts or the handle is disposed (whichever
 * comes first), the signal no longer reaches `listener` or anything it closes
 * over. Disposing is idempotent and safe after the abort. Every leakproof
 * subscription on one signal shares one native `abort` listener, so many
 * concurrent subscriptions cost O(1) each and never trigger
 * `MaxListenersExceededWarning`. An exception thrown by `listener` is
 * reported (with `reportError` where the runtime has it, otherwise as an
 * uncaught exception, like an EventTarget listener's) and does not stop other
 * listeners. The same holds for an exception from the signal's own
 * `removeEventListener` (a duck-typed signal): it is reported, and disposing,
 * or any leakproof promise waiting on the signal, still completes.
 *
 * Does not: resist `event.stopImmediatePropagation()` from a listener
 * registered on the signal before ours (Node's internal flag for that is not
 * reachable from user code). Call `listener` with the event or a `this`: it
 * receives the abort reason only. Keep a relative order with listeners added
 * by other code: leakproof subscriptions on a signal run together, in the
 * order they subscribed, at the place of the shared listener.
 *
 * @param signal The signal to watch.
 * @param listener Called with `signal.reason`, at most once.
 * @returns A Disposable (with a `dispose()` alias) that removes the listener.
 * @throws {TypeError} `ERR_INVALID_ARG_TYPE` when `signal` is not an
 * AbortSignal or `listener` is not a function; nothing is attached then.
 *
 * @example
 * ```ts
 * import { onAbort } from 'leakproof';
 *
 * async function handle(request: Request, shutdown: AbortSignal) {
 *   const socket = await connect();
 *   using _ = onAbort(shutdown, (reason) => socket.destroy(reason as Error));
 *   await serve(request, socket);
 * } // the listener leaves `shutdown` here, however `serve` ended
 * ```
 */
export function onAbort(signal: AbortSignal, listener: (reason: unknown) => void): AbortListenerDisposable {
  validateAbortSignal(signal, 'signal');
  validateFunction(listener, 'listener');
  const handle = new AbortListenerHandle(listener);
  if (signal.aborted) handle.defer(signal.reason);
  else handle.join(signal);
  return handle;
}

class AbortListenerHandle implements AbortSubscriber, AbortListenerDisposable {
  #listener: ((reason: unknown) => void) | null;
  #hub: AbortHub | null = null;
  /** The reason a deferred call will receive (already-aborted signals only). */
  #reason: unknown = undefined;

  constructor(listener: (reason: unknown) => void) {
    this.#listener = listener;
  }

  join(signal: AbortSignal): void {
    this.#hub = joinAbortHub(signal, this);
  }

  defer(reason: unknown): void {
    this.#reason = reason;
    queueMicrotask(() => runDeferred(this));
  }

  /** From the hub (which has already dropped us) or from the deferred queue. */
  abort(reason: unknown): void {
    const listener = this.#listener;
    if (listener === null) return;
    this.#listener = null;
    this.#hub = null;
    this.#reason = undefined;
    // A plain call: `this` is undefined, the reason the only argument.
    listener(reason);
  }

  fireDeferred(): void {
    this.abort(this.#reason);
  }

  [Symbol.dispose](): void {
    this.#listener = null;
    this.#reason = undefined;
    const hub = this.#hub;
    if (hub !== null) {
      this.#hub = null;
      leaveAbortHub(hub, this);
    }
  }

  dispose(): void {
    this[Symbol.dispose]();
  }
}

// Deferred calls for already-aborted signals: one closure per call, holding
// its handle. v0.1 paired the jobs with a flat module-level queue instead;
// bench/tricks.bench.ts measured that trick at 0.84x / 1.65x / 0.08x of this
// plain form in steady state on Node 20.20 / 22.23 / 24.22 (1.03x / 0.54x /
// 0.36x after a forced GC), so the plain form stays. A disposed handle has
// dropped its listener and is skipped.
function runDeferred(handle: AbortListenerHandle): void {
  try {
    handle.fireDeferred();
  } catch (error) {
    report(error);
  }
}
