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
// Invariant: events go through a bounded Channel (default 1024 events,
// overflow 'error'), so a slow consumer costs at most `capacity` events.
// Every terminal path – return() / break, throw(), dispose, abort, an 'error'
// event, a `close` event, an overflow under 'error' – runs one idempotent
// release() that removes every listener it added (event, 'error', close
// events, abort); return(), throw(), dispose and abort also drop the buffered
// events. The listeners are functions bound to the iterator, made from static
// methods, so they capture nothing of the caller's scope.
//
// Refs: issue 3 section 4;
// https://nodejs.org/api/events.html#eventsonemitter-eventname-options
// (the API this replaces); nodejs/node#51091 (its listener leak).

import { Channel, failChannel } from './channel.js';
import { OverflowError } from './errors.js';
import {
  invalidArgType,
  validateInteger,
  validateOneOf,
  validateOptionalAbortSignal,
  validateOptions,
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
 * added (the event's, `'error'`, the close events', and the abort listener),
 * so the target no longer reaches the iterator. `return()`, `throw()`,
 * dispose and abort also drop the buffered events at once (Node's keeps them,
 * and yields them after `return()`). An already-aborted signal attaches
 * nothing. Concurrent `next()` calls are served in order, each event to one.
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
 * an emitter), `options` is not an object, `options.signal` is not an
 * `AbortSignal`, `options.capacity` is not a number, or `options.close` is
 * not an array of event names; `ERR_INVALID_ARG_VALUE` when
 * `options.overflow` is not one of the policies.
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
  validateOptions(options, 'options');
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

class Subscription implements EventIterator<unknown[]> {
  // Fixed at construction.
  readonly #channel: Channel<unknown[]>;
  readonly #failOnOverflow: boolean;
  /** Kept after release: a `next()` after an abort must not hand out what is left (see next()). */
  readonly #signal: AbortSignal | undefined;
  readonly #isEmitter: boolean;
  readonly #event: string | symbol;
  readonly #closeEvents: ReadonlyArray<string | symbol>;

  // Attached listeners, all undefined once released.
  #target: EventEmitterLike | EventTargetLike | undefined = undefined;
  #onEvent: Listener | undefined = undefined;
  #onError: Listener | undefined = undefined;
  #onClose: Listener | undefined = undefined;
  #onAbort: Listener | undefined = undefined;

  constructor(
    target: EventEmitterLike | EventTargetLike,
    isEmitter: boolean,
    event: string | symbol,
    signal: AbortSignal | undefined,
    capacity: number,
    overflow: EventOverflow,
    closeEvents: ReadonlyArray<string | symbol>,
  ) {
    this.#channel = new Channel<unknown[]>({ capacity, overflow });
    this.#failOnOverflow = overflow === 'error';
    this.#signal = signal;
    this.#isEmitter = isEmitter;
    this.#event = event;
    this.#closeEvents = closeEvents;
    if (signal !== undefined && signal.aborted) {
      failChannel(this.#channel, signal.reason);
      return;
    }
    this.#target = target;
    this.#onEvent = Subscription.#deliver.bind(this);
    if (closeEvents.length > 0) this.#onClose = Subscription.#closeEvent.bind(this);
    try {
      if (isEmitter) {
        const emitter = target as EventEmitterLike;
        emitter.on(event, this.#onEvent);
        if (event !== 'error') {
          this.#onError = Subscription.#errorEvent.bind(this);
          emitter.on('error', this.#onError);
        }
        for (const name of closeEvents) emitter.on(name, this.#onClose!);
      } else {
        const eventTarget = target as EventTargetLike;
        eventTarget.addEventListener(event as string, this.#onEvent);
        for (const name of closeEvents) eventTarget.addEventListener(name as string, this.#onClose!);
      }
      if (signal !== undefined) {
        this.#onAbort = Subscription.#abort.bind(this);
        signal.addEventListener('abort', this.#onAbort, { once: true });
      }
    } catch (error) {
      // A target whose `on`/`addEventListener` throws: take back what was added.
      this.#release();
      throw error;
    }
  }

  next(): Promise<IteratorResult<unknown[], undefined>> {
    // While subscribed, the abort listener has already failed the channel.
    // After a close event or an 'error' event the listeners are gone but
    // buffered events may remain: an abort since then must stop them too.
    const signal = this.#signal;
    if (signal !== undefined && signal.aborted) this.#fail(signal.reason);
    return this.#channel.next();
  }

  return(): Promise<IteratorReturnResult<undefined>> {
    this.#release();
    return this.#channel.return();
  }

  throw(error?: unknown): Promise<IteratorResult<unknown[], undefined>> {
    this.#release();
    void this.#channel.return();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.#release();
    return this.#channel[Symbol.asyncDispose]();
  }

  // Listener bodies: static, bound to the subscription in the constructor, so
  // each listener holds the subscription and nothing else.

  static #deliver(this: Subscription, ...args: unknown[]): void {
    const channel = this.#channel;
    // EventEmitter#emit calls the listeners it saw when the emit began, so a
    // listener removed during that emit (another listener ended us) still runs.
    if (channel.closed) return;
    if (this.#failOnOverflow && channel.size === channel.capacity) {
      this.#end(
        new OverflowError(
          `More than ${channel.capacity} events are waiting for the consumer (on() with overflow 'error')`,
        ),
      );
      return;
    }
    channel.trySend(args);
  }

  static #errorEvent(this: Subscription, error: unknown): void {
    // `emit('error')` without an argument is still an error, not a normal end.
    this.#end(error === undefined ? new Error("Unhandled 'error' event without an argument") : error);
  }

  static #closeEvent(this: Subscription): void {
    this.#end(undefined);
  }

  static #abort(this: Subscription): void {
    this.#fail(this.#signal!.reason);
  }

  // Terminal paths.

  /** Stops listening; the consumer still reads what is buffered, then done or `error`. */
  #end(error: unknown): void {
    this.#release();
    this.#channel.close(error);
  }

  /** Stops listening and drops the buffer; `next()` rejects with `reason`. */
  #fail(reason: unknown): void {
    this.#release();
    failChannel(this.#channel, reason);
  }

  /** Removes every listener this subscription added. Idempotent. */
  #release(): void {
    const target = this.#target;
    if (target === undefined) return;
    this.#target = undefined;
    const onEvent = this.#onEvent!;
    const onError = this.#onError;
    const onClose = this.#onClose;
    const onAbort = this.#onAbort;
    this.#onEvent = this.#onError = this.#onClose = this.#onAbort = undefined;
    if (this.#isEmitter) {
      const emitter = target as EventEmitterLike;
      emitter.removeListener(this.#event, onEvent);
      if (onError !== undefined) emitter.removeListener('error', onError);
      if (onClose !== undefined) for (const name of this.#closeEvents) emitter.removeListener(name, onClose);
    } else {
      const eventTarget = target as EventTargetLike;
      eventTarget.removeEventListener(this.#event as string, onEvent);
      if (onClose !== undefined) {
        for (const name of this.#closeEvents) eventTarget.removeEventListener(name as string, onClose);
      }
    }
    if (onAbort !== undefined) this.#signal!.removeEventListener('abort', onAbort);
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
