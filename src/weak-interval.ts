// `weakInterval` and `weakTimeout`: timers that do not own their owner.
//
// Leak: `setInterval(this.check.bind(this), ms).unref()` in a constructor. The
// timer is unref'ed, so it does not keep the process alive, but the timer list
// holds the timer, the timer holds the bound function and the bound function
// holds `this`: every object ever constructed stays reachable, and its timer
// keeps firing, until someone calls `clearInterval`. `http.createServer()`
// without `listen()` leaked every server this way on Node 18 and 20
// (`setInterval(checkConnections.bind(server))`, nodejs/node#48604).
//
// Invariant: the timer reaches the target only through a `WeakRef`. The timer
// calls a module-level function with the handle as its argument; the handle
// holds the `WeakRef`, the user's callback and the timer, never the target. On
// each tick the target is dereferenced; once it is gone the timer clears
// itself. A module-level `FinalizationRegistry` clears the timer as soon as
// the target is collected, so a long period does not leave a dead timer
// behind until its next tick. One idempotent `release()` clears the timer,
// unregisters the handle and drops the callback; dispose, collection and
// (for `weakTimeout`) firing all go through it.
//
// This is the technique of Node's `setWeakAbortSignalTimeout`
// (lib/internal/abort_controller.js): "have the setTimeout callback close over
// the WeakRef rather than directly over the AbortSignal, and unref the created
// timer object. Separately, add the signal to a FinalizationRegistry that will
// clear the timeout when the signal is gc'd."
//
// Refs: https://github.com/nodejs/node/issues/48604 (the http.createServer
// leak; fixed in core by starting the timer on listen, nodejs/node#48611),
// lib/internal/abort_controller.js setWeakAbortSignalTimeout.

import { invalidArgType, outOfRange, validateBoolean, validateFunction, validateOptionsBag } from './internal/validate.js';

/** Options of {@link weakInterval} and {@link weakTimeout}. */
export interface WeakTimerOptions {
  /**
   * Whether the timer keeps the process alive, as `ref` in `timers/promises`
   * and `delay` – but off by default: a timer that serves an object should not
   * keep a process running that is otherwise done. Pass `true` to keep the
   * process alive while the timer runs; the timer still holds the target only
   * weakly. Ignored where timers have no `unref` (browsers).
   * @default false
   */
  ref?: boolean;
}

/** The handle returned by {@link weakInterval} and {@link weakTimeout}. */
export interface WeakTimer extends Disposable {
  /**
   * True until the timer is stopped: disposed, its target collected (or found
   * collected on a tick), or, for {@link weakTimeout}, fired.
   */
  readonly active: boolean;
}

/** The largest delay a timer accepts (2^31 - 1 ms, about 24.8 days). */
const TIMEOUT_MAX = 2_147_483_647;

/**
 * Calls `callback(target)` every `ms` milliseconds for as long as `target` is
 * alive, holding `target` only weakly.
 *
 * Write `callback` so that it reaches the target only through its argument:
 * `weakInterval(this, (self) => self.check(), 1000)`, or pass a method from
 * the prototype. The library holds `callback` strongly, so a callback that
 * closes over the target (`() => this.check()`, `this.check.bind(this)`)
 * keeps the target alive forever: that is the leak this function exists to
 * remove, re-created by hand.
 *
 * Guarantees: the timer, the handle and the library hold the target only
 * through a `WeakRef`, so an object whose only reference is its own
 * `weakInterval` is collectable. Once it is collected the timer is cleared
 * (by a `FinalizationRegistry` callback, or on the next tick, whichever comes
 * first) and the callback is dropped. After dispose nothing of the timer
 * remains. Not ref'ed by default: the timer never keeps the process alive
 * unless `options.ref` is `true`, and even then it never keeps the target
 * alive.
 *
 * Does not: wait for an async callback (ticks overlap like `setInterval`'s);
 * catch errors (a throwing callback is an uncaught exception, as with
 * `setInterval`, and the interval keeps running); notice that the target is
 * unreachable before a GC has actually collected it, so ticks may continue
 * for a while after the last reference is dropped. Timing is `setInterval`'s
 * (`ms` 0 runs every 1 ms).
 *
 * @param target The object the timer serves; held weakly.
 * @param callback Called with the target on each tick; held strongly.
 * @param ms The period in milliseconds, 0 to 2^31-1.
 * @param options See {@link WeakTimerOptions}.
 * @returns A {@link WeakTimer}: `[Symbol.dispose]()` stops the timer.
 * @throws {TypeError} `ERR_INVALID_ARG_TYPE` when `target` is not an object,
 * `callback` not a function, `ms` not a number or an option has the wrong
 * type; `ERR_INVALID_ARG_VALUE` for an unknown option (v0.1's `unref` is
 * told to be `ref`, with the opposite meaning).
 * @throws {RangeError} `ERR_OUT_OF_RANGE` when `ms` is NaN, negative or above
 * 2^31-1 (where `setInterval` would silently use 1 ms).
 *
 * @example
 * ```ts
 * import { weakInterval } from 'leakproof';
 *
 * class Server {
 *   #timer = weakInterval(this, (server) => server.checkConnections(), 30_000);
 *   checkConnections() {}
 *   close() {
 *     this.#timer[Symbol.dispose]();
 *   }
 * }
 * new Server(); // never closed: still collectable, and its timer stops
 * ```
 */
export function weakInterval<T extends object>(
  target: T,
  callback: (target: T) => unknown,
  ms: number,
  options?: WeakTimerOptions,
): WeakTimer {
  return start(target, callback, ms, options, true);
}

/**
 * Calls `callback(target)` once after `ms` milliseconds if `target` is still
 * alive, holding `target` only weakly: the one-shot counterpart of
 * {@link weakInterval}, with the same rule for `callback` (reach the target
 * through the argument, never through a closure).
 *
 * Guarantees: as for {@link weakInterval}; in addition the handle releases the
 * callback and unregisters itself before the callback runs, so it holds
 * nothing once fired.
 *
 * Does not: fire if the target was collected first (the timer is cleared
 * instead); catch errors thrown by the callback.
 *
 * @param target The object the timer serves; held weakly.
 * @param callback Called once with the target; held strongly until then.
 * @param ms The delay in milliseconds, 0 to 2^31-1.
 * @param options See {@link WeakTimerOptions}.
 * @returns A {@link WeakTimer}: `[Symbol.dispose]()` cancels it.
 * @throws {TypeError} `ERR_INVALID_ARG_TYPE`, as for {@link weakInterval}.
 * @throws {RangeError} `ERR_OUT_OF_RANGE`, as for {@link weakInterval}.
 *
 * @example
 * ```ts
 * import { weakTimeout } from 'leakproof';
 *
 * class Session {
 *   #idle = weakTimeout(this, (session) => session.expire(), 60_000);
 *   expire() {}
 * }
 * ```
 */
export function weakTimeout<T extends object>(
  target: T,
  callback: (target: T) => unknown,
  ms: number,
  options?: WeakTimerOptions,
): WeakTimer {
  return start(target, callback, ms, options, false);
}

function start<T extends object>(
  target: T,
  callback: (target: T) => unknown,
  ms: number,
  options: WeakTimerOptions | undefined,
  repeat: boolean,
): WeakTimer {
  // Like WeakRef itself, minus symbols: a symbol target is rare enough that
  // accepting it would only hide a mistake.
  if (target === null || (typeof target !== 'object' && typeof target !== 'function')) {
    throw invalidArgType('target', 'of type object', target);
  }
  validateFunction(callback, 'callback');
  if (typeof ms !== 'number') throw invalidArgType('ms', 'of type number', ms);
  if (!(ms >= 0 && ms <= TIMEOUT_MAX)) throw outOfRange('ms', `a number >= 0 and <= ${TIMEOUT_MAX}`, ms);
  validateOptionsBag(options, 'options', TIMER_OPTIONS, TIMER_HINTS);
  const ref = options?.ref ?? false;
  validateBoolean(ref, 'options.ref');
  return new Handle(target, callback as (target: object) => unknown, ms, !ref, repeat);
}

// One vocabulary with `delay` and `timers/promises`: `ref`. v0.1 spelled it
// `unref` (with the opposite meaning), so say what to write instead.
const TIMER_OPTIONS = ['ref'] as const;
const TIMER_HINTS: Readonly<Record<string, string>> = { unref: 'ref (unref: false → ref: true)' };

// When a target is collected, clear its timer at once: with a long period the
// next tick (which would notice too) may be hours away, and until then the
// timer list keeps the handle and the callback. The held value is the handle,
// which never references the target, so the registry does not keep the target
// alive; the handle is also the unregister token (held weakly).
const collected = /* @__PURE__ */ new FinalizationRegistry<Handle>(releaseHandle);

function releaseHandle(handle: Handle): void {
  handle.release();
}

// The timer's callback is module-level and receives the handle as its timer
// argument: no closure per timer, so nothing of the caller's scope (where the
// target is certainly in reach) is captured.
function tick(handle: Handle): void {
  handle.tick();
}

type TimerId = ReturnType<typeof setInterval>;

class Handle implements WeakTimer {
  // Live state; all of it dropped by release().
  #ref: WeakRef<object> | null;
  #callback: ((target: object) => unknown) | null;
  #timer: TimerId | null;
  readonly #repeat: boolean;

  constructor(target: object, callback: (target: object) => unknown, ms: number, unref: boolean, repeat: boolean) {
    this.#ref = new WeakRef(target);
    this.#callback = callback;
    this.#repeat = repeat;
    // Extra timer arguments are supported by Node, Deno, Bun and browsers.
    const timer = repeat ? setInterval(tick, ms, this) : setTimeout(tick, ms, this);
    if (unref && typeof timer === 'object' && typeof timer.unref === 'function') timer.unref();
    this.#timer = timer;
    collected.register(target, this, this);
  }

  get active(): boolean {
    return this.#timer !== null;
  }

  tick(): void {
    const callback = this.#callback;
    // A tick already queued when the handle was released finds it empty.
    const target = this.#ref?.deref();
    if (callback === null || target === undefined) {
      this.release();
      return;
    }
    // A one-shot timer holds nothing once it fires, even if the callback throws.
    if (!this.#repeat) this.release();
    callback(target);
  }

  // The one release path: dispose, collection, a tick that finds the target
  // gone, and a fired timeout all end here.
  release(): void {
    const timer = this.#timer;
    if (timer === null) return;
    this.#timer = null;
    this.#ref = null;
    this.#callback = null;
    if (this.#repeat) clearInterval(timer);
    else clearTimeout(timer);
    collected.unregister(this);
  }

  [Symbol.dispose](): void {
    this.release();
  }
}
