// `LRU`: an exact least-recently-used cache with an optional size budget and
// TTL, bounded by construction and allocating only as it fills.
//
// Leak: the classic Node leak is a memo object that only grows. The bounded
// caches people reach for instead have leaks of their own: mnemonist's
// `delete`/`clear` leave the value in its slot; quick-lru and hashlru keep two
// generations, up to twice the limit; tiny-lru, hashlru and mnemonist's
// `LRUCache` turn object keys into strings, so distinct objects collide;
// lru-cache's `ttlAutopurge` arms one timer per entry, each closing over the
// cache, so a dropped cache lives until its last timer fires; and lru-cache
// preallocates `max` slots up front (a `max: 1e6` cache commits megabytes
// before its first entry).
//
// Invariant: an entry that leaves the cache (evicted, expired, deleted,
// overwritten or cleared) leaves nothing behind: its key and value slots are
// cleared in the same step that unlinks it, and the only place it may still be
// referenced is the eviction report queue, which is drained before the
// operation that removed it returns. The cache owns at most one timer, which
// reaches the cache only through a `WeakRef` and is cleared by a
// `FinalizationRegistry` when the cache is collected, so neither the timer nor
// the process keeps a dropped cache alive. Storage grows by doubling (capped
// at the bound), so construction is O(1) whatever `max` is.
//
// Refs: issue 4 §1; https://github.com/isaacs/node-lru-cache (layout: a Map
// from key to slot index plus parallel slot arrays with typed-array links);
// https://nodejs.org/api/timers.html#settimeoutcallback-delay-args (delays
// above 2^31-1 ms become 1 ms).

import { invalidArgType, outOfRange, validateOptionsBag } from './internal/validate.js';
import { emitWarning } from './internal/warn.js';

/**
 * Why an entry left the cache, as reported to {@link LRUOptions.onEvict}:
 * - `'evict'`: pushed out by `max` or `maxSize` (or too large to be stored);
 * - `'expire'`: its TTL passed;
 * - `'delete'`: removed by {@link LRU.delete};
 * - `'set'`: its value was replaced by `set()` with a different value;
 * - `'clear'`: removed by {@link LRU.clear} or `[Symbol.dispose]()`.
 */
export type EvictReason = 'evict' | 'expire' | 'delete' | 'set' | 'clear';

/** Options of {@link LRU}. */
export interface LRUOptions<K, V> {
  /**
   * The most entries the cache holds; a positive integer. Required, so that
   * an unbounded cache does not compile. `Infinity` is accepted only together
   * with `maxSize` (the size budget then bounds the cache: every entry has a
   * size of at least 1).
   */
  max: number;
  /**
   * A total size budget: the sum of `sizeOf(value, key)` over all entries
   * never exceeds it. A positive integer; requires `sizeOf`.
   * @default no size budget
   */
  maxSize?: number;
  /**
   * The size of one entry, a positive integer, called once per `set()`
   * before the cache changes. Required with `maxSize` and only allowed with
   * it. Any other result makes `set()` throw a `RangeError` and leaves the
   * cache unchanged.
   */
  sizeOf?: (value: V, key: K) => number;
  /**
   * Time to live in milliseconds, counted from `set()` (reads do not extend
   * it); a number > 0, `Infinity` for none. Can be overridden per entry with
   * `set(key, value, { ttl })`.
   * @default Infinity (no expiry)
   */
  ttl?: number;
  /**
   * Called exactly once for every entry that leaves the cache, with the
   * reason. It runs after the operation that removed the entry has finished
   * updating the cache, so it may call back into the cache freely; entries
   * removed by such calls are reported after it returns, in order. If it
   * throws, see `onError`.
   */
  onEvict?: (value: V, key: K, reason: EvictReason) => void;
  /**
   * Receives each error thrown by `onEvict`, instead of the error being
   * rethrown from the call that removed the entry; on the expiry timer, where
   * no call of yours removed it, this is where such an error goes. Without
   * `onError`, an `onEvict` error is rethrown from `get`/`set`/`delete`/...,
   * and on the timer it is reported as a process warning (`LeakproofWarning`,
   * code `LEAKPROOF_EVICT_ERROR`, the error's stack in its detail): never an
   * uncaught exception, so a throwing `onEvict` cannot crash the process from
   * a timer. An error thrown by `onError` itself takes the same route.
   * @default rethrow; a warning on the timer
   */
  onError?: (error: unknown) => void;
}

/** Options of {@link LRU.set}. */
export interface LRUSetOptions {
  /**
   * This entry's time to live in milliseconds (> 0, `Infinity` for none),
   * instead of the cache's `ttl`.
   */
  ttl?: number;
}

/**
 * No slot: the end of a list. Slot 0 is never handed out, so that 0 can mean
 * "none" in unsigned link arrays.
 */
const NIL = 0;
/** Not in the expiry heap. */
const NOT_IN_HEAP = -1;
/** The first allocation (slot 0 included); later ones double, up to the bound. */
const MIN_CAPACITY = 8;
/** Caches of at most this many slots link them with 16-bit indexes, as lru-cache does. */
const MAX_UINT16_SLOT = 0xffff;
/** setTimeout's largest delay; longer ones fire after 1 ms (nodejs timers docs). */
const MAX_TIMER_DELAY = 2_147_483_647; // 2 ** 31 - 1
/** Sizes above this need 64-bit size slots. */
const MAX_UINT32 = 4_294_967_295; // 2 ** 32 - 1

const EMPTY_LINKS = /* @__PURE__ */ new Int32Array(0);
const EMPTY_SHORT_LINKS = /* @__PURE__ */ new Uint16Array(0);
const EMPTY_TIMES = /* @__PURE__ */ new Float64Array(0);
const NO_REPORTS: unknown[] = [];

/**
 * The cache's one expiry timer, shared with the FinalizationRegistry below.
 * It holds no reference to the cache: the timer callback reaches the cache
 * through a WeakRef.
 */
interface ExpiryTimer {
  handle: ReturnType<typeof setTimeout> | undefined;
  /**
   * The expiry the armed timer is for (or when it fires, if its delay was
   * clamped), on the performance.now() clock; Infinity when none is armed.
   */
  at: number;
}

// Module-level, not per cache: a registry held only by a collected cache
// would be collected with it and never run its callback.
const timerRegistry = /* @__PURE__ */ new FinalizationRegistry<ExpiryTimer>(cancelTimer);

function cancelTimer(timer: ExpiryTimer): void {
  if (timer.handle !== undefined) clearTimeout(timer.handle);
  timer.handle = undefined;
  timer.at = Infinity;
}

/**
 * An exact least-recently-used cache: `get` and `set` make an entry the most
 * recent, and a full cache evicts its least recent entry. Keys are compared
 * like `Map` keys (SameValueZero): distinct objects never collide, `NaN` is a
 * key, `-0` and `+0` are the same key and `'__proto__'` is an ordinary key.
 *
 * Guarantees: the cache never holds more than `max` entries, nor (with
 * `maxSize`) more than `maxSize` in total size. An entry that leaves the cache
 * is unreachable from it before the call that removed it returns: its slots
 * are cleared at once, and `onEvict` is called exactly once for it. An entry
 * whose TTL has passed is never returned, counted or iterated: every method
 * first removes the entries that are due, and one `unref`ed timer for the
 * whole cache removes them when nobody is asking. That timer never keeps the
 * process alive, never keeps a dropped cache alive, and is cleared by
 * `clear()`, `[Symbol.dispose]()` or the cache's collection. Memory grows
 * with the entries held, not with `max`.
 *
 * Does not: refresh an entry's TTL on `get` (only `set` does); copy values;
 * fetch or load missing values (see `memoize`/`memoizeAsync`); hold keys
 * weakly (a key object lives as long as its entry). `max` beyond the engine's
 * `Map` limit (2^24 entries in V8) cannot be filled.
 *
 * Decisions worth knowing:
 * - `set(key, value)` with the value already stored under `key` (SameValueZero)
 *   refreshes recency and TTL and reports nothing: the value never left.
 * - An entry larger than `maxSize` is not stored: an existing entry for the
 *   key is removed (`'set'`) and the rejected value is reported at once with
 *   `'evict'`: a value handed to `set()` is reported once when it leaves,
 *   even if it never got in. Other entries are untouched.
 * - Entries that expire at the same moment are reported in no particular
 *   order. `clear()` reports from least to most recent.
 * - Iterators see the keys present when `keys()`/`values()`/`entries()` was
 *   called, most recent first, with their current values, skipping entries
 *   removed or expired since; the cache may be changed freely meanwhile.
 * - If `onEvict` throws, the cache is already consistent and the remaining
 *   removed entries are still reported; then the error goes to `onError`, or
 *   without it is rethrown from the call that removed them (an
 *   `AggregateError` if several threw). Entries expired by the timer have no
 *   such call: their `onEvict` errors go to `onError`, or become a process
 *   warning (`LEAKPROOF_EVICT_ERROR`), never an uncaught exception.
 * - Options are checked by name: lru-cache's `dispose` (use `onEvict`),
 *   `maxAge`/`ttlAutopurge` (use `ttl`: expired entries are always purged, by
 *   one timer per cache) and `sizeCalculation`/`length` (use `sizeOf`) are
 *   rejected with the name to write, as is a bare number (`new LRU(100)`:
 *   write `{ max: 100 }`).
 *
 * @typeParam K The key type.
 * @typeParam V The value type.
 *
 * @example
 * ```ts
 * import { LRU } from 'leakproof';
 *
 * const sessions = new LRU<string, Session>({
 *   max: 10_000,
 *   ttl: 15 * 60_000,
 *   onEvict: (session, id, reason) => session.close(),
 * });
 * sessions.set(id, session);
 * sessions.get(id); // Session | undefined
 * ```
 */
export class LRU<K, V> implements Iterable<[K, V]>, Disposable {
  // --- Options that cannot change without disaster ---------------------------
  readonly #max: number;
  /** `Infinity` when there is no size budget. */
  readonly #maxSize: number;
  readonly #sizeOf: ((value: V, key: K) => number) | undefined;
  /** The default TTL; `Infinity` for none. */
  readonly #ttl: number;
  readonly #onEvict: ((value: V, key: K, reason: EvictReason) => void) | undefined;
  readonly #onError: ((error: unknown) => void) | undefined;
  /** The most slots ever needed: min(max, maxSize). */
  readonly #slotLimit: number;

  // --- Slots: a Map from key to slot index, parallel slot arrays ------------
  // Slots [1, #used) have been handed out (slot 0 is the NIL sentinel); freed
  // ones form a list through #next starting at #free. Every array grows
  // together, by doubling, to at most #slotLimit + 1 elements.
  #map = new Map<K, number>();
  #keys: (K | undefined)[] = [];
  #values: (V | undefined)[] = [];
  /** Towards the least recent entry. 16-bit when the bound allows. */
  #next: Uint16Array | Int32Array;
  /** Towards the most recent entry. */
  #prev: Uint16Array | Int32Array;
  #capacity = 0;
  #used = 1;
  #free = NIL;
  /** The most recent entry. */
  #head = NIL;
  /** The least recent entry: the next to be evicted. */
  #tail = NIL;

  // --- Size budget (only with maxSize) ---------------------------------------
  #sizes: Uint32Array | Float64Array | undefined;
  #totalSize = 0;

  // --- TTL, installed by #installTTL on first use ---------------------------
  // An indexed binary min-heap of the slots that expire, keyed by #expires.
  // Entries that never expire are not in it (#heapIndex -1). The heap's top
  // is the next entry due, and the one timer is armed for it.
  #hasTTL = false;
  /** Per slot: when it expires (performance.now() clock), Infinity for never. */
  #expires: Float64Array = EMPTY_TIMES;
  #heap: Int32Array = EMPTY_LINKS;
  /** Per slot: its position in #heap, or NOT_IN_HEAP. */
  #heapIndex: Int32Array = EMPTY_LINKS;
  #heapLength = 0;
  #timer: ExpiryTimer | undefined;
  #self: WeakRef<LRU<K, V>> | undefined;

  // --- Eviction reports ------------------------------------------------------
  // Flat triples (value, key, reason) of removed entries, drained at the end of
  // the operation that removed them, so onEvict always sees a finished cache.
  readonly #reports: unknown[];
  #draining = false;

  /**
   * @param options The bounds and callbacks; `max` is required.
   * @throws {TypeError} `ERR_INVALID_ARG_TYPE` when `options` is not an object,
   * an option has the wrong type, or `maxSize` and `sizeOf` are not given
   * together (the error names the missing one).
   * @throws {RangeError} `ERR_OUT_OF_RANGE` when `max` is not a positive
   * integer (or `Infinity` with `maxSize`), `maxSize` is not a positive
   * integer, or `ttl` is not a number > 0.
   */
  constructor(options: LRUOptions<K, V>) {
    // quick-lru, tiny-lru and mnemonist take the bound positionally.
    if (typeof options === 'number') throw invalidArgType('options', 'of type object (write `{ max }`)', options);
    if (options === undefined) throw invalidArgType('options', 'of type object', options);
    validateOptionsBag(options, 'options', LRU_OPTIONS, LRU_HINTS);
    const { max, maxSize, sizeOf, ttl, onEvict, onError } = options;
    if (typeof max !== 'number') throw invalidArgType('options.max', 'of type number', max);
    if (maxSize !== undefined) {
      if (typeof maxSize !== 'number') throw invalidArgType('options.maxSize', 'of type number', maxSize);
      if (!isPositiveInteger(maxSize)) throw outOfRange('options.maxSize', 'a positive integer', maxSize);
      if (sizeOf === undefined) {
        // quick-lru's `maxSize` is a count: say which option that is here.
        throw invalidArgType('options.sizeOf', 'of type function when options.maxSize is set (for a count bound, use options.max)', sizeOf);
      }
    }
    if (sizeOf !== undefined) {
      if (typeof sizeOf !== 'function') throw invalidArgType('options.sizeOf', 'of type function', sizeOf);
      if (maxSize === undefined) throw invalidArgType('options.maxSize', 'of type number when options.sizeOf is set', maxSize);
    }
    if (max === Infinity ? maxSize === undefined : !isPositiveInteger(max)) {
      throw outOfRange(
        'options.max',
        maxSize === undefined ? 'a positive integer (Infinity only with options.maxSize)' : 'a positive integer or Infinity',
        max,
      );
    }
    if (ttl !== undefined) validateTTL(ttl, 'options.ttl');
    if (onEvict !== undefined && typeof onEvict !== 'function') {
      throw invalidArgType('options.onEvict', 'of type function', onEvict);
    }
    if (onError !== undefined && typeof onError !== 'function') {
      throw invalidArgType('options.onError', 'of type function', onError);
    }

    this.#max = max;
    this.#maxSize = maxSize ?? Infinity;
    this.#sizeOf = sizeOf;
    this.#ttl = ttl ?? Infinity;
    this.#onEvict = onEvict;
    this.#onError = onError;
    this.#slotLimit = Math.min(max, maxSize ?? Infinity);
    this.#next = this.#prev = this.#slotLimit <= MAX_UINT16_SLOT ? EMPTY_SHORT_LINKS : EMPTY_LINKS;
    this.#reports = onEvict === undefined ? NO_REPORTS : [];
    if (maxSize !== undefined) this.#sizes = maxSize > MAX_UINT32 ? new Float64Array(0) : new Uint32Array(0);
    if (this.#ttl !== Infinity) this.#installTTL();
  }

  /** The most entries the cache holds (`options.max`). */
  get max(): number {
    return this.#max;
  }

  /** The number of entries, not counting any whose TTL has passed. */
  get size(): number {
    if (this.#hasTTL) this.#expireDue(performance.now());
    if (this.#reports.length !== 0) this.#drain();
    return this.#map.size;
  }

  /**
   * The sum of `sizeOf` over the entries (0 without `maxSize`), not counting
   * any whose TTL has passed.
   */
  get totalSize(): number {
    if (this.#hasTTL) this.#expireDue(performance.now());
    if (this.#reports.length !== 0) this.#drain();
    return this.#totalSize;
  }

  /**
   * Returns the value stored under `key` and makes the entry the most recent.
   *
   * @param key Compared by SameValueZero.
   * @returns The value, or `undefined` when absent or expired (an expired
   * entry is removed and reported with `'expire'`).
   */
  get(key: K): V | undefined {
    if (this.#hasTTL) return this.#getExpiring(key);
    const i = this.#map.get(key);
    if (i === undefined) return undefined;
    if (i !== this.#head) this.#moveToHead(i);
    return this.#values[i];
  }

  /**
   * Returns the value stored under `key` without changing its recency.
   *
   * @returns The value, or `undefined` when absent or expired.
   */
  peek(key: K): V | undefined {
    if (this.#hasTTL) {
      this.#expireDue(performance.now());
      if (this.#reports.length !== 0) this.#drain();
    }
    const i = this.#map.get(key);
    return i === undefined ? undefined : this.#values[i];
  }

  /**
   * Whether `key` has an entry that has not expired. Does not change recency.
   */
  has(key: K): boolean {
    if (this.#hasTTL) {
      this.#expireDue(performance.now());
      if (this.#reports.length !== 0) this.#drain();
    }
    return this.#map.has(key);
  }

  /**
   * Stores `value` under `key` as the most recent entry, evicting the least
   * recent entries while the cache is over `max` or `maxSize`.
   *
   * Replacing a different value reports the old one with `'set'`; storing the
   * value already there only refreshes recency and TTL. A value whose size
   * exceeds `maxSize` is not stored (see the class notes).
   *
   * @param key Compared by SameValueZero.
   * @param value Any value, `undefined` included.
   * @param options `ttl` for this entry instead of the cache's.
   * @returns The cache.
   * @throws {TypeError} `ERR_INVALID_ARG_TYPE` when `options` or `options.ttl`
   * has the wrong type.
   * @throws {RangeError} `ERR_OUT_OF_RANGE` when `options.ttl` is not > 0 or
   * `sizeOf` returns anything but a positive integer. The cache is unchanged.
   */
  set(key: K, value: V, options?: LRUSetOptions): this {
    let ttl = this.#ttl;
    if (options !== undefined) {
      validateSetOptions(options);
      const entryTTL = options.ttl;
      if (entryTTL !== undefined) {
        validateTTL(entryTTL, 'options.ttl');
        ttl = entryTTL;
      }
    }
    // Map stores -0 as +0; so do we, so that iteration and onEvict agree with Map.
    if (key === 0) key = 0 as K;
    // Everything that can fail runs before the cache changes.
    const size = this.#sizeOf === undefined ? 0 : this.#measure(value, key);
    let now = 0;
    if (ttl !== Infinity && !this.#hasTTL) this.#installTTL();
    if (this.#hasTTL) {
      now = performance.now();
      this.#expireDue(now);
    }
    if (size > this.#maxSize) {
      this.#reject(key, value);
    } else {
      const map = this.#map;
      let i = map.get(key);
      if (i !== undefined) {
        const values = this.#values;
        const old = values[i] as V;
        values[i] = value;
        if (i !== this.#head) this.#moveToHead(i);
        // SameValueZero: the same value never left the cache.
        if (this.#onEvict !== undefined && old !== value && (old === old || value === value)) {
          this.#reports.push(old, key, 'set');
        }
        if (this.#hasTTL) this.#setExpiry(i, ttl, now);
        if (this.#sizes !== undefined) {
          this.#totalSize += size - this.#sizes[i]!;
          this.#sizes[i] = size;
          // The entry fits on its own (size <= maxSize) and is the head, so
          // this stops before reaching it.
          while (this.#totalSize > this.#maxSize) this.#remove(this.#tail, 'evict');
        }
      } else {
        // Make room first, so a full cache never needs a slot beyond its bound.
        while (this.#totalSize + size > this.#maxSize) this.#remove(this.#tail, 'evict');
        if (map.size >= this.#max) {
          i = this.#tail;
          this.#vacate(i, 'evict');
          map.set(key, i);
          if (i !== this.#head) this.#moveToHead(i);
        } else {
          i = this.#allocate();
          // Before linking: at the engine's Map limit this throws, and the
          // list must not hold a slot the Map does not.
          map.set(key, i);
          this.#linkHead(i);
        }
        this.#keys[i] = key;
        this.#values[i] = value;
        if (this.#sizes !== undefined) {
          this.#sizes[i] = size;
          this.#totalSize += size;
        }
        if (this.#hasTTL) this.#setExpiry(i, ttl, now);
      }
    }
    if (this.#reports.length !== 0) this.#drain();
    return this;
  }

  /**
   * Removes the entry for `key`, reporting it with `'delete'`.
   *
   * @returns Whether an entry (that had not expired) was removed.
   */
  delete(key: K): boolean {
    if (this.#hasTTL) this.#expireDue(performance.now());
    const i = this.#map.get(key);
    if (i !== undefined) this.#remove(i, 'delete');
    if (this.#reports.length !== 0) this.#drain();
    return i !== undefined;
  }

  /**
   * Removes every entry, reporting each with `'clear'` (least recent first),
   * releases the storage and cancels the expiry timer. The cache stays usable.
   */
  clear(): void {
    if (this.#hasTTL) this.#expireDue(performance.now());
    if (this.#onEvict !== undefined) {
      const keys = this.#keys;
      const values = this.#values;
      const prev = this.#prev;
      for (let i = this.#tail; i !== NIL; i = prev[i]!) this.#reports.push(values[i], keys[i], 'clear');
    }
    this.#map.clear();
    this.#keys = [];
    this.#values = [];
    this.#next = this.#prev = this.#slotLimit <= MAX_UINT16_SLOT ? EMPTY_SHORT_LINKS : EMPTY_LINKS;
    this.#capacity = 0;
    this.#used = 1;
    this.#free = this.#head = this.#tail = NIL;
    if (this.#sizes !== undefined) {
      this.#sizes = this.#sizes instanceof Float64Array ? new Float64Array(0) : new Uint32Array(0);
    }
    this.#totalSize = 0;
    if (this.#hasTTL) {
      this.#expires = EMPTY_TIMES;
      this.#heap = this.#heapIndex = EMPTY_LINKS;
      this.#heapLength = 0;
      cancelTimer(this.#timer!);
    }
    if (this.#reports.length !== 0) this.#drain();
  }

  /** Same as {@link LRU.clear}: removes every entry and cancels the timer. */
  [Symbol.dispose](): void {
    this.clear();
  }

  /** The keys, most recent first (see the class notes on iteration). */
  keys(): IterableIterator<K> {
    return this.#walk(KEYS, this.#snapshot()) as unknown as IterableIterator<K>;
  }

  /** The values, most recent first. */
  values(): IterableIterator<V> {
    return this.#walk(VALUES, this.#snapshot()) as unknown as IterableIterator<V>;
  }

  /** `[key, value]` pairs, most recent first. */
  entries(): IterableIterator<[K, V]> {
    return this.#walk(ENTRIES, this.#snapshot()) as unknown as IterableIterator<[K, V]>;
  }

  /** Same as {@link LRU.entries}. */
  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  // --- Lookups with TTL ------------------------------------------------------

  #getExpiring(key: K): V | undefined {
    this.#expireDue(performance.now());
    const i = this.#map.get(key);
    let value: V | undefined;
    if (i !== undefined) {
      if (i !== this.#head) this.#moveToHead(i);
      value = this.#values[i];
    }
    if (this.#reports.length !== 0) this.#drain();
    return value;
  }

  // --- Iteration -------------------------------------------------------------

  #snapshot(): (K | undefined)[] {
    if (this.#hasTTL) this.#expireDue(performance.now());
    if (this.#reports.length !== 0) this.#drain();
    const keys = this.#keys;
    const next = this.#next;
    const snapshot = new Array<K | undefined>(this.#map.size);
    let n = 0;
    for (let i = this.#head; i !== NIL; i = next[i]!) snapshot[n++] = keys[i];
    return snapshot;
  }

  *#walk(kind: number, snapshot: (K | undefined)[]): Generator<unknown, void, undefined> {
    for (let j = 0; j < snapshot.length; j++) {
      const key = snapshot[j] as K;
      // A half-consumed iterator holds only the keys it has not reached.
      snapshot[j] = undefined;
      const i = this.#map.get(key);
      if (i === undefined) continue;
      if (this.#hasTTL && this.#expires[i]! <= performance.now()) continue;
      yield kind === KEYS ? key : kind === VALUES ? this.#values[i] : [key, this.#values[i]];
    }
  }

  // --- Slots and links ---------------------------------------------------------

  #allocate(): number {
    const free = this.#free;
    if (free !== NIL) {
      this.#free = this.#next[free]!;
      return free;
    }
    if (this.#used >= this.#capacity) this.#grow();
    return this.#used++;
  }

  // Doubling up to the bound: amortised O(1) per entry, and a full cache's
  // arrays are exactly `max` + 1 long, as lru-cache's preallocated ones
  // (which are `max` long).
  #grow(): void {
    const capacity = Math.min(Math.max(this.#capacity * 2, MIN_CAPACITY), this.#slotLimit + 1);
    const used = this.#used;
    this.#keys = growArray(this.#keys, used, capacity);
    this.#values = growArray(this.#values, used, capacity);
    this.#next = growLinks(this.#next, capacity);
    this.#prev = growLinks(this.#prev, capacity);
    if (this.#sizes !== undefined) {
      const sizes = this.#sizes instanceof Float64Array ? new Float64Array(capacity) : new Uint32Array(capacity);
      sizes.set(this.#sizes);
      this.#sizes = sizes;
    }
    if (this.#hasTTL) this.#growTTL(capacity);
    this.#capacity = capacity;
  }

  #linkHead(i: number): void {
    const head = this.#head;
    this.#prev[i] = NIL;
    this.#next[i] = head;
    if (head === NIL) this.#tail = i;
    else this.#prev[head] = i;
    this.#head = i;
  }

  /** `i` must not be the head. */
  #moveToHead(i: number): void {
    const next = this.#next;
    const prev = this.#prev;
    const p = prev[i]!;
    const n = next[i]!;
    next[p] = n;
    if (n === NIL) this.#tail = p;
    else prev[n] = p;
    const head = this.#head;
    prev[i] = NIL;
    next[i] = head;
    prev[head] = i;
    this.#head = i;
  }

  #unlink(i: number): void {
    const next = this.#next;
    const prev = this.#prev;
    const p = prev[i]!;
    const n = next[i]!;
    if (p === NIL) this.#head = n;
    else next[p] = n;
    if (n === NIL) this.#tail = p;
    else prev[n] = p;
  }

  /**
   * Empties slot `i` (still linked, for reuse by the caller): forgets its key,
   * clears its key and value, and queues its report (none without a reason).
   */
  #vacate(i: number, reason: EvictReason | undefined): void {
    const keys = this.#keys;
    const values = this.#values;
    const key = keys[i] as K;
    const value = values[i] as V;
    keys[i] = undefined;
    values[i] = undefined;
    this.#map.delete(key);
    if (this.#sizes !== undefined) {
      this.#totalSize -= this.#sizes[i]!;
      this.#sizes[i] = 0;
    }
    if (this.#hasTTL) this.#heapRemove(i);
    if (this.#onEvict !== undefined && reason !== undefined) this.#reports.push(value, key, reason);
  }

  /** Removes the entry in slot `i` and frees the slot; no reason, no report. */
  #remove(i: number, reason: EvictReason | undefined): void {
    this.#vacate(i, reason);
    this.#unlink(i);
    this.#next[i] = this.#free;
    this.#free = i;
  }

  /** An entry larger than maxSize: drop any old entry, hand the value back. */
  #reject(key: K, value: V): void {
    const i = this.#map.get(key);
    if (i !== undefined) {
      const old = this.#values[i];
      // The same value is reported once, below.
      this.#remove(i, old === value || (old !== old && value !== value) ? undefined : 'set');
    }
    if (this.#onEvict !== undefined) this.#reports.push(value, key, 'evict');
  }

  #measure(value: V, key: K): number {
    const size: unknown = this.#sizeOf!(value, key);
    if (typeof size !== 'number' || !isPositiveInteger(size)) {
      throw outOfRange('options.sizeOf(value, key)', 'a positive integer', size);
    }
    return size;
  }

  // --- Eviction reports ------------------------------------------------------

  /** Reports the queued removals; `onTimer` when no caller is there to throw to. */
  #drain(onTimer = false): void {
    // A report made while draining (onEvict called back into the cache) is
    // appended to the queue and picked up by the loop below.
    if (this.#draining) return;
    this.#draining = true;
    const reports = this.#reports;
    const onEvict = this.#onEvict!;
    let errors: unknown[] | undefined;
    for (let j = 0; j < reports.length; j += 3) {
      const value = reports[j] as V;
      const key = reports[j + 1] as K;
      const reason = reports[j + 2] as EvictReason;
      reports[j] = reports[j + 1] = undefined;
      try {
        onEvict(value, key, reason);
      } catch (error) {
        (errors ??= []).push(error);
      }
    }
    reports.length = 0;
    this.#draining = false;
    if (errors !== undefined) this.#fail(errors, onTimer);
  }

  // The route of onEvict's errors: onError, else the caller, else (on the
  // timer, where the only "caller" is the event loop and a throw would crash
  // the process) a warning.
  #fail(errors: unknown[], onTimer: boolean): void {
    const onError = this.#onError;
    let unhandled = errors;
    if (onError !== undefined) {
      unhandled = [];
      for (const error of errors) {
        try {
          onError(error);
        } catch (thrown) {
          unhandled.push(thrown);
        }
      }
      if (unhandled.length === 0) return;
    }
    const error =
      unhandled.length === 1 ? unhandled[0] : new AggregateError(unhandled, `options.onEvict threw ${unhandled.length} errors`);
    if (!onTimer) throw error;
    emitWarning(
      'An LRU entry expired by its timer was reported to options.onEvict, which threw; pass options.onError to handle it',
      'LEAKPROOF_EVICT_ERROR',
      error,
    );
  }

  // --- TTL ---------------------------------------------------------------------

  #installTTL(): void {
    this.#hasTTL = true;
    this.#growTTL(this.#capacity);
    this.#timer = { handle: undefined, at: Infinity };
    this.#self = new WeakRef(this);
    timerRegistry.register(this, this.#timer);
  }

  #growTTL(capacity: number): void {
    const expires = new Float64Array(capacity);
    expires.set(this.#expires);
    expires.fill(Infinity, this.#expires.length);
    this.#expires = expires;
    this.#heap = growInt32(this.#heap, capacity, 0);
    this.#heapIndex = growInt32(this.#heapIndex, capacity, NOT_IN_HEAP);
  }

  /** Removes every entry that is due at `now`, earliest first. */
  #expireDue(now: number): void {
    const heap = this.#heap;
    const expires = this.#expires;
    while (this.#heapLength !== 0 && expires[heap[0]!]! <= now) this.#remove(heap[0]!, 'expire');
  }

  #setExpiry(i: number, ttl: number, now: number): void {
    const expires = this.#expires;
    const at = now + ttl;
    const pos = this.#heapIndex[i]!;
    if (ttl === Infinity) {
      if (pos !== NOT_IN_HEAP) this.#heapRemove(i);
      expires[i] = Infinity;
      return;
    }
    const old = expires[i]!;
    expires[i] = at;
    if (pos === NOT_IN_HEAP) this.#siftUp(this.#heapLength++, i);
    else if (at < old) this.#siftUp(pos, i);
    else this.#siftDown(pos, i);
    if (at < this.#timer!.at) this.#arm(at, now);
  }

  #heapRemove(i: number): void {
    const pos = this.#heapIndex[i]!;
    if (pos === NOT_IN_HEAP) return;
    this.#heapIndex[i] = NOT_IN_HEAP;
    const expires = this.#expires;
    const removed = expires[i]!;
    expires[i] = Infinity;
    const lastPos = --this.#heapLength;
    if (pos === lastPos) return;
    const last = this.#heap[lastPos]!;
    if (expires[last]! < removed) this.#siftUp(pos, last);
    else this.#siftDown(pos, last);
  }

  /** Places slot `i` at heap position `pos` or above. */
  #siftUp(pos: number, i: number): void {
    const heap = this.#heap;
    const index = this.#heapIndex;
    const expires = this.#expires;
    const at = expires[i]!;
    while (pos > 0) {
      const parentPos = (pos - 1) >> 1;
      const parent = heap[parentPos]!;
      if (expires[parent]! <= at) break;
      heap[pos] = parent;
      index[parent] = pos;
      pos = parentPos;
    }
    heap[pos] = i;
    index[i] = pos;
  }

  /** Places slot `i` at heap position `pos` or below. */
  #siftDown(pos: number, i: number): void {
    const heap = this.#heap;
    const index = this.#heapIndex;
    const expires = this.#expires;
    const length = this.#heapLength;
    const at = expires[i]!;
    for (;;) {
      let child = 2 * pos + 1;
      if (child >= length) break;
      let childSlot = heap[child]!;
      const right = child + 1;
      if (right < length && expires[heap[right]!]! < expires[childSlot]!) {
        child = right;
        childSlot = heap[right]!;
      }
      if (at <= expires[childSlot]!) break;
      heap[pos] = childSlot;
      index[childSlot] = pos;
      pos = child;
    }
    heap[pos] = i;
    index[i] = pos;
  }

  /**
   * (Re)arms the one timer for `at`. Delays are clamped to setTimeout's limit;
   * a timer that fires early finds nothing due and re-arms for the rest.
   */
  #arm(at: number, now: number): void {
    const timer = this.#timer!;
    if (timer.handle !== undefined) clearTimeout(timer.handle);
    const delay = Math.min(Math.max(Math.ceil(at - now), 1), MAX_TIMER_DELAY);
    const handle = setTimeout(LRU.#fire, delay, this.#self!);
    // Not every runtime's timers have unref (browsers return a number).
    (handle as { unref?: () => unknown }).unref?.();
    timer.handle = handle;
    // The expiry it was armed for, or when it fires if the delay was clamped.
    timer.at = Math.min(at, now + delay);
  }

  // The timer callback: static, so it closes over nothing, and it reaches the
  // cache only through the WeakRef it is given.
  static #fire(this: void, self: WeakRef<LRU<any, any>>): void {
    const cache = self.deref();
    if (cache !== undefined) cache.#onTimer();
  }

  #onTimer(): void {
    const timer = this.#timer!;
    timer.handle = undefined;
    timer.at = Infinity;
    const now = performance.now();
    this.#expireDue(now);
    if (this.#heapLength !== 0) this.#arm(this.#expires[this.#heap[0]!]!, now);
    if (this.#reports.length !== 0) this.#drain(true);
  }
}

const LRU_OPTIONS = ['max', 'maxSize', 'sizeOf', 'ttl', 'onEvict', 'onError'] as const;

/** What lru-cache (v6 to v11), quick-lru and tiny-lru users type, and the name here. */
const LRU_HINTS: Readonly<Record<string, string>> = {
  dispose: 'onEvict',
  disposeAfter: 'onEvict',
  onEviction: 'onEvict',
  maxAge: 'ttl',
  ttlAutopurge: 'ttl',
  length: 'sizeOf',
  sizeCalculation: 'sizeOf',
  maxEntrySize: 'maxSize',
};

const SET_OPTIONS = ['ttl'] as const;
const SET_HINTS: Readonly<Record<string, string>> = { maxAge: 'ttl' };

// On the hot path of `set(key, value, { ttl })`: a plain `for...in` allocates
// nothing; the shared validator (which builds the error) runs only on a miss.
function validateSetOptions(options: unknown): asserts options is LRUSetOptions {
  if (options !== null && typeof options === 'object' && !('aborted' in options)) {
    let ok = true;
    for (const key in options) {
      if (key !== 'ttl' && Object.hasOwn(options, key)) ok = false;
    }
    if (ok) return;
  }
  validateOptionsBag(options, 'options', SET_OPTIONS, SET_HINTS);
}

const KEYS = 0;
const VALUES = 1;
const ENTRIES = 2;

function isPositiveInteger(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 1;
}

function validateTTL(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  // `!(value > 0)` also catches NaN.
  if (!(value > 0)) throw outOfRange(name, 'a number > 0 (Infinity for no expiry)', value);
}

function growArray<T>(array: T[], used: number, capacity: number): T[] {
  const grown = new Array<T>(capacity);
  for (let i = 0; i < used; i++) grown[i] = array[i]!;
  return grown;
}

function growLinks<T extends Uint16Array | Int32Array>(array: T, capacity: number): T {
  const grown = (array instanceof Uint16Array ? new Uint16Array(capacity) : new Int32Array(capacity)) as T;
  grown.set(array);
  return grown;
}

function growInt32(array: Int32Array, capacity: number, fill: number): Int32Array {
  const grown = new Int32Array(capacity);
  grown.set(array);
  if (fill !== 0) grown.fill(fill, array.length);
  return grown;
}
