// `on`: events from an EventEmitter or an EventTarget as a bounded async iterator.
//
// Leak: Node's `events.on` buffers every event the consumer has not read yet
// in a queue with no bound, so a slow consumer is a memory leak that grows
// with the event rate; after `return()` (a `break`) it removes its listeners
// but keeps the buffered events – a later `next()` even yields them – so they
// live as long as the iterator does. Hand-written versions also forget to
// remove the listener on some exit path (abort, error, throw), and the
// emitter then keeps the iterator, its buffer and its consumer's closure.
//
// Invariant: events wait in a bounded queue of their own (default 1024
// events, overflow 'error'; a ring whose storage follows the live length,
// internal/ring.ts), so a slow consumer costs at most `capacity` events.
// Every terminal path – return() / break, throw(), dispose, abort, an 'error'
// event, a `close` event, an overflow under 'error' – runs one idempotent
// #release() that removes every listener it added (event, 'error', close
// events) and leaves the signal's shared abort hub (internal/abort-hub.ts: one
// native listener per signal for all of leakproof, so 10,000 iterators on one
// signal do not add 10,000 listeners, and a synthetic `abort` event on a live
// signal does nothing); return(), throw(), dispose and abort also drop the
// buffered events. The listeners are closures made by static methods that
// capture the subscription and nothing of the caller's scope.
//
// Refs: issue 3 section 4;
// https://nodejs.org/api/events.html#eventsonemitter-eventname-options
// (the API this replaces); nodejs/node#51091 (its listener leak).

import { OverflowError } from './errors.js';
import { type AbortHub, type AbortSubscriber, joinAbortHub, leaveAbortHub } from './internal/abort-hub.js';
import { withResolvers } from './internal/resolvers.js';
import { Ring } from './internal/ring.js';
import {
  invalidArgType,
  validateInteger,
  validateOneOf,
  validateOptionalAbortSignal,
  validateOptionsBag,
} from './internal/validate.js';

/**
 * What `on()` does when `capacity` events are buffered and one more arrives.
 * `'wait'` is not offered: an event source cannot be made to wait.
 *
 * - `'error'`: the subscription ends (listeners removed); the consumer reads
 *   the buffered events, then `next()` rejects with an {@link OverflowError}.
 * - `'drop-oldest'`: the oldest buffered event is dropped (latest wins).
 * - `'drop-newest'`: the arriving event is dropped.
 */
export type EventOverflow = 'drop-oldest' | 'drop-newest' | 'error';

/** Options of {@link on}. */
export interface OnOptions {
  /**
   * Ends the iteration: buffered events are dropped, listeners removed, and a
   * waiting or later `next()` rejects with `signal.reason`. An already-aborted
   * signal attaches nothing; the first `next()` rejects.
   */
  signal?: AbortSignal | undefined;
  /**
   * How many events may wait for the consumer: a positive integer. Memory
   * grows with the events actually buffered, not with `capacity`.
   * @default 1024
   */
  capacity?: number | undefined;
  /**
   * What happens when `capacity` events are buffered and another arrives.
   * @default 'error'
   */
  overflow?: EventOverflow | undefined;
  /**
   * Event names that end the iteration normally (Node's `events.on` option of
   * the same name), e.g. `['end']` for a stream: listeners are removed, the
   * buffered events are still delivered, then `next()` resolves done.
   */
  close?: ReadonlyArray<string | symbol> | undefined;
}

/**
 * The iterator `on()` returns: an `AsyncIterableIterator` whose `return()` and
 * `throw()` always exist, and an `AsyncDisposable`.
 */
export interface EventIterator<T> extends AsyncIterableIterator<T, undefined>, AsyncDisposable {
  next(): Promise<IteratorResult<T, undefined>>;
  /** Removes the listeners and drops the buffered events; resolves `{ done: true }`. */
  return(): Promise<IteratorReturnResult<undefined>>;
  /**
   * As `return()`, but the promise rejects with `error` (typed as an iterator
   * result only because `for await` requires that of `throw()`).
   */
  throw(error?: unknown): Promise<IteratorResult<T, undefined>>;
  [Symbol.asyncIterator](): EventIterator<T>;
}

/** The part of Node's `EventEmitter` that `on()` uses. */
export interface EventEmitterLike {
  on(event: string | symbol, listener: (...args: any[]) => void): unknown;
  removeListener(event: string | symbol, listener: (...args: any[]) => void): unknown;
}

const DEFAULT_CAPACITY = 1024;
const OPTIONS = ['signal', 'capacity', 'overflow', 'close'];
// Node's `events.on` options: its watermarks pause and resume a stream, which
// an event source cannot do; the bound here is `capacity`.
const HINTS: Readonly<Record<string, string>> = { highWaterMark: 'capacity', lowWaterMark: 'capacity' };
/** How many `next()` calls may wait at once, as for abortableIterator. */
const MAX_PENDING_READS = 1024;
const OVERFLOWS: readonly EventOverflow[] = ['drop-oldest', 'drop-newest', 'error'];

/**
 * Iterates the events `target` emits, like Node's `events.on`, through a
 * bounded buffer. Each value is the array of the listener's arguments: the
 * emitted arguments for an `EventEmitter`, `[event]` for an `EventTarget` –
 * the same shape as `events.on`, so `for await (const [message] of on(...))`
 * carries over unchanged.
 *
 * For an `EventEmitter` (anything with `on` and `removeListener`), an
 * `'error'` event ends the iteration: the buffered events are delivered, then
 * `next()` rejects with the error (unless `event` is `'error'` itself). An
 * `EventTarget` is used when `target` has no `on` method.
 *
 * Defaults, and why: `capacity: 1024`, `overflow: 'error'`. An unbounded
 * buffer is a leak; a silent drop is data loss nobody sees; an overflow error
 * tells a consumer that falls 1024 events behind exactly that, while it can
 * still read everything that was buffered. Pick `'drop-oldest'` for
 * latest-value streams (status, progress), where losing stale events is the
 * point.
 *
 * Guarantees: at most `capacity` events are buffered. Every terminal path –
 * `break`/`return()`, `throw()`, dispose, abort, an `'error'` event, a
 * `close` event, an overflow under `'error'` – removes every listener `on()`
 * added (the event's, `'error'`, the close events') and leaves the signal,
 * so neither the target nor the signal reaches the iterator. Every
 * subscription on a signal shares leakproof's one native `abort` listener
 * on it (10,000 iterators on one signal: one listener, no
 * `MaxListenersExceededWarning`), and a synthetic `abort` event dispatched
 * on a signal that has not aborted does nothing. `return()`, `throw()`,
 * dispose and abort also drop the buffered events at once (Node's keeps them,
 * and yields them after `return()`). An already-aborted signal attaches
 * nothing. Concurrent `next()` calls are served in order, each event to one;
 * at most 1024 may wait at once (one more rejects with an {@link OverflowError}).
 *
 * Does not: pause the source (nothing can; there is no `highWaterMark`);
 * observe events emitted before the call; remove listeners of an iterator
 * that is neither finished nor returned (abandoning one mid-stream leaves it
 * subscribed – `break`, `return()`, `await using` or a signal end it).
 *
 * @param target An `EventEmitter` or an `EventTarget`.
 * @param event The event name (an `EventTarget` takes strings only).
 * @param options `signal`, `capacity`, `overflow`, `close`.
 * @returns An {@link EventIterator}: async-iterable and async-disposable.
 * @throws {TypeError} `ERR_INVALID_ARG_TYPE` when `target` is neither an
 * `EventEmitter` nor an `EventTarget`, `event` is not a string (or symbol, for
 * an emitter), `options` is not an object (a signal passed in its place is
 * told to be passed as `{ signal }`), `options.signal` is not an
 * `AbortSignal`, `options.capacity` is not a number, or `options.close` is
 * not an array of event names; `ERR_INVALID_ARG_VALUE` when
 * `options.overflow` is not one of the policies, or `options` has a property
 * other than `signal`, `capacity`, `overflow` and `close` (Node's
 * `highWaterMark`/`lowWaterMark` are pointed to `capacity`).
 * @throws {RangeError} `ERR_OUT_OF_RANGE` when `options.capacity` is not a
 * positive integer.
 *
 * @example
 * ```ts
 * import { on } from 'leakproof';
 *
 * // Node's events.on, bounded: a consumer 1024 messages behind gets an OverflowError.
 * for await (const [message] of on(socket, 'message', { signal })) {
 *   await handle(message);
 * }
 *
 * // An EventTarget, latest value wins: never more than one event buffered.
 * for await (const [event] of on(window, 'resize', { capacity: 1, overflow: 'drop-oldest' })) {
 *   layout(event);
 * }
 * ```
 */
export function on<T extends unknown[] = any[]>(
  target: EventEmitterLike,
  event: string | symbol,
  options?: OnOptions,
): EventIterator<T>;
export function on<E extends Event = Event>(target: EventTarget, event: string, options?: OnOptions): EventIterator<[E]>;
export function on(target: unknown, event: unknown, options?: OnOptions): EventIterator<unknown[]> {
  const isEmitter = isEventEmitter(target);
  if (!isEmitter && !isEventTarget(target)) {
    throw invalidArgType('target', 'an instance of EventEmitter or EventTarget', target);
  }
  validateEventName(event, 'event', isEmitter);
  validateOptionsBag(options, 'options', OPTIONS, HINTS);
  const signal = options?.signal;
  validateOptionalAbortSignal(signal, 'options.signal');
  const capacity = options?.capacity ?? DEFAULT_CAPACITY;
  validateInteger(capacity, 'options.capacity', 1);
  const overflow = options?.overflow ?? 'error';
  validateOneOf(overflow, 'options.overflow', OVERFLOWS);
  const closeOption: unknown = options?.close;
  let close: Array<string | symbol> = NO_EVENTS;
  if (closeOption !== undefined) {
    if (!Array.isArray(closeOption)) throw invalidArgType('options.close', 'an instance of Array', closeOption);
    closeOption.forEach((name: unknown, i) => validateEventName(name, `options.close[${i}]`, isEmitter));
    close = [...(closeOption as Array<string | symbol>)];
  }
  return new Subscription(target, isEmitter, event, signal, capacity, overflow, close);
}

const NO_EVENTS: Array<string | symbol> = [];

type Listener = (...args: any[]) => void;

interface EventTargetLike {
  addEventListener(type: string, listener: Listener): void;
  removeEventListener(type: string, listener: Listener): void;
}

// States, in order; a subscription only ever moves forward.

/** Listening: events are buffered or handed to waiting reads. */
const OPEN = 0;
/** Ended by an 'error' or close event or an overflow: listeners removed, buffered events still delivered. */
const DRAINING = 1;
/** Ended and drained (or aborted): `next()` rejects with the error, or resolves done. */
const ENDED = 2;
/** `return()`, `throw()` or dispose: everything dropped; `next()` resolves done. */
const RETURNED = 3;

type State = typeof OPEN | typeof DRAINING | typeof ENDED | typeof RETURNED;
type Resolve = (result: IteratorResult<unknown[], undefined>) => void;
type Reject = (reason: unknown) => void;

const DONE: IteratorReturnResult<undefined> = /* @__PURE__ */ Object.freeze({ value: undefined, done: true });
const RESOLVED: Promise<void> = /* @__PURE__ */ Promise.resolve();

class Subscription implements EventIterator<unknown[]> {
  // Fixed at construction.
  readonly #capacity: number;
  readonly #overflow: EventOverflow;
  /** Kept after release: a `next()` after an abort must not hand out what is left (see next()). */
  readonly #signal: AbortSignal | undefined;
  readonly #isEmitter: boolean;
  readonly #event: string | symbol;
  readonly #closeEvents: ReadonlyArray<string | symbol>;

  // Attached listeners, all undefined (and the hub null) once released.
  #target: EventEmitterLike | EventTargetLike | undefined = undefined;
  #onEvent: Listener | undefined = undefined;
  #onError: Listener | undefined = undefined;
  #onClose: Listener | undefined = undefined;
  #hub: AbortHub | null = null;
  #member: AbortSubscriber | null = null;

  // Live state.
  #state: State = OPEN;
  /** Events not yet read (each the listener's arguments). Invariant: `#reads` is empty whenever this is not. */
  readonly #buffer = new Ring<unknown[]>();
  /** Waiting `next()` calls as resolve, reject, resolve, reject, ... Invariant: empty unless OPEN. */
  readonly #reads = new Ring<Resolve | Reject>();
  /** What `next()` rejects with once ENDED, when `#hasError`. */
  #error: unknown = undefined;
  #hasError = false;

  constructor(
    target: EventEmitterLike | EventTargetLike,
    isEmitter: boolean,
    event: string | symbol,
    signal: AbortSignal | undefined,
    capacity: number,
    overflow: EventOverflow,
    closeEvents: ReadonlyArray<string | symbol>,
  ) {
    this.#capacity = capacity;
    this.#overflow = overflow;
    this.#signal = signal;
    this.#isEmitter = isEmitter;
    this.#event = event;
    this.#closeEvents = closeEvents;
    if (signal !== undefined && signal.aborted) {
      // Attach nothing: the first next() rejects with the reason.
      this.#state = ENDED;
      this.#error = signal.reason;
      this.#hasError = true;
      return;
    }
    this.#target = target;
    const onEvent = isEmitter ? Subscription.#emitterListener(this) : Subscription.#targetListener(this);
    this.#onEvent = onEvent;
    if (closeEvents.length > 0) this.#onClose = Subscription.#closeListener(this);
    try {
      if (isEmitter) {
        const emitter = target as EventEmitterLike;
        emitter.on(event, onEvent);
        if (event !== 'error') {
          this.#onError = Subscription.#errorListener(this);
          emitter.on('error', this.#onError);
        }
        for (const name of closeEvents) emitter.on(name, this.#onClose!);
      } else {
        const eventTarget = target as EventTargetLike;
        eventTarget.addEventListener(event as string, onEvent);
        for (const name of closeEvents) eventTarget.addEventListener(name as string, this.#onClose!);
      }
      if (signal !== undefined) {
        const member = Subscription.#abortMember(this);
        this.#hub = joinAbortHub(signal, member);
        this.#member = member;
      }
    } catch (error) {
      // A target whose `on`/`addEventListener` throws: take back what was added.
      this.#state = RETURNED;
      try {
        this.#release();
      } catch {
        // The error that stopped the subscription is the one to report.
      }
      throw error;
    }
  }

  next(): Promise<IteratorResult<unknown[], undefined>> {
    // While subscribed, the hub has already failed us on abort. After a close
    // event or an 'error' event we have left the hub but buffered events may
    // remain: an abort since then must stop them too.
    const signal = this.#signal;
    if (signal !== undefined && signal.aborted && this.#state < ENDED) {
      try {
        this.#fail(signal.reason);
      } catch (error) {
        // The target's removeListener threw; the abort has still ended us.
        return Promise.reject(error);
      }
    }
    const buffer = this.#buffer;
    if (buffer.size > 0) {
      const value = buffer.shift();
      if (buffer.size === 0 && this.#state === DRAINING) this.#state = ENDED;
      return Promise.resolve({ value, done: false });
    }
    switch (this.#state) {
      case OPEN:
        break;
      case ENDED:
        if (this.#hasError) return Promise.reject(this.#error);
        return Promise.resolve(DONE);
      default:
        return Promise.resolve(DONE);
    }
    const reads = this.#reads;
    if (reads.size >= 2 * MAX_PENDING_READS) {
      return Promise.reject(new OverflowError(`More than ${MAX_PENDING_READS} next() calls are waiting on on()`));
    }
    const { promise, resolve, reject } = withResolvers<IteratorResult<unknown[], undefined>>();
    reads.push(resolve as Resolve);
    reads.push(reject);
    return promise;
  }

  return(): Promise<IteratorReturnResult<undefined>> {
    try {
      this.#return();
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.resolve(DONE);
  }

  throw(error?: unknown): Promise<IteratorResult<unknown[], undefined>> {
    try {
      this.#return();
    } catch {
      // The error thrown in the loop body is the one to report.
    }
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#return();
    } catch (error) {
      return Promise.reject(error);
    }
    return RESOLVED;
  }

  // Listeners: made here so they may call private methods; each captures the
  // subscription and nothing else.

  static #emitterListener(subscription: Subscription): Listener {
    return (...args: unknown[]) => subscription.#deliver(args);
  }

  static #targetListener(subscription: Subscription): Listener {
    return (event: unknown) => subscription.#deliver([event]);
  }

  static #errorListener(subscription: Subscription): Listener {
    // `emit('error')` without an argument is still an error, not a normal end.
    return (error: unknown) =>
      subscription.#end(error === undefined ? new Error("Unhandled 'error' event without an argument") : error, true);
  }

  static #closeListener(subscription: Subscription): Listener {
    return () => subscription.#end(undefined, false);
  }

  static #abortMember(subscription: Subscription): AbortSubscriber {
    return { abort: (reason) => subscription.#fail(reason) };
  }

  #deliver(args: unknown[]): void {
    // EventEmitter#emit calls the listeners it saw when the emit began, so a
    // listener removed during that emit (another listener ended us) still runs.
    if (this.#state !== OPEN) return;
    const reads = this.#reads;
    if (reads.size > 0) {
      const resolve = reads.shift() as Resolve;
      reads.shift();
      resolve({ value: args, done: false });
      return;
    }
    const buffer = this.#buffer;
    if (buffer.size < this.#capacity) {
      buffer.push(args);
      return;
    }
    switch (this.#overflow) {
      case 'drop-oldest':
        buffer.shift();
        buffer.push(args);
        return;
      case 'drop-newest':
        return;
      default:
        this.#end(
          new OverflowError(
            `More than ${this.#capacity} events are waiting for the consumer (on() with overflow 'error')`,
          ),
          true,
        );
    }
  }

  // Transitions. Each is idempotent and only moves the state forward.

  // State first, listeners last: a target whose removeListener throws leaves
  // the subscription consistent (ended, reads settled), the remaining
  // listeners removed, and its error to whoever ended us.

  /** OPEN → DRAINING (ENDED when nothing is buffered): stops listening; the buffer is still read. */
  #end(error: unknown, hasError: boolean): void {
    if (this.#state !== OPEN) return;
    this.#error = error;
    this.#hasError = hasError;
    if (this.#buffer.size > 0) this.#state = DRAINING;
    else this.#settleReads();
    this.#release();
  }

  /** OPEN or DRAINING → ENDED with `reason`, dropping the buffer: an abort. */
  #fail(reason: unknown): void {
    if (this.#state >= ENDED) return;
    this.#buffer.clear();
    this.#error = reason;
    this.#hasError = true;
    this.#settleReads();
    this.#release();
  }

  /** any → RETURNED: drops the buffer and any error; waiting reads resolve done; stops listening. */
  #return(): void {
    if (this.#state === RETURNED) return;
    this.#state = RETURNED;
    this.#buffer.clear();
    this.#error = undefined;
    this.#hasError = false;
    const reads = this.#reads;
    while (reads.size > 0) {
      const resolve = reads.shift() as Resolve;
      reads.shift();
      resolve(DONE);
    }
    this.#release();
  }

  /** → ENDED: waiting reads (there are some only when nothing is buffered) get the outcome. */
  #settleReads(): void {
    this.#state = ENDED;
    const reads = this.#reads;
    while (reads.size > 0) {
      const resolve = reads.shift() as Resolve;
      const reject = reads.shift() as Reject;
      if (this.#hasError) reject(this.#error);
      else resolve(DONE);
    }
  }

  /**
   * Removes every listener this subscription added and leaves the abort hub.
   * Idempotent. Tries every removal, then throws the first error a target threw.
   */
  #release(): void {
    const hub = this.#hub;
    if (hub !== null) {
      const member = this.#member!;
      this.#hub = this.#member = null;
      leaveAbortHub(hub, member);
    }
    const target = this.#target;
    if (target === undefined) return;
    this.#target = undefined;
    const onEvent = this.#onEvent!;
    const onError = this.#onError;
    const onClose = this.#onClose;
    this.#onEvent = this.#onError = this.#onClose = undefined;
    const removals = new Removals(target, this.#isEmitter);
    removals.remove(this.#event, onEvent);
    if (onError !== undefined) removals.remove('error', onError);
    if (onClose !== undefined) for (const name of this.#closeEvents) removals.remove(name, onClose);
    removals.rethrow();
  }
}

/** Removes listeners one by one, keeping the first error a removal threw for later. */
class Removals {
  readonly #target: EventEmitterLike | EventTargetLike;
  readonly #isEmitter: boolean;
  #failed = false;
  #error: unknown = undefined;

  constructor(target: EventEmitterLike | EventTargetLike, isEmitter: boolean) {
    this.#target = target;
    this.#isEmitter = isEmitter;
  }

  remove(name: string | symbol, listener: Listener): void {
    try {
      if (this.#isEmitter) (this.#target as EventEmitterLike).removeListener(name, listener);
      else (this.#target as EventTargetLike).removeEventListener(name as string, listener);
    } catch (error) {
      if (!this.#failed) {
        this.#failed = true;
        this.#error = error;
      }
    }
  }

  rethrow(): void {
    if (this.#failed) throw this.#error;
  }
}

function isEventEmitter(value: unknown): value is EventEmitterLike {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as EventEmitterLike).on === 'function' &&
    typeof (value as EventEmitterLike).removeListener === 'function'
  );
}

function isEventTarget(value: unknown): value is EventTargetLike {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as EventTargetLike).addEventListener === 'function' &&
    typeof (value as EventTargetLike).removeEventListener === 'function'
  );
}

function validateEventName(value: unknown, name: string, isEmitter: boolean): asserts value is string | symbol {
  if (typeof value === 'string') return;
  if (isEmitter && typeof value === 'symbol') return;
  throw invalidArgType(name, isEmitter ? 'of type string or symbol' : 'of type string', value);
}
