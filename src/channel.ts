// `Channel`: a bounded, async-iterable queue between producers and consumers.
//
// Leak: the usual hand-written channel is an array that only grows. A producer
// that outpaces its consumer (or a consumer that stopped reading) grows it
// without bound; `queue[head++]` without clearing the slot keeps every
// consumed value; a "drop" policy written as `queue.shift()` on a huge array
// is O(n) per send; and a consumer that `break`s leaves waiting producers
// pending forever, each holding its value (and its abort listener on a
// long-lived signal).
//
// Invariant: at most `capacity` values are buffered, at most MAX_PENDING
// senders and MAX_PENDING `next()` calls wait, and every overflow is an error
// or a documented drop, never growth. A value leaves the channel the moment it
// is consumed, dropped or withdrawn: its ring slot is set to `undefined` and a
// withdrawn sender's record is cleared and unlinked. Every transition that
// ends waiting (close, return, dispose, abort of one send) settles each
// waiter, detaches its abort listener before settling, and drops what it held.
//
// Refs: issue 3 section 4; repeaterjs/repeater (capped queues, stop vs finish);
// https://go.dev/ref/spec#Channel_types (Go channels: close drains, send on a
// closed channel is an error); https://streams.spec.whatwg.org/ (a stored
// error is sticky).

import { clearResolvers, lastReject, lastResolve, newPromise } from './internal/resolvers.js';
import { ClosedError, OverflowError } from './errors.js';
import {
  invalidArgType,
  validateInteger,
  validateOneOf,
  validateOptionalAbortSignal,
  validateOptions,
} from './internal/validate.js';

/**
 * What a full channel does with one more value.
 *
 * - `'wait'`: `send()` waits until a consumer makes room (backpressure);
 *   `trySend()` returns `false`.
 * - `'drop-oldest'`: the oldest buffered value is dropped to make room.
 * - `'drop-newest'`: the value being sent is dropped; the buffer is unchanged.
 * - `'error'`: `send()` rejects and `trySend()` throws an {@link OverflowError}.
 */
export type ChannelOverflow = 'wait' | 'drop-oldest' | 'drop-newest' | 'error';

/** Options of {@link Channel}. */
export interface ChannelOptions {
  /**
   * How many values the channel buffers: a positive integer. Required, so that
   * an unbounded channel does not compile. Memory grows with the number of
   * values actually buffered (a ring that doubles and halves), not with
   * `capacity`.
   */
  capacity: number;
  /**
   * What happens when the buffer is full.
   * @default 'wait'
   */
  overflow?: ChannelOverflow | undefined;
}

/** Options of {@link Channel.send}. */
export interface SendOptions {
  /**
   * Withdraws a waiting send: the value is removed from the channel and the
   * send rejects with `signal.reason`. An already-aborted signal rejects at
   * once and sends nothing. Only a `send()` that waits (policy `'wait'`, buffer
   * full) attaches a listener, and it is removed as soon as the send settles.
   */
  signal?: AbortSignal | undefined;
}

/**
 * How many `send()` calls may wait at once, and how many `next()` calls. One
 * more rejects with an {@link OverflowError}, as Repeater does at 1024: a
 * queue of waiters that grows without bound is the same leak as a buffer that
 * does.
 */
const MAX_PENDING = 1024;

const OVERFLOWS: readonly ChannelOverflow[] = ['wait', 'drop-oldest', 'drop-newest', 'error'];

// States, in order; a channel only ever moves forward.

/** Accepts values. */
const OPEN = 0;
/** `close()` was called: sends are refused, buffered values are still delivered. */
const CLOSING = 1;
/** Closed and drained: `next()` resolves done, or rejects with the close error. */
const CLOSED = 2;
/** `return()` or dispose: the buffer and any close error were dropped; `next()` resolves done. */
const RETURNED = 3;

type State = typeof OPEN | typeof CLOSING | typeof CLOSED | typeof RETURNED;

type Resolve<T> = (value: T) => void;
type Reject = (reason: unknown) => void;

// Assigned by a static block of Channel, which alone can reach `#fail`; see
// failChannel(). Declared before the class so the block finds it initialised.
let failImplementation: <T>(channel: Channel<T>, reason: unknown) => void;

/**
 * A bounded async queue: producers `send()` values, consumers iterate them.
 * Every value goes to exactly one `next()` call, in the order it was accepted.
 *
 * The channel is its own async iterator, so several consumers may iterate it
 * at once (`for await` in each) and share its values. A consumer that calls
 * `return()` (a `break` out of `for await`) ends the channel for everyone,
 * exactly as disposing it does; a consumer that wants to stop alone simply
 * stops calling `next()`.
 *
 * Closing: `close()` refuses further sends and rejects the waiting ones with
 * {@link ClosedError}; consumers still receive every value already buffered,
 * then `{ done: true }` (or, after `close(error)`, a rejection with `error`,
 * for every later `next()` until `return()`). `return()` and
 * `[Symbol.asyncDispose]()` drop the buffered values instead.
 *
 * Guarantees: at most `capacity` values buffered, at most 1024 waiting
 * `send()`s and 1024 waiting `next()`s (one more rejects with
 * {@link OverflowError}). A consumed, dropped or withdrawn value is no longer
 * referenced by the channel. Every waiting `send()` and `next()` settles when
 * the channel closes, returns or is disposed, and a waiting send's abort
 * listener is removed when it settles, however it settles.
 *
 * Does not: preallocate `capacity` slots; deliver values to consumers that
 * never call `next()`; tell a `'drop-newest'` or `'drop-oldest'` `send()`
 * whether its value (or which value) was dropped (use `trySend()` to learn
 * the former).
 *
 * @typeParam T The type of the values.
 *
 * @example
 * ```ts
 * import { Channel } from 'leakproof';
 *
 * const jobs = new Channel<Job>({ capacity: 100 }); // overflow: 'wait'
 *
 * // Producer: awaits when 100 jobs are waiting (backpressure).
 * for (const job of incoming) await jobs.send(job, { signal });
 * jobs.close();
 *
 * // Consumers: each job goes to exactly one worker.
 * await Promise.all([worker(jobs), worker(jobs)]);
 * async function worker(source: AsyncIterable<Job>) {
 *   for await (const job of source) await run(job);
 * }
 * ```
 */
export class Channel<T> implements AsyncIterableIterator<T, undefined>, AsyncDisposable {
  // Fixed at construction.
  readonly #capacity: number;
  readonly #overflow: ChannelOverflow;

  // Live state.
  #state: State = OPEN;
  /** Accepted values not yet consumed. Invariant: `#readers` is empty whenever this is not. */
  readonly #buffer: Ring<T> = new Ring<T>();
  /** The close error, when `close(error)` gave one; dropped by `return()`. */
  #error: unknown = undefined;
  #hasError = false;

  // Waiters, each queue capped at MAX_PENDING.
  /** Sends waiting for room (policy 'wait'). Invariant: non-empty only while the buffer is full and OPEN. */
  readonly #senders: SendQueue<T> = new SendQueue<T>();
  /** `next()` calls waiting for a value. Invariant: non-empty only while the buffer is empty and OPEN. */
  readonly #readers: Ring<Reader<T>> = new Ring<Reader<T>>();

  /**
   * @param options `capacity` (required) and `overflow`.
   * @throws {TypeError} `ERR_INVALID_ARG_TYPE` when `options` is not an object
   * or `options.capacity` is not a number; `ERR_INVALID_ARG_VALUE` when
   * `options.overflow` is not one of the policies.
   * @throws {RangeError} `ERR_OUT_OF_RANGE` when `options.capacity` is not a
   * positive safe integer (0, negative, fractional, NaN or Infinity).
   */
  constructor(options: ChannelOptions) {
    // Installed on first construction, not in a static block, so that the
    // module has no top-level side effect and the class tree-shakes.
    if (failImplementation === undefined) Channel.#install();
    if (options === undefined) throw invalidArgType('options', 'of type object', options);
    validateOptions(options, 'options');
    const { capacity, overflow = 'wait' } = options;
    validateInteger(capacity, 'options.capacity', 1);
    validateOneOf(overflow, 'options.overflow', OVERFLOWS);
    this.#capacity = capacity;
    this.#overflow = overflow;
  }

  /** How many values are buffered (accepted, not yet consumed). Waiting sends are not counted. */
  get size(): number {
    return this.#buffer.size;
  }

  /** The `capacity` the channel was created with. */
  get capacity(): number {
    return this.#capacity;
  }

  /** Whether the channel refuses sends: after `close()`, `return()` or dispose. */
  get closed(): boolean {
    return this.#state !== OPEN;
  }

  /**
   * Sends `value`: hands it to a waiting consumer, or buffers it, or applies
   * the overflow policy when the buffer is full.
   *
   * @param value The value to send.
   * @param options `signal` withdraws a waiting send.
   * @returns A promise that resolves once the value was accepted (at once
   * unless the policy is `'wait'` and the buffer is full; under
   * `'drop-newest'` it resolves even though the value was dropped). It
   * rejects – it never throws – with:
   * a `TypeError` for bad options; `signal.reason` when the signal is already
   * aborted or aborts while the send waits (the value is withdrawn);
   * {@link ClosedError} when the channel is closed, or closes while the send
   * waits (its `cause` is the close error, if any); {@link OverflowError} under
   * `'error'` when the buffer is full, or under `'wait'` when 1024 sends are
   * already waiting.
   *
   * @example
   * ```ts
   * import { Channel } from 'leakproof';
   * const channel = new Channel<string>({ capacity: 1 });
   * await channel.send('a');                 // buffered
   * const pending = channel.send('b', { signal: AbortSignal.timeout(100) });
   * // ...rejects with the TimeoutError unless a consumer makes room in time.
   * ```
   */
  send(value: T, options?: SendOptions): Promise<void> {
    let signal: AbortSignal | undefined;
    try {
      validateOptions(options, 'options');
      signal = options?.signal;
      validateOptionalAbortSignal(signal, 'options.signal');
    } catch (error) {
      return Promise.reject(error);
    }
    if (signal !== undefined && signal.aborted) return Promise.reject(signal.reason);
    if (this.#state !== OPEN) return Promise.reject(this.#closedError());
    if (this.#offer(value)) return RESOLVED;
    switch (this.#overflow) {
      case 'drop-newest':
        return RESOLVED;
      case 'error':
        return Promise.reject(this.#overflowError());
      default:
        return this.#wait(value, signal);
    }
  }

  /**
   * Sends `value` if that needs no waiting: `send()` without the promise.
   *
   * @param value The value to send.
   * @returns `true` when the value was accepted (delivered or buffered; under
   * `'drop-oldest'` a full buffer drops its oldest value and accepts this one);
   * `false` when the buffer is full and the policy is `'wait'` (the value
   * would have had to wait) or `'drop-newest'` (the value was dropped).
   * @throws {ClosedError} when the channel is closed (sending on a closed
   * channel is a bug, as in Go).
   * @throws {OverflowError} when the buffer is full and the policy is `'error'`.
   *
   * @example
   * ```ts
   * import { Channel } from 'leakproof';
   * const updates = new Channel<Status>({ capacity: 1, overflow: 'drop-oldest' });
   * emitter.on('status', (status) => updates.trySend(status)); // latest wins
   * ```
   */
  trySend(value: T): boolean {
    if (this.#state !== OPEN) throw this.#closedError();
    if (this.#offer(value)) return true;
    if (this.#overflow === 'error') throw this.#overflowError();
    return false;
  }

  /**
   * Closes the channel for senders. Idempotent: only the first call counts.
   *
   * Waiting sends reject with {@link ClosedError} (with `cause: error` when
   * `error` is given) and their values are released at once. Consumers still
   * receive every buffered value; after that, `next()` resolves
   * `{ done: true }`, or, when `error` is not `undefined`, rejects with
   * `error` – every later `next()` too, so that each of several consumers
   * learns of the failure, until `return()` is called.
   *
   * @param error Why the channel closed; `undefined` means a normal end.
   *
   * @example
   * ```ts
   * import { Channel } from 'leakproof';
   * const channel = new Channel<number>({ capacity: 8 });
   * await channel.send(1);
   * channel.close(new Error('upstream failed'));
   * await channel.next(); // { value: 1, done: false }
   * await channel.next(); // rejects with Error('upstream failed')
   * ```
   */
  close(error?: unknown): void {
    this.#close(error, error !== undefined);
  }

  /**
   * Takes the next value: at once from the buffer, or waits for a `send()`.
   *
   * @returns A promise for `{ value, done: false }`; `{ done: true }` once the
   * channel is closed and drained, or returned; a rejection with the close
   * error after `close(error)`; an {@link OverflowError} when 1024 `next()`
   * calls are already waiting.
   */
  next(): Promise<IteratorResult<T, undefined>> {
    const buffer = this.#buffer;
    if (buffer.size > 0) {
      const value = buffer.shift();
      if (this.#senders.length > 0) this.#admitSender();
      else if (buffer.size === 0 && this.#state === CLOSING) this.#drain();
      return Promise.resolve({ value, done: false });
    }
    switch (this.#state) {
      case OPEN:
        break;
      case CLOSED:
        if (this.#hasError) return Promise.reject(this.#error);
        return Promise.resolve(DONE);
      default:
        return Promise.resolve(DONE);
    }
    if (this.#readers.size >= MAX_PENDING) {
      return Promise.reject(new OverflowError(`More than ${MAX_PENDING} next() calls are waiting on the channel`));
    }
    const promise = newPromise<IteratorResult<T, undefined>>();
    this.#readers.push(new Reader(lastResolve(), lastReject()));
    clearResolvers();
    return promise;
  }

  /**
   * Ends the channel for everyone and drops what it holds: buffered values are
   * released, waiting sends reject with {@link ClosedError}, waiting `next()`
   * calls (of every consumer) resolve `{ done: true }`, and so does every
   * later `next()`. A close error not yet delivered is dropped too.
   * Idempotent. `for await` calls it on `break`, `return` and `throw` in the
   * loop body.
   *
   * @returns A promise for `{ value: undefined, done: true }`.
   */
  return(): Promise<IteratorReturnResult<undefined>> {
    this.#return();
    return Promise.resolve(DONE);
  }

  /** Returns the channel itself: consumers share one queue. */
  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Same as `return()`: `await using channel = new Channel(...)` drops it all at scope exit. */
  [Symbol.asyncDispose](): Promise<void> {
    this.#return();
    return RESOLVED;
  }

  // Transitions. Each is idempotent and only moves the state forward.

  /** OPEN → CLOSING (or CLOSED when nothing is buffered): refuses sends, rejects waiting ones. */
  #close(error: unknown, hasError: boolean): void {
    if (this.#state !== OPEN) return;
    this.#state = CLOSING;
    this.#error = error;
    this.#hasError = hasError;
    this.#rejectSenders();
    if (this.#buffer.size === 0) this.#drain();
  }

  /**
   * CLOSING → CLOSED, when the last buffered value is taken: settles waiting
   * readers with done or the close error. Unlike `#return()`, the error stays.
   */
  #drain(): void {
    if (this.#state !== CLOSING) return;
    this.#state = CLOSED;
    const readers = this.#readers;
    while (readers.size > 0) {
      const reader = readers.shift();
      if (this.#hasError) reader.reject(this.#error);
      else reader.resolve(DONE);
    }
  }

  /** any → RETURNED: drops the buffer and the close error; everything waiting settles. */
  #return(): void {
    if (this.#state === RETURNED) return;
    this.#state = RETURNED;
    this.#error = undefined;
    this.#hasError = false;
    this.#buffer.clear();
    this.#rejectSenders();
    const readers = this.#readers;
    while (readers.size > 0) readers.shift().resolve(DONE);
  }

  /**
   * OPEN or CLOSING → CLOSED with `reason`, dropping the buffer: an abort.
   * Used by `on()` (through {@link failChannel}); a later `next()` rejects with
   * `reason` until `return()`.
   */
  #fail(reason: unknown): void {
    if (this.#state >= CLOSED) return;
    this.#buffer.clear();
    if (this.#state === OPEN) {
      this.#close(reason, true);
    } else {
      this.#error = reason;
      this.#hasError = true;
      this.#drain();
    }
  }

  static #install(): void {
    failImplementation = (channel, reason) => channel.#fail(reason);
  }

  // Helpers.

  /** Delivers or buffers `value` if there is room; false when the buffer is full ('drop-oldest' always has room). */
  #offer(value: T): boolean {
    const readers = this.#readers;
    if (readers.size > 0) {
      readers.shift().resolve({ value, done: false });
      return true;
    }
    const buffer = this.#buffer;
    if (buffer.size < this.#capacity) {
      buffer.push(value);
      return true;
    }
    if (this.#overflow === 'drop-oldest') {
      buffer.shift();
      buffer.push(value);
      return true;
    }
    return false;
  }

  /** Queues a sender behind a full buffer (policy 'wait'). */
  #wait(value: T, signal: AbortSignal | undefined): Promise<void> {
    const senders = this.#senders;
    if (senders.length >= MAX_PENDING) {
      return Promise.reject(new OverflowError(`More than ${MAX_PENDING} send() calls are waiting on the channel`));
    }
    const promise = newPromise<void>();
    const sender = new PendingSend<T>(value, lastResolve(), lastReject(), signal, senders);
    clearResolvers();
    senders.push(sender);
    // The record is the listener (`handleEvent`): no closure, so nothing of the
    // caller's scope is captured, and removing it needs no extra bookkeeping.
    if (signal !== undefined) signal.addEventListener('abort', sender, { once: true });
    return promise;
  }

  /** A value was taken from a full buffer: the oldest waiting sender's value takes its place. */
  #admitSender(): void {
    const sender = this.#senders.shift();
    this.#buffer.push(sender.value as T);
    sender.settle(false);
  }

  #rejectSenders(): void {
    const senders = this.#senders;
    while (senders.length > 0) senders.shift().settle(true, this.#closedError());
  }

  #closedError(): ClosedError {
    return this.#hasError
      ? new ClosedError('The channel is closed', { cause: this.#error })
      : new ClosedError('The channel is closed');
  }

  #overflowError(): OverflowError {
    return new OverflowError(`The channel is full (capacity ${this.#capacity})`);
  }
}

/**
 * @internal Not exported from the package: fails `channel` at once with
 * `reason` (buffer dropped, waiting and later `next()` calls reject with
 * `reason`, waiting sends reject with {@link ClosedError}). `on()` uses it for
 * aborts, which must not wait for the buffer to drain.
 */
export function failChannel<T>(channel: Channel<T>, reason: unknown): void {
  failImplementation(channel, reason);
}

const DONE: IteratorReturnResult<undefined> = /* @__PURE__ */ Object.freeze({ value: undefined, done: true });

// Shared by every send that needs no waiting: a settled promise holds no
// reactions, so handing the same one to every caller retains nothing.
const RESOLVED: Promise<void> = /* @__PURE__ */ Promise.resolve();


/** A waiting `next()`. */
class Reader<T> {
  constructor(
    readonly resolve: Resolve<IteratorResult<T, undefined>>,
    readonly reject: Reject,
  ) {}
}

/**
 * A waiting `send()`: a node of its queue's doubly linked list (an aborted
 * send leaves from the middle in O(1)) and its own abort listener. Settling
 * detaches the listener first, then clears every field, then calls the
 * resolving function, so the value is unreachable from the channel, the
 * signal and the record by the time user code runs.
 */
class PendingSend<T> {
  value: T | undefined;
  resolve: Resolve<undefined> | undefined;
  reject: Reject | undefined;
  signal: AbortSignal | undefined;
  queue: SendQueue<T> | undefined;
  prev: PendingSend<T> | undefined = undefined;
  next: PendingSend<T> | undefined = undefined;

  constructor(
    value: T,
    resolve: Resolve<undefined>,
    reject: Reject,
    signal: AbortSignal | undefined,
    queue: SendQueue<T>,
  ) {
    this.value = value;
    this.resolve = resolve;
    this.reject = reject;
    this.signal = signal;
    this.queue = queue;
  }

  /** The abort listener: withdraws the value and rejects with `signal.reason`. */
  handleEvent(): void {
    const queue = this.queue;
    if (queue === undefined) return;
    queue.remove(this);
    this.settle(true, this.signal!.reason);
  }

  /**
   * Resolves the send, or rejects it with `error` when `failed`. The record
   * must already be unlinked from its queue.
   */
  settle(failed: boolean, error?: unknown): void {
    const { resolve, reject, signal } = this;
    if (signal !== undefined) signal.removeEventListener('abort', this);
    this.value = this.resolve = this.reject = this.signal = this.queue = undefined;
    if (failed) reject!(error);
    else resolve!(undefined);
  }
}

/** FIFO of waiting sends with O(1) removal from the middle. */
class SendQueue<T> {
  #head: PendingSend<T> | undefined = undefined;
  #tail: PendingSend<T> | undefined = undefined;
  length = 0;

  push(node: PendingSend<T>): void {
    node.prev = this.#tail;
    if (this.#tail === undefined) this.#head = node;
    else this.#tail.next = node;
    this.#tail = node;
    this.length++;
  }

  /** Removes and returns the oldest node; the caller checks `length` first. */
  shift(): PendingSend<T> {
    const node = this.#head!;
    this.remove(node);
    return node;
  }

  remove(node: PendingSend<T>): void {
    const { prev, next } = node;
    if (prev === undefined) this.#head = next;
    else prev.next = next;
    if (next === undefined) this.#tail = prev;
    else next.prev = prev;
    node.prev = node.next = undefined;
    this.length--;
  }
}

// Rings start empty and share this never-written array: a channel whose
// waiter queues are never used allocates nothing for them. `push` always
// grows a full ring before writing, and a 0-length ring is always full.
const EMPTY: never[] = [];
const MIN_SHRINK_LENGTH = 16;

/**
 * A FIFO ring buffer over a power-of-two array that doubles when full and
 * halves when a quarter full (amortised O(1), memory proportional to what is
 * held, not to the capacity). Every slot is set to `undefined` as its value
 * leaves, so the ring never references a value it no longer holds.
 */
class Ring<T> {
  #items: Array<T | undefined> = EMPTY;
  #head = 0;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(value: T): void {
    let items = this.#items;
    if (this.#size === items.length) {
      this.#resize(items.length === 0 ? 4 : items.length * 2);
      items = this.#items;
    }
    items[(this.#head + this.#size) & (items.length - 1)] = value;
    this.#size++;
  }

  /** Removes and returns the oldest value; the caller checks `size` first. */
  shift(): T {
    const items = this.#items;
    const head = this.#head;
    const value = items[head] as T;
    items[head] = undefined;
    this.#head = (head + 1) & (items.length - 1);
    const size = --this.#size;
    if (items.length > MIN_SHRINK_LENGTH && size <= items.length >>> 2) this.#resize(items.length >>> 1);
    return value;
  }

  /** Drops every value (and the array that held them). */
  clear(): void {
    this.#items = EMPTY;
    this.#head = 0;
    this.#size = 0;
  }

  #resize(length: number): void {
    const items = this.#items;
    const mask = items.length - 1;
    // Filled by push so the array stays PACKED (no holes): faster element access.
    const next: Array<T | undefined> = [];
    for (let i = 0; i < length; i++) next.push(i < this.#size ? items[(this.#head + i) & mask] : undefined);
    this.#items = next;
    this.#head = 0;
  }
}
