// The iterator engine behind `abortableIterator` and `pump`: pulls a source
// one item at a time, settles waiting requests in order, and ends on done,
// source error, abort, `return()` and `throw()` through one release path.
//
// Leak: see abortable-iterator.ts (a race per item on a long-lived abort
// promise; a generator frame holding the last value; a `break` that never
// removes the abort listener or closes the source; a `return()` queued behind
// a hung `next()`).
//
// Invariant: `IteratorEngine` stores the resolving functions of waiting
// requests and never a value: each result goes from the source's promise (or
// a sync source's result) straight to the consumer. It subscribes to the
// signal on the first request, through the signal's shared abort hub
// (internal/abort-hub.ts), and `#close()` unsubscribes. Everything the source
// or the signal can reach of it (the hub subscription and the reactions on an
// in-flight pull) goes through one `Link`, whose `owner` `#close()` clears: a
// source that never settles pins a link of a few dozen bytes, not the engine,
// and nothing it delivers late is used or pulled for.
//
// The engine is the object `abortableIterator` returns (typed as
// `AbortableIterator`); pump drives one through the static `request`,
// `setAbortHook` and `close` below, which are plain methods of the class.
//
// Refs: issue 3; https://github.com/tc39/proposal-async-iteration/issues/126;
// https://tc39.es/ecma262/#sec-createasyncfromsynciterator and
// https://github.com/tc39/ecma262/pull/2600 (a sync iterator that yields a
// rejected promise is closed); repeaterjs/repeater (the 1024 pending-call cap).

import type { AbortableIterator } from '../abortable-iterator.js';
import { OverflowError } from '../errors.js';
import { type AbortHub, type AbortSubscriber, joinAbortHub, leaveAbortHub } from './abort-hub.js';
import { withResolvers } from './resolvers.js';
import { describeReceived, invalidArgType, invalidArgValue } from './validate.js';

/**
 * How many `next()` calls may wait at once. One more rejects with an
 * {@link OverflowError}: a consumer that calls `next()` in a loop without
 * awaiting is a bug, and an unbounded queue would hide it as a leak
 * (the same cap as Repeater's).
 */
export const MAX_PENDING_NEXT_CALLS = 1024;

export type Resolve = (value: IteratorResult<unknown>) => void;
export type Reject = (reason: unknown) => void;
type AnyFunction = (...args: unknown[]) => unknown;

/** The source's iterator method, validated as GetIterator(async) does. */
export interface IteratorMethod {
  readonly method: AnyFunction;
  readonly sync: boolean;
}

/**
 * Reads `source[Symbol.asyncIterator]`, falling back to
 * `source[Symbol.iterator]`, and throws an `ERR_INVALID_ARG_TYPE` TypeError
 * naming `name` when neither is a method. Acquires nothing.
 */
export function iteratorMethod(source: unknown, name: string): IteratorMethod {
  if (source !== null && source !== undefined) {
    const asyncMethod: unknown = (source as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator];
    if (asyncMethod !== undefined && asyncMethod !== null) {
      if (typeof asyncMethod === 'function') return { method: asyncMethod as AnyFunction, sync: false };
    } else {
      const syncMethod: unknown = (source as { [Symbol.iterator]?: unknown })[Symbol.iterator];
      if (typeof syncMethod === 'function') return { method: syncMethod as AnyFunction, sync: true };
    }
  }
  throw invalidArgType(name, 'an async iterable or an iterable', source);
}

/** Acquires the iterator and builds the engine; arguments already validated. */
export function openIterator<T>(
  source: unknown,
  { method, sync }: IteratorMethod,
  signal: AbortSignal | undefined,
  onReturnError: ((error: unknown) => void) | undefined,
): IteratorEngine<T> {
  const iterator: unknown = method.call(source);
  if (iterator === null || (typeof iterator !== 'object' && typeof iterator !== 'function')) {
    throw invalidArgValue('source', `must return an iterator object from its iterator method`, iterator);
  }
  const next: unknown = (iterator as { next?: unknown }).next;
  if (typeof next !== 'function') {
    throw invalidArgValue('source', `must have an iterator with a next() method`, next);
  }
  return new IteratorEngine<T>(iterator, next as AnyFunction, sync, signal, onReturnError);
}

/** Created: the source's iterator is acquired but not pulled; nothing is attached to the signal. */
const INITIAL = 0;
/** Started by the first request: subscribed to the signal's abort hub (if there is a signal). */
const OPEN = 1;
/** Ended (done, source error, abort, `return()`, `throw()`): source and signal dropped. Terminal. */
const CLOSED = 2;

/**
 * The only object the outside world (the signal's abort hub, reactions on a
 * pending pull, a sync source's pending promise value) can reach of an
 * engine. `#close()` sets `owner` to null: a late delivery is dropped, a late
 * abort does nothing, and a source that never settles pins only this.
 * Its functions are made by `IteratorEngine.#bind`, which captures nothing
 * but the link.
 */
class Link implements AbortSubscriber {
  owner: IteratorEngine<unknown> | null;
  /** Reactions of a pull made for a queued request. */
  fulfilled: (result: unknown) => void = ignore;
  rejected: (error: unknown) => void = ignore;
  /** Reactions of a direct pull, whose derived promise is the consumer's. */
  directFulfilled: (result: unknown) => unknown = ignore;
  directRejected: (error: unknown) => unknown = ignore;

  constructor(owner: IteratorEngine<unknown>) {
    this.owner = owner;
  }

  /** Called by the signal's shared abort hub (internal/abort-hub.ts). */
  abort(reason: unknown): void {
    const owner = this.owner;
    if (owner !== null) IteratorEngine.abort(owner, reason);
  }
}

/** The engine; users see it typed as {@link AbortableIterator}. */
export class IteratorEngine<T> implements AbortableIterator<T> {
  // Fixed at construction; all dropped by #close().
  #iterator: object | null;
  #nextMethod: AnyFunction | null;
  readonly #sync: boolean;
  #signal: AbortSignal | undefined;
  #onReturnError: ((error: unknown) => void) | undefined;
  readonly #link: Link;

  // Live state.
  #state = INITIAL;
  /** The signal's shared abort hub while we are subscribed to it. */
  #hub: AbortHub | null = null;
  /** A pull is in flight (its result will come through the link). */
  #pulling = false;
  /** Aborted while no request was waiting: the next request rejects with this. */
  #hasAbortReason = false;
  #abortReason: unknown = undefined;
  /** pump's: told of an abort before the waiting requests are rejected. */
  #abortHook: ((reason: unknown) => void) | null = null;

  // Waiting requests, oldest first. The head (the one the in-flight pull is
  // for) lives in two fields, so the usual single pending `next()` allocates no
  // array; more are kept as [resolve, reject, resolve, reject, ...], at most
  // 2 * (MAX_PENDING_NEXT_CALLS - 1) entries, and `shift()` keeps the array
  // no longer than what is live.
  #headResolve: Resolve | null = null;
  #headReject: Reject | null = null;
  #waiting: Array<Resolve | Reject> | null = null;

  constructor(
    iterator: object,
    nextMethod: AnyFunction,
    sync: boolean,
    signal: AbortSignal | undefined,
    onReturnError: ((error: unknown) => void) | undefined,
  ) {
    this.#iterator = iterator;
    this.#nextMethod = nextMethod;
    this.#sync = sync;
    this.#signal = signal;
    this.#onReturnError = onReturnError;
    const link = new Link(this as IteratorEngine<unknown>);
    IteratorEngine.#bind(link);
    this.#link = link;
  }

  // Made here, in the class body, so they may call private methods; they
  // capture `link` and nothing else.
  static #bind(link: Link): void {
    link.fulfilled = (result) => {
      const owner = link.owner;
      if (owner !== null) owner.#onAsyncResult(result);
    };
    link.rejected = (error) => {
      const owner = link.owner;
      if (owner !== null) owner.#fail(error, false);
    };
    link.directFulfilled = (result) => {
      const owner = link.owner;
      // Closed while this pull was in flight: the item is dropped.
      return owner === null ? doneResult() : owner.#onDirectResult(result);
    };
    link.directRejected = (error) => {
      const owner = link.owner;
      if (owner === null) return doneResult();
      owner.#pulling = false;
      owner.#close(false);
      throw error;
    };
  }

  /**
   * Queues a request for the next item, exactly like `next()` but settled
   * through `resolve`/`reject` without a promise of our own (pump's loop).
   * Both may be called synchronously, from within this call.
   */
  static request(engine: IteratorEngine<unknown>, resolve: Resolve, reject: Reject): void {
    engine.#request(resolve, reject);
  }

  /**
   * Registers `hook` to be called with the reason when the signal aborts the
   * iteration, before the waiting requests are rejected. Dropped on close.
   */
  static setAbortHook(engine: IteratorEngine<unknown>, hook: (reason: unknown) => void): void {
    if (engine.#state !== CLOSED) engine.#abortHook = hook;
  }

  /** Closes as `return()` does (the source's `return()` once, at most), without a promise. */
  static close(engine: IteratorEngine<unknown>): void {
    engine.#clearAbortReason();
    engine.#close(true);
  }

  /** The signal aborted (called by the link, which the abort hub holds). */
  static abort(engine: IteratorEngine<unknown>, reason: unknown): void {
    engine.#abort(reason);
  }

  next(): Promise<IteratorResult<T>> {
    // Fast path, without a signal (nothing can abort a pull) and with no pull
    // in flight: the consumer's promise is the one `then` derives anyway, so
    // an item costs no promise of ours.
    if (this.#signal === undefined && !this.#pulling && !this.#sync && this.#state !== CLOSED) {
      this.#state = OPEN;
      return this.#pullDirect() as Promise<IteratorResult<T>>;
    }
    const { promise, resolve, reject } = withResolvers<IteratorResult<T>>();
    this.#request(resolve as Resolve, reject);
    return promise;
  }

  async return(value?: unknown): Promise<IteratorResult<T>> {
    this.#clearAbortReason();
    this.#close(true);
    return { value: (await value) as never, done: true };
  }

  async throw(error?: unknown): Promise<IteratorResult<T>> {
    this.#clearAbortReason();
    this.#close(true);
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }

  #request(resolve: Resolve, reject: Reject): void {
    if (this.#state !== OPEN && !this.#start(resolve, reject)) return;
    if (this.#headResolve === null) {
      this.#headResolve = resolve;
      this.#headReject = reject;
    } else {
      const waiting = (this.#waiting ??= []);
      if (waiting.length >= 2 * (MAX_PENDING_NEXT_CALLS - 1)) {
        reject(
          new OverflowError(
            `Too many pending next() calls: at most ${MAX_PENDING_NEXT_CALLS} may wait at once; await each one`,
          ),
        );
        return;
      }
      waiting.push(resolve, reject);
    }
    if (!this.#pulling) this.#pull();
  }

  // The slow path of #request: returns true once the iteration is open.
  #start(resolve: Resolve, reject: Reject): boolean {
    if (this.#state === CLOSED) {
      if (this.#hasAbortReason) {
        const reason = this.#abortReason;
        this.#clearAbortReason();
        reject(reason);
      } else {
        resolve({ value: undefined, done: true });
      }
      return false;
    }
    const signal = this.#signal;
    if (signal !== undefined) {
      if (signal.aborted) {
        // Attach nothing, pull nothing: reject this request, close the source.
        this.#state = OPEN;
        this.#headResolve = resolve;
        this.#headReject = reject;
        this.#abort(signal.reason);
        return false;
      }
      try {
        this.#hub = joinAbortHub(signal, this.#link);
      } catch (error) {
        // A duck-typed signal whose addEventListener threw: the hub attached
        // nothing. The iteration cannot be made abortable, so it ends: the
        // source is closed and this request rejects with the error.
        this.#state = OPEN;
        this.#close(true);
        reject(error);
        return false;
      }
    }
    this.#state = OPEN;
    return true;
  }

  #pull(): void {
    const signal = this.#signal;
    // The hub closes us on abort; this covers code that runs during the abort
    // event before the hub's listener (an earlier listener calling next()).
    if (signal !== undefined && signal.aborted) {
      this.#abort(signal.reason);
      return;
    }
    this.#pulling = true;
    if (this.#sync) {
      this.#pullSync();
      return;
    }
    const link = this.#link;
    try {
      // Adopt the result as `await` does: a non-promise counts as settled.
      Promise.resolve(this.#nextMethod!.call(this.#iterator)).then(link.fulfilled, link.rejected);
    } catch (error) {
      if (this.#state === OPEN) this.#fail(error, false);
    }
  }

  #pullDirect(): Promise<IteratorResult<unknown>> {
    this.#pulling = true;
    const link = this.#link;
    try {
      return Promise.resolve(this.#nextMethod!.call(this.#iterator)).then(
        link.directFulfilled,
        link.directRejected,
      ) as Promise<IteratorResult<unknown>>;
    } catch (error) {
      if (this.#state === OPEN) {
        this.#pulling = false;
        this.#close(false);
      }
      return Promise.reject(error);
    }
  }

  #onDirectResult(result: unknown): IteratorResult<unknown> {
    this.#pulling = false;
    let done: boolean;
    try {
      if (!isObject(result)) throw notAnObject(result);
      done = Boolean((result as IteratorResult<unknown>).done);
    } catch (error) {
      this.#close(false);
      throw error;
    }
    if (done) this.#close(false);
    // Requests queued behind this pull (concurrent next() calls).
    else if (this.#headResolve !== null) this.#pull();
    return result as IteratorResult<unknown>;
  }

  // One step of CreateAsyncFromSyncIterator's next(), without its promises
  // when the value is not a thenable. As there, the consumer gets a result
  // object of ours: a source that reuses one result object for every step
  // must not overwrite a value the consumer has not read yet.
  #pullSync(): void {
    let result: unknown;
    try {
      result = this.#nextMethod!.call(this.#iterator);
    } catch (error) {
      if (this.#state === OPEN) this.#fail(error, false);
      return;
    }
    // Closed from inside the source's next() (a re-entrant return() or abort).
    if (this.#state !== OPEN) return;
    if (!isObject(result)) {
      this.#fail(notAnObject(result), false);
      return;
    }
    let done: boolean;
    let value: unknown;
    try {
      done = Boolean((result as IteratorResult<unknown>).done);
      value = (result as IteratorResult<unknown>).value;
    } catch (error) {
      this.#fail(error, false);
      return;
    }
    if (isObject(value)) {
      let then: unknown;
      try {
        then = (value as PromiseLike<unknown>).then;
      } catch (error) {
        // PromiseResolve(value) threw: close unless done, as for a rejection.
        this.#fail(error, !done);
        return;
      }
      if (typeof then === 'function') {
        IteratorEngine.#adopt(this.#link, value, then as AnyFunction, done);
        return;
      }
    }
    this.#deliver({ value, done } as IteratorResult<unknown>, done);
  }

  // A sync source yielded a thenable: wait for it as `for await` does. The
  // reactions reach the engine only through the link, and hold `done`, never
  // the value's eventual outcome beyond the call.
  static #adopt(link: Link, value: unknown, then: AnyFunction, done: boolean): void {
    const promise = promiseFromThenable(value, then);
    promise.then(
      (awaited) => {
        const owner = link.owner;
        if (owner !== null) owner.#deliver({ value: awaited, done } as IteratorResult<unknown>, done);
      },
      (error: unknown) => {
        const owner = link.owner;
        if (owner !== null) owner.#fail(error, !done);
      },
    );
  }

  #onAsyncResult(result: unknown): void {
    if (!isObject(result)) {
      this.#fail(notAnObject(result), false);
      return;
    }
    let done: boolean;
    try {
      done = Boolean((result as IteratorResult<unknown>).done);
    } catch (error) {
      this.#fail(error, false);
      return;
    }
    this.#deliver(result as IteratorResult<unknown>, done);
  }

  #deliver(result: IteratorResult<unknown>, done: boolean): void {
    const resolve = this.#headResolve!;
    this.#shift();
    this.#pulling = false;
    // Done: close (the source has finished: no return()) before settling, so
    // the consumer's reaction finds us released.
    if (done) this.#close(false);
    resolve(result);
    // Serve the next waiting request, unless one arrived during resolve() and
    // already started a pull, or resolve() closed us.
    if (this.#headResolve !== null && !this.#pulling && this.#state === OPEN) this.#pull();
  }

  // The source failed (its next() threw or rejected, or a sync source's value
  // rejected): reject the head, close the rest. `closeSource` is true only for
  // the rejected value of a sync source, which CreateAsyncFromSyncIterator closes.
  #fail(error: unknown, closeSource: boolean): void {
    const reject = this.#headReject!;
    this.#shift();
    this.#pulling = false;
    this.#close(closeSource);
    reject(error);
  }

  #abort(reason: unknown): void {
    if (this.#state === CLOSED) return;
    const hook = this.#abortHook;
    const headReject = this.#headReject;
    const waiting = this.#waiting;
    this.#headResolve = this.#headReject = null;
    this.#waiting = null;
    if (headReject === null) {
      // Nobody is waiting: the next request gets the reason.
      this.#hasAbortReason = true;
      this.#abortReason = reason;
    }
    this.#close(true);
    if (hook !== null) hook(reason);
    if (headReject !== null) headReject(reason);
    if (waiting !== null) {
      for (let i = 1; i < waiting.length; i += 2) (waiting[i] as Reject)(reason);
    }
  }

  // The one release path. Idempotent.
  #close(callReturn: boolean): void {
    if (this.#state === CLOSED) return;
    this.#state = CLOSED;
    this.#pulling = false;
    this.#link.owner = null;
    const hub = this.#hub;
    if (hub !== null) {
      this.#hub = null;
      leaveAbortHub(hub, this.#link);
    }
    const iterator = this.#iterator!;
    const onReturnError = this.#onReturnError;
    this.#iterator = this.#nextMethod = null;
    this.#signal = this.#onReturnError = undefined;
    this.#abortHook = null;
    const headResolve = this.#headResolve;
    const waiting = this.#waiting;
    this.#headResolve = this.#headReject = null;
    this.#waiting = null;
    if (callReturn) closeSource(iterator, this.#sync, onReturnError);
    if (headResolve !== null) headResolve({ value: undefined, done: true });
    if (waiting !== null) {
      for (let i = 0; i < waiting.length; i += 2) (waiting[i] as Resolve)({ value: undefined, done: true });
    }
  }

  #shift(): void {
    const waiting = this.#waiting;
    if (waiting === null || waiting.length === 0) {
      this.#headResolve = this.#headReject = null;
    } else {
      this.#headResolve = waiting.shift() as Resolve;
      this.#headReject = waiting.shift() as Reject;
    }
  }

  #clearAbortReason(): void {
    this.#hasAbortReason = false;
    this.#abortReason = undefined;
  }
}

function doneResult(): IteratorResult<unknown> {
  return { value: undefined, done: true };
}

function isObject(value: unknown): value is object {
  return value !== null && (typeof value === 'object' || typeof value === 'function');
}

function notAnObject(result: unknown): TypeError {
  return new TypeError(`Iterator result ${describeReceived(result)} is not an object`);
}

// PromiseResolve for a thenable, in a helper of its own so that the executor
// captures the thenable and its `then`, nothing of the engine.
function promiseFromThenable(value: unknown, then: AnyFunction): Promise<unknown> {
  return new Promise((resolve, reject) => {
    then.call(value, resolve, reject);
  });
}

// IteratorClose / AsyncIteratorClose without awaiting: call `return()` once,
// report anything that goes wrong to `onReturnError` from a microtask (never
// synchronously, so a throwing handler cannot break our state).
function closeSource(iterator: object, sync: boolean, onReturnError: ((error: unknown) => void) | undefined): void {
  let result: unknown;
  try {
    const method: unknown = (iterator as { return?: unknown }).return;
    if (method === undefined || method === null) return;
    if (typeof method !== 'function') {
      throw new TypeError(`The source iterator's return property is not a method: ${describeReceived(method)}`);
    }
    result = method.call(iterator);
  } catch (error) {
    if (onReturnError !== undefined) queueMicrotask(() => onReturnError(error));
    return;
  }
  if (sync) {
    if (!isObject(result) && onReturnError !== undefined) {
      const error = notAnObject(result);
      queueMicrotask(() => onReturnError(error));
    }
    return;
  }
  let promise: Promise<unknown>;
  try {
    promise = Promise.resolve(result);
  } catch (error) {
    if (onReturnError !== undefined) queueMicrotask(() => onReturnError(error));
    return;
  }
  if (onReturnError === undefined) promise.then(undefined, ignore);
  else promise.then(returnResultChecker(onReturnError), onReturnError);
}

function returnResultChecker(onReturnError: (error: unknown) => void): (result: unknown) => void {
  return (result) => {
    if (!isObject(result)) onReturnError(notAnObject(result));
  };
}

function ignore(): void {}
