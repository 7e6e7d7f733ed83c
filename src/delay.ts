// `delay`: a promise that resolves after `ms`, cancellable by a signal.
//
// Leak: `new Promise((resolve, reject) => { const t = setTimeout(resolve, ms);
// signal.addEventListener('abort', () => { clearTimeout(t); reject(signal.reason) }) })`
// never removes its listener when the timer fires. On a long-lived signal (a
// poll loop's shutdown signal) every tick leaves a closure behind, and that
// closure's context keeps the timer and the promise's resolvers. The reverse
// mistake, forgetting `clearTimeout` on abort, keeps the timer, its callback
// and (unless unref'd) the process alive for the full delay.
//
// Invariant: the timer and the signal subscription are released together by
// one path, before the promise settles: firing leaves the signal's hub,
// aborting clears the timer. The timer callback is module-level and gets the
// state as an argument, so no caller scope is captured.
//
// Delays longer than setTimeout's limit (2^31-1 ms, ~24.8 days) are served by
// re-arming the timer, so they wait as long as asked; Node's own timers clamp
// them to 1 ms with a TimeoutOverflowWarning.
//
// Refs: Node lib/timers/promises.js (setTimeout with { signal, ref }),
// https://nodejs.org/api/timers.html#settimeoutcallback-delay-args.

import { withResolvers } from './internal/resolvers.js';
import {
  validateBoolean,
  validateNumber,
  validateOptionalAbortSignal,
  validateOptionsBag,
} from './internal/validate.js';
import { type AbortHub, type AbortSubscriber, joinAbortHub, leaveAbortHub } from './internal/abort-hub.js';

/** Options of {@link delay}. */
export interface DelayOptions {
  /** Rejects the delay with `signal.reason` and clears its timer when it aborts. */
  signal?: AbortSignal | undefined;
  /**
   * Keep the process (the Node event loop) alive while the delay is pending,
   * as `timers/promises` `setTimeout`'s `ref` does; `false` lets the process
   * exit meanwhile. Ignored where timers have no `unref()`.
   * @default true
   */
  ref?: boolean | undefined;
}

const OPTION_NAMES = ['signal', 'ref'] as const;
// v0.1 had `unref` (default false), the inverse of timers/promises' `ref`.
const OPTION_HINTS = { unref: 'ref: false' } as const;

/** The longest delay setTimeout arms in one go; longer ones are re-armed. */
const TIMEOUT_MAX = 2_147_483_647; // 2 ** 31 - 1, setTimeout's limit

type Timer = ReturnType<typeof setTimeout>;

/**
 * Resolves after `ms` milliseconds, or rejects with `signal.reason` as soon
 * as `options.signal` aborts.
 *
 * `ms` may be fractional or 0 (timers round up, as `setTimeout` does) and
 * larger than setTimeout's 2^31-1 ms limit: such delays are re-armed until the
 * full time has passed, never clamped.
 *
 * Guarantees: when the timer fires, the subscription on `options.signal` is
 * removed before the promise resolves; when the signal aborts, the timer is
 * cleared before the promise rejects. Either way nothing of the call stays
 * reachable from the signal or the timer list. An already-aborted signal
 * rejects at once and arms no timer. All leakproof subscriptions on one
 * signal share a single native listener (see {@link onAbort}). A signal whose
 * `removeEventListener` throws does not keep the promise pending: the
 * exception is reported (see {@link onAbort}) and the delay settles.
 *
 * Does not: resolve with a value (use `timers/promises` `setTimeout` for
 * that), or measure time itself: a suspended machine delays it as it delays
 * any timer.
 *
 * @param ms Milliseconds to wait: a number >= 0 and <= 2^53-1.
 * @param options `signal` and `ref`, as in `timers/promises` `setTimeout`.
 * @returns A promise that resolves with `undefined`. Invalid arguments make
 * it reject (it never throws): a `TypeError` (`ERR_INVALID_ARG_TYPE`) for a
 * wrong type (a non-boolean `ref`, `null` included; a signal passed
 * positionally, with the hint to pass `{ signal }`), `ERR_INVALID_ARG_VALUE`
 * for an unknown option name (`unref` is told to be `ref: false`), a
 * `RangeError` (`ERR_OUT_OF_RANGE`) for a negative, NaN or infinite `ms`.
 *
 * @example
 * ```ts
 * import { delay } from 'leakproof';
 *
 * while (!shutdown.aborted) {
 *   await poll();
 *   await delay(1_000, { signal: shutdown }).catch(() => {});
 * }
 * ```
 */
export function delay(ms: number, options?: DelayOptions): Promise<void> {
  let signal: AbortSignal | undefined;
  let ref: boolean;
  try {
    validateNumber(ms, 'ms', 0, Number.MAX_SAFE_INTEGER);
    validateOptionsBag(options, 'options', OPTION_NAMES, OPTION_HINTS);
    signal = options?.signal;
    validateOptionalAbortSignal(signal, 'options.signal');
    // Only `undefined` means the default, as in timers/promises: `null` is rejected.
    ref = options?.ref === undefined ? true : options.ref;
    validateBoolean(ref, 'options.ref');
  } catch (error) {
    return Promise.reject(error);
  }
  if (signal?.aborted) return Promise.reject(signal.reason);
  const { promise: result, resolve, reject } = withResolvers<void>();
  const state = new DelayState(resolve as Resolve, reject, ms, ref);
  // Subscribe first: a foreign signal's addEventListener is the step that can
  // throw, and then no timer has been armed yet.
  if (signal !== undefined) {
    try {
      state.watch(signal);
    } catch (error) {
      return Promise.reject(error);
    }
  }
  state.arm();
  return result;
}

type Resolve = (value: void) => void;
type Reject = (reason: unknown) => void;


class DelayState implements AbortSubscriber {
  #hub: AbortHub | null = null;
  #resolve: Resolve | null;
  #reject: Reject | null;
  #timer: Timer | null = null;
  /** Milliseconds still to wait after the armed timer fires. */
  #remaining: number;
  readonly #ref: boolean;

  constructor(resolve: Resolve, reject: Reject, ms: number, ref: boolean) {
    this.#resolve = resolve;
    this.#reject = reject;
    this.#remaining = ms;
    this.#ref = ref;
  }

  watch(signal: AbortSignal): void {
    this.#hub = joinAbortHub(signal, this);
  }

  arm(): void {
    const chunk = Math.min(this.#remaining, TIMEOUT_MAX);
    this.#remaining -= chunk;
    // The state travels as the timer's argument: no closure per call.
    const timer = setTimeout(fire, chunk, this);
    if (!this.#ref) (timer as { unref?: () => unknown }).unref?.();
    this.#timer = timer;
  }

  /** The timer fired. */
  elapsed(): void {
    this.#timer = null;
    if (this.#remaining > 0) {
      this.arm();
      return;
    }
    const resolve = this.#resolve;
    if (resolve === null) return;
    this.#release();
    resolve();
  }

  /** From the hub, which has already dropped us. */
  abort(reason: unknown): void {
    this.#hub = null;
    const reject = this.#reject;
    if (reject === null) return;
    this.#release();
    reject(reason);
  }

  // The one release path: timer and subscription go together, before settling.
  #release(): void {
    this.#resolve = null;
    this.#reject = null;
    const timer = this.#timer;
    if (timer !== null) {
      this.#timer = null;
      clearTimeout(timer);
    }
    const hub = this.#hub;
    if (hub !== null) {
      this.#hub = null;
      leaveAbortHub(hub, this);
    }
  }
}

function fire(state: DelayState): void {
  state.elapsed();
}
