// `memoizeAsync`: bounded memoization of async functions of one key, with
// shared in-flight calls and per-caller abort.
//
// Leak: p-memoize and memoize keep every settled promise in an unbounded Map;
// async memoizers that honour an AbortSignal (lru-cache's `fetch`) leave a
// listener on the caller's signal for every call that resolves, and one
// caller's abort rejects every caller sharing the fetch. A memoizer that
// guesses which argument is the options object from `fn.length` caches wrong
// results when a key is an object (a URL taken for `{ signal }`).
//
// Invariant: the memoized function takes exactly `(key, options?)`, whatever
// `fn` declares. Fulfilled values live in an `LRU` with a finite default bound
// (1,000). One in-flight call per key is subscribed to once
// (internal/contender-registry.ts); each caller is a subscriber that detaches
// from it, and from its own signal's abort hub (internal/abort-hub.ts: one
// native listener per signal however many callers wait on it), on settle or
// abort, so nothing a caller passed in outlives its call, and nothing but the
// waiting callers keeps the shared call's signal from aborting.
//
// Refs: leakproof issue 4 (section 3) and issue 8 (items 2, 3); lru-cache 11
// `fetch(key, { signal })` and DataLoader `load(key)` (one key per call).

import { type AbortHub, type AbortSubscriber, joinAbortHub, leaveAbortHub, reportError } from './internal/abort-hub.js';
import { type Contender, type Subscriber, subscribe } from './internal/contender-registry.js';
import {
  attachMethods,
  createLRU,
  type MemoizeCore,
  type MemoizeStats,
  readCacheOptions,
  store,
  unstore,
  validateMemoizeOptions,
} from './internal/memo-cache.js';
import { withResolvers } from './internal/resolvers.js';
import {
  type CodedTypeError,
  invalidArgType,
  isAbortSignal,
  validateFunction,
  validateOptionsBag,
} from './internal/validate.js';
import type { LRU } from './lru.js';

/** The context {@link memoizeAsync} passes to the underlying function as its second argument. */
export interface MemoizeAsyncContext {
  /**
   * Aborts when every caller waiting on this call has aborted (with the last
   * one's reason). Pass it on to the work so abandoned work stops.
   */
  readonly signal: AbortSignal;
}

/** The per-call options a function returned by {@link memoizeAsync} accepts after its key. */
export interface MemoizeAsyncCallOptions {
  /** Aborting it rejects this call (with `signal.reason`); other callers are not affected. */
  signal?: AbortSignal | undefined;
}

/** Options of {@link memoizeAsync}. */
export interface MemoizeAsyncOptions<K = unknown> {
  /** The most fulfilled values kept; the least recently used is dropped first. @default 1000 */
  max?: number;
  /** Milliseconds a fulfilled value stays cached, counted from fulfilment. @default no expiry */
  ttl?: number;
  /**
   * Maps a call's key to the cache key, compared by SameValueZero (like a
   * `Map` key), never stringified. Use it for keys that are compared by
   * content: an array of several values (`key: ([a, b]) => `${a}:${b}``), a
   * URL (`key: (url) => url.href`). By default the key itself is the cache
   * key, so objects are compared by identity.
   */
  key?: (key: K) => unknown;
}

/** Counters of a function returned by {@link memoizeAsync}. */
export interface MemoizeAsyncStats extends MemoizeStats {
  /** Calls in flight (each shared by one or more callers). */
  readonly pending: number;
}

/** The arguments of a memoized async function: the key (optional when it may be `undefined`), then options. */
export type MemoizeAsyncArgs<K> = undefined extends K
  ? [key?: K, options?: MemoizeAsyncCallOptions]
  : [key: K, options?: MemoizeAsyncCallOptions];

/** What {@link memoizeAsync} returns. */
export interface MemoizedAsync<K, R, This = unknown> {
  (this: This, ...args: MemoizeAsyncArgs<K>): Promise<R>;
  /** Drops every cached value and detaches in-flight calls (their callers still get the result, which is not cached). */
  clear(): void;
  /** Drops the cached value and detaches the in-flight call for this key; true if there was either. */
  delete(...args: undefined extends K ? [key?: K] : [key: K]): boolean;
  /** Whether a fulfilled, unexpired value is cached for this key; does not touch recency. */
  has(...args: undefined extends K ? [key?: K] : [key: K]): boolean;
  /** Hit, miss and in-flight counts and the cache size (a fresh snapshot on each read). */
  readonly stats: MemoizeAsyncStats;
}

/**
 * Memoizes an async function of one key: concurrent calls with the same key
 * share one in-flight call, fulfilled values are cached in a bounded LRU, and
 * each caller can abort on its own.
 *
 * The memoized function takes exactly `(key, options?)`, like lru-cache's
 * `fetch(key, { signal })` and DataLoader's `load(key)`, whatever `fn`
 * declares: `fn` is called as `fn(key, { signal })`, so `async (id) =>
 * fetchUser(id)` works as it is and a URL, Date, array, plain object or Map is
 * always a key, never taken for options. The key is compared by SameValueZero
 * (objects by identity), never stringified; pass `options.key` to map it to a
 * cache key, e.g. for several values passed as one array key:
 * `memoizeAsync(([a, b]) => load(a, b), { key: ([a, b]) => `${a}:${b}` })`,
 * called as `f([a, b])`. `this` is passed through to `fn` (a shared call gets
 * its first caller's) and is not part of the key. The returned function has
 * `fn`'s `name`, and `length` 1 (its own key parameter).
 *
 * Guarantees:
 * - Concurrent calls for one key run `fn` once; fulfilled values are cached
 *   (TTL counted from fulfilment); rejections and aborted calls never are.
 * - A caller's abort rejects only that caller, with its `signal.reason`. The
 *   signal `fn` receives aborts only once every caller waiting on the call has
 *   aborted; the call is then forgotten, so the next caller starts afresh.
 * - Callers subscribe to their signal through leakproof's shared abort hub:
 *   one native listener per signal however many callers wait on it (10,000
 *   callers on one signal: one listener, no MaxListenersExceededWarning), and
 *   none once their calls have settled or aborted. A synthetic `abort` event
 *   on a live signal is ignored. An already-aborted signal rejects at once,
 *   attaches nothing and neither starts nor joins a call. The in-flight
 *   promise carries one reaction however many callers wait on it; a caller
 *   that leaves is unreachable from it.
 * - `delete`/`clear` while a call is in flight do not affect its callers; they
 *   still get its result, which is not cached (the next caller starts anew).
 *
 * Does not: stop the underlying work by itself (pass the context `signal` on),
 * cache rejections, hold keys weakly, compare keys by content (use `key`), or
 * count in-flight calls against `max` (their number is bounded by the calls
 * waiting on them).
 *
 * @param fn `(key, { signal }) => value | Promise<value>`.
 * @param options `max`, `ttl`, `key`.
 * @returns `(key, { signal }?) => Promise<value>`, plus `clear()`,
 * `delete(key)`, `has(key)` and `stats`. A call rejects with a `TypeError`
 * when it has more than two arguments (`ERR_INVALID_ARG_VALUE`: pass several
 * values as one key), its second argument is not an options object
 * (`ERR_INVALID_ARG_TYPE`; a positional signal is told to be `{ signal }`), its
 * options carry anything but `signal` (`ERR_INVALID_ARG_VALUE`) or `signal` is
 * not an AbortSignal (`ERR_INVALID_ARG_TYPE`); `fn` is then not called.
 * @throws {TypeError} `ERR_INVALID_ARG_TYPE` when `fn` or `options.key` is not
 * a function, or an option has the wrong type; `ERR_INVALID_ARG_VALUE` for an
 * unknown option, naming the one to use (`cacheKey` → `key`, `maxAge` →
 * `ttl`).
 * @throws {RangeError} `ERR_OUT_OF_RANGE` when `options.max` is not a positive
 * integer or `Infinity`, or `options.ttl` is not a positive number.
 *
 * @example
 * ```ts
 * import { memoizeAsync } from 'leakproof';
 *
 * const getUser = memoizeAsync((id: string, { signal }) => fetchUser(id, { signal }), {
 *   max: 1000,
 *   ttl: 60_000,
 * });
 * // Two requests for the same user share one fetch; either may give up alone.
 * const user = await getUser(id, { signal: request.signal });
 * const again = await getUser(id); // cached
 * ```
 */
export function memoizeAsync<K, R, This = unknown>(
  fn: (this: This, key: K, context: MemoizeAsyncContext) => R,
  options?: MemoizeAsyncOptions<K>,
): MemoizedAsync<K, Awaited<R>, This> {
  validateFunction(fn, 'fn');
  validateMemoizeOptions(options, MEMOIZE_ASYNC_OPTIONS);
  const { max, ttl, key } = readCacheOptions(options);
  const memo = new AsyncMemo(fn as (key: unknown, context: MemoizeAsyncContext) => unknown, key, max, ttl);
  return attachMethods(asyncMemoized(memo), memo, fn.name, 1) as unknown as MemoizedAsync<K, Awaited<R>, This>;
}

const MEMOIZE_ASYNC_OPTIONS = ['max', 'ttl', 'key'] as const;

// Made in a scope of its own that holds only the memo.
function asyncMemoized(memo: AsyncMemo): (this: unknown, key: unknown) => Promise<unknown> {
  return function memoized(this: unknown, key: unknown): Promise<unknown> {
    return memo.call(this, key, arguments);
  };
}

class AsyncMemo implements MemoizeCore {
  hits = 0;
  misses = 0;
  readonly fn: (key: unknown, context: MemoizeAsyncContext) => unknown;
  readonly key: ((key: unknown) => unknown) | undefined;
  readonly lru: LRU<unknown, unknown>;
  /** In-flight calls by cache key. */
  readonly flights = new Map<unknown, Flight>();

  constructor(
    fn: (key: unknown, context: MemoizeAsyncContext) => unknown,
    key: ((...args: never[]) => unknown) | undefined,
    max: number,
    ttl: number | undefined,
  ) {
    this.fn = fn;
    this.key = key as ((key: unknown) => unknown) | undefined;
    this.lru = createLRU(max, ttl, undefined);
  }

  call(thisArg: unknown, key: unknown, args: IArguments): Promise<unknown> {
    let signal: AbortSignal | undefined;
    let cacheKey: unknown;
    try {
      if (args.length > 1) signal = readCallOptions(args);
      if (signal?.aborted) return Promise.reject(signal.reason);
      cacheKey = this.#cacheKey(key);
    } catch (error) {
      return Promise.reject(error);
    }
    const hit = this.lru.get(cacheKey);
    if (hit !== undefined) {
      this.hits++;
      return Promise.resolve(unstore(hit));
    }
    const flight = this.flights.get(cacheKey);
    if (flight !== undefined) {
      this.hits++;
      return flight.join(signal);
    }
    this.misses++;
    return this.#start(thisArg, key, cacheKey, signal);
  }

  #cacheKey(key: unknown): unknown {
    return this.key === undefined ? key : this.key(key);
  }

  #start(thisArg: unknown, key: unknown, cacheKey: unknown, signal: AbortSignal | undefined): Promise<unknown> {
    const controller = new AbortController();
    let result: unknown;
    try {
      result = Reflect.apply(this.fn, thisArg, [key, { signal: controller.signal } satisfies MemoizeAsyncContext]);
    } catch (error) {
      // A synchronous throw is that caller's alone: nothing to share or cache.
      return Promise.reject(error);
    }
    const promise = Promise.resolve(result);
    const flight = new Flight(this, cacheKey, controller);
    // Our own record (not shared): one reaction on the promise for the whole
    // call; the flight is its first subscriber, so it caches the value before
    // any caller's promise resolves.
    flight.record = subscribe(promise, flight, false);
    this.flights.set(cacheKey, flight);
    return flight.join(signal);
  }

  /** Forgets `flight` (settled, abandoned, deleted or cleared); idempotent. */
  detach(flight: Flight): void {
    if (flight.memo === null) return;
    flight.memo = null;
    const key = flight.key;
    flight.key = undefined;
    if (this.flights.get(key) === flight) this.flights.delete(key);
  }

  fulfilled(flight: Flight, value: unknown): void {
    this.lru.set(flight.key, store(value));
    this.detach(flight);
  }

  delete(args: ArrayLike<unknown>): boolean {
    const key = this.#cacheKey(args[0]);
    const flight = this.flights.get(key);
    if (flight !== undefined) this.detach(flight);
    return this.lru.delete(key) || flight !== undefined;
  }

  has(args: ArrayLike<unknown>): boolean {
    return this.lru.has(this.#cacheKey(args[0]));
  }

  clear(): void {
    for (const flight of [...this.flights.values()]) this.detach(flight);
    this.lru.clear();
  }

  stats(): MemoizeAsyncStats {
    return { hits: this.hits, misses: this.misses, size: this.lru.size, pending: this.flights.size };
  }
}

/** Validates the arguments after the key; returns the caller's signal. */
function readCallOptions(args: IArguments): AbortSignal | undefined {
  if (args.length > 2) throw tooManyArguments(args.length);
  const options: unknown = args[1];
  if (options === undefined) return undefined;
  if (options === null || (typeof options !== 'object' && typeof options !== 'function')) {
    // The habit this catches: `f(a, b)` with the memoizer of several arguments.
    throw invalidArgType('options', 'of type object (`{ signal }`); the key is one value: pass several as one key, `f([a, b])`, with `key: ([a, b]) => ...`', options);
  }
  validateOptionsBag(options, 'options', CALL_OPTIONS);
  const { signal } = options as MemoizeAsyncCallOptions;
  if (signal !== undefined && !isAbortSignal(signal)) {
    throw invalidArgType('options.signal', 'an instance of AbortSignal', signal);
  }
  return signal;
}

const CALL_OPTIONS = ['signal'] as const;

function tooManyArguments(received: number): CodedTypeError {
  const error = new TypeError(
    `A function memoized by memoizeAsync takes (key, options?). Received ${received} arguments: ` +
      'pass several values as one key, `f([a, b], { signal })`, with `key: ([a, b]) => ...` to compare them by content',
  ) as CodedTypeError;
  error.code = 'ERR_INVALID_ARG_VALUE';
  return error;
}

/**
 * One in-flight call of `fn`, shared by every caller with its key. It is the
 * first subscriber of its promise's record, so it settles before the callers.
 */
class Flight implements Subscriber {
  /** Null once detached: a detached flight's value is not cached. */
  memo: AsyncMemo | null;
  key: unknown;
  record: Contender | null = null;
  /** Callers still waiting; when the last one aborts, the call is aborted. */
  waiting = 0;
  #controller: AbortController | null;

  constructor(memo: AsyncMemo, key: unknown, controller: AbortController) {
    this.memo = memo;
    this.key = key;
    this.#controller = controller;
  }

  get done(): boolean {
    return this.#controller === null;
  }

  join(signal: AbortSignal | undefined): Promise<unknown> {
    const { promise, resolve, reject } = withResolvers<unknown>();
    const waiter = new Waiter(this, resolve, reject);
    this.waiting++;
    // The flight is in the cache only while its record is pending, so adding
    // directly (no marker job) is safe: the record's reaction will deliver.
    this.record!.add(waiter);
    // Checked on entry; only `fn` itself, run just now, can have aborted it.
    if (signal !== undefined) waiter.listen(signal);
    return promise;
  }

  /** A waiter aborted: it has already detached and rejected. */
  leave(waiter: Waiter, reason: unknown): void {
    this.record?.remove(waiter);
    if (--this.waiting > 0 || this.#controller === null) return;
    const controller = this.#controller;
    this.#settle();
    this.memo?.detach(this);
    // Last: `abort()` runs the user's listeners synchronously.
    controller.abort(reason);
  }

  fulfill(value: unknown): void {
    if (this.#controller === null) return;
    this.#settle();
    this.memo?.fulfilled(this, value);
  }

  reject(): void {
    if (this.#controller === null) return;
    this.#settle();
    this.memo?.detach(this);
  }

  #settle(): void {
    this.#controller = null;
    this.record = null;
  }
}

type Resolve = (value: unknown) => void;
type Reject = (reason: unknown) => void;

/**
 * One caller waiting on a flight, and its membership of its signal's abort
 * hub. It releases everything it holds before settling the caller's promise,
 * and settles it even if leaving the hub throws (a foreign signal's
 * `removeEventListener`).
 */
class Waiter implements Subscriber, AbortSubscriber {
  #flight: Flight | null;
  #hub: AbortHub | null = null;
  #resolve: Resolve | null;
  #reject: Reject | null;

  constructor(flight: Flight, resolve: Resolve, reject: Reject) {
    this.#flight = flight;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  get done(): boolean {
    return this.#resolve === null;
  }

  listen(signal: AbortSignal): void {
    if (signal.aborted) {
      this.abort(signal.reason);
      return;
    }
    try {
      this.#hub = joinAbortHub(signal, this);
    } catch (error) {
      // A foreign signal refused the listener: this caller cannot be
      // aborted, so it leaves now, with that error, like an abort.
      this.abort(error);
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

  /** The caller's signal aborted (the hub has already dropped this member). */
  abort(reason: unknown): void {
    const reject = this.#reject;
    if (reject === null) return;
    const flight = this.#flight!;
    this.#hub = null;
    this.#release();
    reject(reason);
    flight.leave(this, reason);
  }

  // The one release path: leave the hub and drop everything.
  #release(): void {
    this.#resolve = this.#reject = null;
    this.#flight = null;
    const hub = this.#hub;
    if (hub === null) return;
    this.#hub = null;
    try {
      leaveAbortHub(hub, this);
    } catch (error) {
      // The hub is consistent (the member is gone before the native call);
      // report the foreign signal's error without leaving the caller pending.
      reportError(error);
    }
  }
}
