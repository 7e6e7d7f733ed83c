// `Channel`: a bounded queue between producers and any number of consumers.
//
// Leak: the usual hand-written channel is an array that only grows. A producer
// that outpaces its consumer (or a consumer that stopped reading) grows it
// without bound; `queue[head++]` without clearing the slot keeps every
// consumed value; a "drop" policy written as `queue.shift()` on a huge array
// is O(n) per send. A waiting send or receive that a signal withdraws by
// marking it (rather than unlinking it) keeps its value, its promise and its
// signal until its turn comes, which may be never; an abort listener per
// waiter on a long-lived shutdown signal piles up. And a queue that is its own
// iterator lets one consumer's `break` end it for every other consumer.
//
// Invariant: at most `capacity` values are buffered, at most MAX_PENDING
// sends and MAX_PENDING receives wait, and every overflow is an error or a
// documented drop, never growth. A value leaves the channel the moment it is
// consumed, dropped or withdrawn: its ring slot is set to `undefined`, and a
// settled waiter is unlinked from its queue, leaves its signal's abort hub and
// clears its fields before its promise settles. Signals are only ever joined
// through the shared abort hub (one native listener per signal). Consumers are
// separate objects: the channel reaches a consumer only through a receive it
// is waiting on, and a consumer that detaches withdraws those and lets go of
// the channel, so neither keeps the other alive.
//
// Refs: issue 8 item 4; https://go.dev/ref/spec#Channel_types (Go channels:
// unbuffered channels are a rendezvous, close drains, receive on a closed
// channel reports "not ok", send on a closed channel is an error);
// repeaterjs/repeater (capped queues); https://streams.spec.whatwg.org/
// (a stored error is sticky).

import { joinAbortHub, leaveAbortHub, reportError, type AbortHub } from './internal/abort-hub.js';
import { withResolvers } from './internal/resolvers.js';
import { Ring } from './internal/ring.js';
import { ClosedError, OverflowError } from './errors.js';
import {
  invalidArgType,
  invalidArgValue,
  validateInteger,
  validateOneOf,
  validateOptionalAbortSignal,
  validateOptionsBag,
} from './internal/validate.js';

/**
 * What a full channel does with one more value. A rendezvous channel
 * (`capacity: 0`) is "full" whenever no receive is waiting.
 *
 * - `'wait'`: `send()` waits until a receiver makes room, or (capacity 0)
 *   takes the value (backpressure); `trySend()` returns `false`.
 * - `'drop-oldest'`: the oldest buffered value is dropped to make room. Not
 *   allowed with `capacity: 0`, where nothing is ever buffered.
 * - `'drop-newest'`: the value being sent is dropped; the buffer is unchanged.
 * - `'error'`: `send()` rejects and `trySend()` throws an {@link OverflowError}.
 */
export type ChannelOverflow = 'wait' | 'drop-oldest' | 'drop-newest' | 'error';

/** Options of {@link Channel}. */
export interface ChannelOptions {
  /**
   * How many values the channel buffers: a non-negative integer. Required, so
   * that an unbounded channel does not compile. `0` makes a rendezvous
   * channel (Go's unbuffered channel): a value passes straight from a
   * `send()` to a receiver, and a `send()` completes only when a receiver
   * has taken its value. Memory grows with the number of values actually
   * buffered (a ring that doubles and halves), not with `capacity`.
   */
  capacity: number;
  /**
   * What happens when the buffer is full; see {@link ChannelOverflow}.
   * @default 'wait'
   */
  overflow?: ChannelOverflow | undefined;
}

/** Options of {@link Channel.send}. */
export interface SendOptions {
  /**
   * Withdraws a waiting send: the value is removed from the channel and the
   * send rejects with `signal.reason`. An already-aborted signal rejects at
   * once and sends nothing. Only a `send()` that waits joins the signal (one
   * listener per signal for all of leakproof), and it leaves as soon as the
   * send settles.
   */
  signal?: AbortSignal | undefined;
}

/** Options of {@link Channel.receive}. */
export interface ReceiveOptions {
  /**
   * Withdraws a waiting receive: it takes no value and rejects with
   * `signal.reason`. An already-aborted signal rejects at once and takes
   * nothing, even when a value is buffered. Only a receive that waits joins
   * the signal, and it leaves as soon as the receive settles.
   */
  signal?: AbortSignal | undefined;
}

/**
 * One consumer of a {@link Channel}: what `channel[Symbol.asyncIterator]()`
 * (each `for await`) returns. It takes values from the channel's shared
 * queue; detaching it (`return()`, `throw()`, dispose – a `break`, `return`
 * or exception in a `for await` body) ends this consumer only.
 */
export interface ChannelConsumer<T> extends AsyncIterableIterator<T, undefined>, AsyncDisposable {
  /**
   * Takes the next value, as {@link Channel.receive} does; `{ done: true }`
   * once this consumer is detached.
   */
  next(): Promise<IteratorResult<T, undefined>>;
  /**
   * Detaches this consumer: its waiting `next()` calls resolve
   * `{ done: true }` without taking a value, and so does every later one. The
   * channel and its other consumers are unaffected. Idempotent.
   */
  return(): Promise<IteratorReturnResult<undefined>>;
  /**
   * As `return()`, but the promise rejects with `error` (typed as an iterator
   * result only because `for await` requires that of `throw()`).
   */
  throw(error?: unknown): Promise<IteratorResult<T, undefined>>;
  [Symbol.asyncIterator](): ChannelConsumer<T>;
}

/**
 * How many `send()` calls may wait at once on one channel, and how many
 * receives (`receive()` and consumers' `next()` together). One more rejects
 * with an {@link OverflowError}, as Repeater does at 1024: a queue of waiters
 * that grows without bound is the same leak as a buffer that does.
 */
const MAX_PENDING = 1024;

const OVERFLOWS: readonly ChannelOverflow[] = ['wait', 'drop-oldest', 'drop-newest', 'error'];

// Names users bring from other queues, and what to write instead.
const CHANNEL_OPTIONS = ['capacity', 'overflow'] as const;
const CHANNEL_HINTS: Readonly<Record<string, string>> = {
  size: 'capacity',
  max: 'capacity',
  maxSize: 'capacity',
  bufferSize: 'capacity',
  highWaterMark: 'capacity',
  policy: 'overflow',
  onOverflow: 'overflow',
  strategy: 'overflow',
};
const SIGNAL_OPTIONS = ['signal'] as const;
const SIGNAL_HINTS: Readonly<Record<string, string>> = { timeout: 'signal' };

// States, in order; a channel only ever moves forward.

/** Accepts values. */
const OPEN = 0;
/** `close()` was called: sends are refused, buffered values are still delivered. */
const CLOSING = 1;
/** Closed and drained: receives resolve done, or reject with the close error. */
const CLOSED = 2;
/** Disposed: the buffer and any close error were dropped; receives resolve done. */
const DISPOSED = 3;

type State = typeof OPEN | typeof CLOSING | typeof CLOSED | typeof DISPOSED;

type Resolve<T> = (value: T) => void;
type Reject = (reason: unknown) => void;

/**
 * A bounded async queue: producers `send()` values, consumers `receive()`
 * them or iterate the channel. Every value goes to exactly one receiver, in
 * the order it was accepted, and waiting receivers are served first come,
 * first served.
 *
 * Many consumers: each `for await (… of channel)` (each
 * `[Symbol.asyncIterator]()` call) is a consumer of its own. A `break`,
 * `return` or exception in its loop body detaches only that consumer; a
 * `next()` it was waiting on resolves done and takes nothing. The channel
 * ends only by `close()` (or dispose).
 *
 * Rendezvous: with `capacity: 0` nothing is buffered; a `send()` completes
 * when a receiver takes its value, as with Go's unbuffered channels.
 *
 * Closing: `close()` refuses further sends and rejects the waiting ones with
 * {@link ClosedError}; receivers still get every value already buffered, then
 * `{ done: true }` (Go's "not ok"), or, after `close(error)`, a rejection
 * with `error` – every later receive too, so that each consumer learns of the
 * failure. `[Symbol.asyncDispose]()` drops the buffered values instead.
 *
 * Guarantees: at most `capacity` values buffered, at most 1024 waiting
 * `send()`s and 1024 waiting receives (one more rejects with
 * {@link OverflowError}). A consumed, dropped or withdrawn value is no longer
 * referenced by the channel, nor is a detached consumer or a settled
 * receive's promise. Every waiting `send()` and receive settles when the
 * channel closes or is disposed. Waiting sends and receives
 * join their signal through leakproof's shared abort hub – one `abort`
 * listener per signal however many wait on it – and leave it when they
 * settle, however they settle. A synthetic `abort` event on a signal that is
 * not aborted withdraws nothing.
 *
 * Does not: preallocate `capacity` slots; deliver values to consumers that
 * never call `next()`; tell a `'drop-newest'` or `'drop-oldest'` `send()`
 * whether its value (or which value) was dropped (use `trySend()` to learn
 * the former); end when its last consumer detaches (call `close()`).
 *
 * @typeParam T The type of the values.
 *
 * @example
 * ```ts
 * import { Channel } from 'leakproof';
 *
 * const jobs = new Channel<string>({ capacity: 100 }); // overflow: 'wait'
 *
 * // Consumers: each job goes to exactly one worker.
 * const workers = [1, 2, 3].map(async (id) => {
 *   for await (const job of jobs) console.log(`worker ${id}: ${job}`);
 * });
 *
 * // Producer: waits while 100 jobs are buffered (backpressure), then closes.
 * for (const job of ['a', 'b', 'c', 'd']) await jobs.send(job);
 * jobs.close();
 * await Promise.all(workers); // every job done, every worker finished
 * ```
 */
export class Channel<T> implements AsyncIterable<T, undefined>, AsyncDisposable {
  readonly #core: ChannelCore<T>;

  /**
   * @param options `capacity` (required) and `overflow`.
   * @throws {TypeError} `ERR_INVALID_ARG_TYPE` when `options` is not an object
   * (a signal is told to go in `send()`/`receive()` options) or
   * `options.capacity` is not a number; `ERR_INVALID_ARG_VALUE` when
   * `options` has an unknown property (the nearest known one is named) or
   * `options.overflow` is not one of the policies, or is `'drop-oldest'` with
   * `capacity: 0`.
   * @throws {RangeError} `ERR_OUT_OF_RANGE` when `options.capacity` is not a
   * non-negative safe integer (negative, fractional, NaN or Infinity).
   */
  constructor(options: ChannelOptions) {
    if (options === undefined) throw invalidArgType('options', 'of type object', options);
    validateOptionsBag(options, 'options', CHANNEL_OPTIONS, CHANNEL_HINTS);
    const { capacity, overflow = 'wait' } = options;
    validateInteger(capacity, 'options.capacity', 0);
    validateOneOf(overflow, 'options.overflow', OVERFLOWS);
    if (capacity === 0 && overflow === 'drop-oldest') {
      throw invalidArgValue(
        'options.overflow',
        "must be 'wait', 'drop-newest' or 'error' when options.capacity is 0 (a rendezvous channel buffers nothing to drop)",
        overflow,
      );
    }
    this.#core = new ChannelCore<T>(capacity, overflow);
  }

  /** How many values are buffered (accepted, not yet received). Waiting sends are not counted. */
  get size(): number {
    return this.#core.buffer.size;
  }

  /** The `capacity` the channel was created with. */
  get capacity(): number {
    return this.#core.capacity;
  }

  /** Whether the channel refuses sends: after `close()` or dispose. */
  get closed(): boolean {
    return this.#core.state !== OPEN;
  }

  /**
   * Sends `value`: hands it to a waiting receiver, or buffers it, or applies
   * the overflow policy when the buffer is full.
   *
   * @param value The value to send.
   * @param options `signal` withdraws a waiting send.
   * @returns A promise that resolves once the value was accepted: at once
   * when a receiver was waiting or there was room; under `'wait'`, when a
   * receiver makes room (or, with capacity 0, takes the value); under
   * `'drop-newest'` even though the value was dropped. It rejects – it never
   * throws – with: a `TypeError` for bad options; `signal.reason` when the
   * signal is already aborted or aborts while the send waits (the value is
   * withdrawn); {@link ClosedError} when the channel is closed, or closes
   * while the send waits (its `cause` is the close error, if any);
   * {@link OverflowError} under `'error'` when the buffer is full, or under
   * `'wait'` when 1024 sends are already waiting.
   *
   * @example
   * ```ts
   * import { Channel } from 'leakproof';
   * const channel = new Channel<string>({ capacity: 1 });
   * await channel.send('a'); // buffered
   * // Rejects with a TimeoutError unless a receiver makes room within 100 ms:
   * await channel.send('b', { signal: AbortSignal.timeout(100) }).catch(() => {});
   * ```
   */
  send(value: T, options?: SendOptions): Promise<void> {
    let signal: AbortSignal | undefined;
    if (options !== undefined) {
      try {
        validateOptionsBag(options, 'options', SIGNAL_OPTIONS, SIGNAL_HINTS);
        signal = options.signal;
        validateOptionalAbortSignal(signal, 'options.signal');
      } catch (error) {
        return Promise.reject(error);
      }
      if (signal !== undefined && signal.aborted) return Promise.reject(signal.reason);
    }
    return this.#core.send(value, signal);
  }

  /**
   * Sends `value` if that needs no waiting: `send()` without the promise.
   *
   * @param value The value to send.
   * @returns `true` when the value was accepted (handed to a waiting
   * receiver or buffered; under `'drop-oldest'` a full buffer drops its
   * oldest value and accepts this one); `false` when the buffer is full (with
   * capacity 0: no receiver is waiting) and the policy is `'wait'` (the value
   * would have had to wait) or `'drop-newest'` (the value was dropped).
   * @throws {ClosedError} when the channel is closed (sending on a closed
   * channel is a bug, as in Go).
   * @throws {OverflowError} when the buffer is full and the policy is `'error'`.
   *
   * @example
   * ```ts
   * import { EventEmitter } from 'node:events';
   * import { Channel } from 'leakproof';
   * const emitter = new EventEmitter();
   * const updates = new Channel<string>({ capacity: 1, overflow: 'drop-oldest' });
   * emitter.on('status', (status: string) => updates.trySend(status)); // latest wins
   * ```
   */
  trySend(value: T): boolean {
    const core = this.#core;
    if (core.state !== OPEN) throw core.closedError();
    if (core.offer(value)) return true;
    if (core.overflow === 'error') throw core.overflowError();
    return false;
  }

  /**
   * Receives one value: at once from the buffer (or, with capacity 0, from a
   * waiting sender), or waits for a `send()`. Waiting receives (these and
   * consumers' `next()` calls) are served in the order they began.
   *
   * On a closed channel, receiving is not an error (as in Go, where receiving
   * from a closed, drained channel reports "not ok"): the buffered values
   * come first, then `{ done: true }`.
   *
   * @param options `signal` withdraws a waiting receive without taking a value.
   * @returns A promise for `{ value, done: false }`; `{ done: true }` once the
   * channel is closed and drained, or disposed. It rejects – it never throws
   * – with: a `TypeError` for bad options; `signal.reason` when the signal is
   * already aborted (nothing is taken, even if a value is buffered) or aborts
   * while the receive waits; the close error after `close(error)` once the
   * buffer is drained; an {@link OverflowError} when 1024 receives are
   * already waiting.
   *
   * @example
   * ```ts
   * import { Channel } from 'leakproof';
   * const replies = new Channel<string>({ capacity: 0 });
   * try {
   *   const reply = await replies.receive({ signal: AbortSignal.timeout(1000) });
   *   if (!reply.done) console.log(reply.value);
   * } catch {
   *   // Timed out: the receive was withdrawn, a later reply stays for someone else.
   * }
   * ```
   */
  receive(options?: ReceiveOptions): Promise<IteratorResult<T, undefined>> {
    let signal: AbortSignal | undefined;
    if (options !== undefined) {
      try {
        validateOptionsBag(options, 'options', SIGNAL_OPTIONS, SIGNAL_HINTS);
        signal = options.signal;
        validateOptionalAbortSignal(signal, 'options.signal');
      } catch (error) {
        return Promise.reject(error);
      }
      if (signal !== undefined && signal.aborted) return Promise.reject(signal.reason);
    }
    return this.#core.receive(undefined, signal);
  }

  /**
   * Closes the channel for senders. Idempotent: only the first call counts.
   *
   * Waiting sends reject with {@link ClosedError} (with `cause: error` when
   * `error` is given) and their values are released at once. Receivers still
   * get every buffered value; after that, receives resolve `{ done: true }`,
   * or, when `error` is not `undefined`, reject with `error` – every later
   * receive too, so that each of several consumers learns of the failure.
   *
   * @param error Why the channel closed; `undefined` means a normal end.
   *
   * @example
   * ```ts
   * import { Channel } from 'leakproof';
   * const channel = new Channel<number>({ capacity: 8 });
   * await channel.send(1);
   * channel.close(new Error('upstream failed'));
   * await channel.receive(); // { value: 1, done: false }
   * await channel.receive().catch((error) => error); // Error('upstream failed')
   * ```
   */
  close(error?: unknown): void {
    this.#core.close(error, error !== undefined);
  }

  /**
   * A new consumer of this channel: `for await (const value of channel)`
   * calls this, so every loop is a consumer of its own, and its `break`
   * detaches only itself.
   */
  [Symbol.asyncIterator](): ChannelConsumer<T> {
    return new Consumer<T>(this.#core);
  }

  /**
   * Ends the channel for everyone and drops what it holds: buffered values
   * are released, waiting sends reject with {@link ClosedError}, waiting and
   * later receives (of every consumer) resolve `{ done: true }`. A close
   * error not yet delivered is dropped too. Idempotent:
   * `await using channel = new Channel(...)` drops it all at scope exit.
   */
  [Symbol.asyncDispose](): Promise<void> {
    this.#core.dispose();
    return RESOLVED;
  }
}

const DONE: IteratorReturnResult<undefined> = /* @__PURE__ */ Object.freeze({ value: undefined, done: true });

// Shared by every send that needs no waiting: a settled promise holds no
// reactions, so handing the same one to every caller retains nothing.
const RESOLVED: Promise<void> = /* @__PURE__ */ Promise.resolve();

/**
 * The state and logic of one channel, shared by the `Channel` (producers'
 * side and `receive()`) and its consumers. Not exported: its members are
 * public only within this module.
 */
class ChannelCore<T> {
  // Fixed at construction.
  readonly capacity: number;
  readonly overflow: ChannelOverflow;

  // Live state.
  state: State = OPEN;
  /** Accepted values not yet received. Invariant: `receivers` is empty whenever this is not. */
  readonly buffer: Ring<T> = new Ring<T>();
  /** The close error, when `close(error)` gave one; dropped by dispose. */
  error: unknown = undefined;
  hasError = false;

  // Waiters, each queue capped at MAX_PENDING.
  /**
   * Sends waiting for room (policy 'wait'). Invariant: non-empty only while
   * OPEN and the buffer is full – with capacity 0, only while `receivers` is
   * empty.
   */
  readonly senders: WaitQueue<T> = new WaitQueue<T>();
  /** Receives waiting for a value. Invariant: non-empty only while OPEN and the buffer is empty. */
  readonly receivers: WaitQueue<T> = new WaitQueue<T>();

  constructor(capacity: number, overflow: ChannelOverflow) {
    this.capacity = capacity;
    this.overflow = overflow;
  }

  send(value: T, signal: AbortSignal | undefined): Promise<void> {
    if (this.state !== OPEN) return Promise.reject(this.closedError());
    if (this.offer(value)) return RESOLVED;
    switch (this.overflow) {
      case 'drop-newest':
        return RESOLVED;
      case 'error':
        return Promise.reject(this.overflowError());
      default:
        return this.#waitToSend(value, signal);
    }
  }

  /**
   * A receive for `owner` (a consumer, or `undefined` for `receive()`); the
   * signal, if any, is not aborted.
   */
  receive(owner: Consumer<T> | undefined, signal: AbortSignal | undefined): Promise<IteratorResult<T, undefined>> {
    if (this.buffer.size > 0 || this.senders.length > 0) return Promise.resolve({ value: this.#take(), done: false });
    switch (this.state) {
      case OPEN:
        return this.#waitToReceive(owner, signal);
      case CLOSED:
        return this.hasError ? Promise.reject(this.error) : Promise.resolve(DONE);
      default:
        return Promise.resolve(DONE);
    }
  }

  /** Delivers or buffers `value` if that needs no waiting; false when the buffer is full. OPEN only. */
  offer(value: T): boolean {
    const receivers = this.receivers;
    if (receivers.length > 0) {
      receivers.shift().settle({ value, done: false });
      return true;
    }
    const buffer = this.buffer;
    if (buffer.size < this.capacity) {
      buffer.push(value);
      return true;
    }
    if (this.overflow === 'drop-oldest') {
      buffer.shift();
      buffer.push(value);
      return true;
    }
    return false;
  }

  /** A consumer detached: its waiting receives resolve done and take nothing. */
  withdraw(owner: Consumer<T>): void {
    const receivers = this.receivers;
    // Unlink all of them first, then settle: settling may run a duck-typed
    // signal's removeEventListener, which must not find the list mid-walk.
    let mine: Array<Waiter<T>> | undefined;
    for (let node = receivers.head; node !== undefined; node = node.next) {
      if (node.owner === owner) (mine ??= []).push(node);
    }
    if (mine === undefined) return;
    for (const node of mine) receivers.remove(node);
    for (const node of mine) node.settle(DONE);
  }

  // Transitions. Each is idempotent and only moves the state forward.

  /** OPEN → CLOSING (or CLOSED when nothing is buffered): refuses sends, rejects waiting ones. */
  close(error: unknown, hasError: boolean): void {
    if (this.state !== OPEN) return;
    this.state = CLOSING;
    this.error = error;
    this.hasError = hasError;
    this.#rejectSenders();
    if (this.buffer.size === 0) this.#drain();
  }

  /** any → DISPOSED: drops the buffer and the close error; everything waiting settles. */
  dispose(): void {
    if (this.state === DISPOSED) return;
    this.state = DISPOSED;
    this.error = undefined;
    this.hasError = false;
    this.buffer.clear();
    this.#rejectSenders();
    const receivers = this.receivers;
    while (receivers.length > 0) receivers.shift().settle(DONE);
  }

  /**
   * CLOSING → CLOSED, when the last buffered value is taken: settles waiting
   * receives with done or the close error. Unlike dispose, the error stays.
   */
  #drain(): void {
    if (this.state !== CLOSING) return;
    this.state = CLOSED;
    const receivers = this.receivers;
    while (receivers.length > 0) {
      const receiver = receivers.shift();
      if (this.hasError) receiver.fail(this.error);
      else receiver.settle(DONE);
    }
  }

  // Helpers.

  /** Takes the oldest value; the caller checks that one is buffered or a sender waits. */
  #take(): T {
    const buffer = this.buffer;
    const senders = this.senders;
    if (buffer.size === 0) {
      // Capacity 0: the value passes from the oldest waiting sender.
      const sender = senders.shift();
      const value = sender.value as T;
      sender.settle(undefined);
      return value;
    }
    const value = buffer.shift();
    if (senders.length > 0) {
      // Room for the oldest waiting sender's value.
      const sender = senders.shift();
      buffer.push(sender.value as T);
      sender.settle(undefined);
    } else if (buffer.size === 0 && this.state === CLOSING) {
      this.#drain();
    }
    return value;
  }

  /** Queues a sender behind a full buffer (policy 'wait'). */
  #waitToSend(value: T, signal: AbortSignal | undefined): Promise<void> {
    const senders = this.senders;
    if (senders.length >= MAX_PENDING) {
      return Promise.reject(new OverflowError(`More than ${MAX_PENDING} send() calls are waiting on the channel`));
    }
    const { promise, resolve, reject } = withResolvers<void>();
    const sender = new Waiter<T>(value, undefined, resolve as Resolve<never>, reject);
    // Join before queueing: a duck-typed signal whose addEventListener throws
    // leaves nothing behind, and the send rejects with what it threw.
    if (signal !== undefined && !sender.join(signal)) return promise;
    senders.push(sender);
    return promise;
  }

  /** Queues a receive on an empty buffer. */
  #waitToReceive(owner: Consumer<T> | undefined, signal: AbortSignal | undefined): Promise<IteratorResult<T, undefined>> {
    const receivers = this.receivers;
    if (receivers.length >= MAX_PENDING) {
      return Promise.reject(new OverflowError(`More than ${MAX_PENDING} receives are waiting on the channel`));
    }
    const { promise, resolve, reject } = withResolvers<IteratorResult<T, undefined>>();
    const receiver = new Waiter<T>(undefined, owner, resolve as Resolve<never>, reject);
    if (signal !== undefined && !receiver.join(signal)) return promise;
    receivers.push(receiver);
    return promise;
  }

  #rejectSenders(): void {
    const senders = this.senders;
    while (senders.length > 0) senders.shift().fail(this.closedError());
  }

  closedError(): ClosedError {
    return this.hasError
      ? new ClosedError('The channel is closed', { cause: this.error })
      : new ClosedError('The channel is closed');
  }

  overflowError(): OverflowError {
    return new OverflowError(`The channel is full (capacity ${this.capacity})`);
  }
}

/**
 * A consumer: the iterator of one `for await`. It reaches the channel while
 * attached, and the channel reaches it only through a receive it waits on,
 * so a detached consumer is collectable while the channel lives, and the
 * reverse.
 */
class Consumer<T> implements ChannelConsumer<T> {
  #core: ChannelCore<T> | undefined;

  constructor(core: ChannelCore<T>) {
    this.#core = core;
  }

  next(): Promise<IteratorResult<T, undefined>> {
    const core = this.#core;
    return core === undefined ? Promise.resolve(DONE) : core.receive(this, undefined);
  }

  return(): Promise<IteratorReturnResult<undefined>> {
    this.#detach();
    return Promise.resolve(DONE);
  }

  throw(error?: unknown): Promise<IteratorResult<T, undefined>> {
    this.#detach();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.#detach();
    return RESOLVED;
  }

  #detach(): void {
    const core = this.#core;
    if (core === undefined) return;
    this.#core = undefined;
    core.withdraw(this);
  }
}

/**
 * A waiting `send()` (holding its value) or receive (holding the consumer
 * that waits, if any): a node of its queue's doubly linked list (a withdrawn
 * waiter leaves from the middle in O(1)) and a member of its signal's abort
 * hub. One class for both, so both queues stay monomorphic. Settling unlinks
 * it (the caller, or `abort`), clears every field, leaves the hub, then calls
 * the resolving function, so what it held is unreachable from the channel,
 * the signal and the record by the time user code runs.
 */
class Waiter<T> {
  /** A send's value; `undefined` for a receive. */
  value: T | undefined;
  /** The consumer whose `next()` this is; `undefined` for a send or `receive()`. */
  owner: Consumer<T> | undefined;
  resolve: Resolve<never> | undefined;
  reject: Reject | undefined;
  hub: AbortHub | undefined = undefined;
  queue: WaitQueue<T> | undefined = undefined;
  prev: Waiter<T> | undefined = undefined;
  next: Waiter<T> | undefined = undefined;

  constructor(value: T | undefined, owner: Consumer<T> | undefined, resolve: Resolve<never>, reject: Reject) {
    this.value = value;
    this.owner = owner;
    this.resolve = resolve;
    this.reject = reject;
  }

  /**
   * Joins `signal`'s abort hub; false (the waiter already rejected with the
   * error) when the signal's `addEventListener` threw.
   */
  join(signal: AbortSignal): boolean {
    try {
      this.hub = joinAbortHub(signal, this);
      return true;
    } catch (error) {
      this.fail(error);
      return false;
    }
  }

  /** Called by the hub when the signal aborts: withdraws the waiter. */
  abort(reason: unknown): void {
    const queue = this.queue;
    if (queue === undefined) return;
    queue.remove(this);
    this.fail(reason);
  }

  /** Resolves with `result` (a receive's result; `undefined` for a send). The waiter is already unlinked. */
  settle(result: unknown): void {
    const resolve = this.resolve as Resolve<unknown>;
    this.#release();
    resolve(result);
  }

  /** Rejects with `error`. The waiter is already unlinked (or was never queued). */
  fail(error: unknown): void {
    const reject = this.reject!;
    this.#release();
    reject(error);
  }

  #release(): void {
    const hub = this.hub;
    this.value = this.owner = this.resolve = this.reject = this.hub = undefined;
    if (hub === undefined) return;
    try {
      leaveAbortHub(hub, this);
    } catch (error) {
      // A duck-typed signal whose removeEventListener throws must not leave
      // this waiter (or, inside a loop, the ones after it) unsettled.
      reportError(error);
    }
  }
}

/** FIFO of waiters with O(1) removal from the middle. */
class WaitQueue<T> {
  head: Waiter<T> | undefined = undefined;
  #tail: Waiter<T> | undefined = undefined;
  length = 0;

  push(node: Waiter<T>): void {
    node.queue = this;
    node.prev = this.#tail;
    if (this.#tail === undefined) this.head = node;
    else this.#tail.next = node;
    this.#tail = node;
    this.length++;
  }

  /** Removes and returns the oldest node; the caller checks `length` first. */
  shift(): Waiter<T> {
    const node = this.head!;
    this.remove(node);
    return node;
  }

  remove(node: Waiter<T>): void {
    const { prev, next } = node;
    if (prev === undefined) this.head = next;
    else prev.next = next;
    if (next === undefined) this.#tail = prev;
    else next.prev = prev;
    node.prev = node.next = node.queue = undefined;
    this.length--;
  }
}
