// What `memoize` and `memoizeAsync` share: option reading, the bounded LRU
// behind every variant, the `undefined` marker and the cache methods attached
// to the returned function.
//
// Leak: a memoizer whose cache has no bound keeps every result for the life
// of the function; a cache method that closes over the caller's scope keeps
// that scope alive with the function.
//
// Invariant: every variant stores its entries in one `LRU` created here with
// a finite bound (1,000 by default); the attached methods close over the
// variant's core only, which lives and dies with the memoized function.

import {
  invalidArgType,
  outOfRange,
  validateBoolean,
  validateInteger,
  validateOptionalFunction,
  validateOptionsBag,
} from './validate.js';
import { type EvictReason, LRU, type LRUOptions } from '../lru.js';

/** The default bound of `memoize` and `memoizeAsync`: 1,000 entries. */
export const MEMOIZE_DEFAULT_MAX = 1000;

/** Counters of a memoized function, read through `.stats`. */
export interface MemoizeStats {
  /** Calls answered from the cache (for `memoizeAsync`: or by joining an in-flight call). */
  readonly hits: number;
  /** Calls that ran the underlying function. */
  readonly misses: number;
  /**
   * Entries in the cache. With `weak: true` it may count entries whose key
   * object was collected until their finalizer runs (a later task).
   */
  readonly size: number;
}

/** What every cache variant implements behind the public methods. */
export interface MemoizeCore {
  clear(): void;
  delete(args: ArrayLike<unknown>): boolean;
  has(args: ArrayLike<unknown>): boolean;
  stats(): MemoizeStats;
}

export interface CacheOptions {
  max: number;
  ttl: number | undefined;
  key: ((...args: never[]) => unknown) | undefined;
  weak: boolean;
}

/**
 * Habits of the memoizers people come from: p-memoize/memoize `cacheKey` and
 * `maxAge`, memoizee `normalizer`/`length`/`maxAge`, moize `maxSize`/`maxAge`,
 * lodash's `resolver`, and memoizeAsync 0.1's `arity`.
 */
const MEMOIZE_HINTS: Readonly<Record<string, string>> = {
  cacheKey: 'key',
  resolver: 'key',
  normalizer: 'key',
  hash: 'key',
  // memoizee's count of arguments in the key, and memoizeAsync 0.1's.
  length: 'key',
  arity: 'key',
  maxAge: 'ttl',
  maxSize: 'max',
  weakKeys: 'weak',
};

/** The options bag of memoize/memoizeAsync; a function there is a lodash-style resolver. */
export function validateMemoizeOptions(options: unknown, known: readonly string[]): asserts options is object | undefined {
  if (typeof options === 'function') {
    throw invalidArgType('options', 'of type object (pass a key function as `{ key }`)', options);
  }
  validateOptionsBag(options, 'options', known, MEMOIZE_HINTS);
}

/** Reads the options both memoizers share; the bag itself is validated by the caller. */
export function readCacheOptions(
  options: { max?: unknown; ttl?: unknown; key?: unknown; weak?: unknown } | undefined,
): CacheOptions {
  // `undefined` means "not given"; `null` is a wrong type, as in Node.
  const max = options?.max === undefined ? MEMOIZE_DEFAULT_MAX : options.max;
  validateInteger(max, 'options.max', 1, Infinity);
  const ttl = options?.ttl;
  if (ttl !== undefined) validatePositive(ttl, 'options.ttl');
  const key = options?.key;
  validateOptionalFunction(key, 'options.key');
  const weak = options?.weak === undefined ? false : options.weak;
  validateBoolean(weak, 'options.weak');
  return { max, ttl, key, weak };
}

// validateNumber's lower bound is inclusive; a TTL of 0 would expire every
// result at once, which is a mistake rather than a cache.
function validatePositive(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!(value > 0)) throw outOfRange(name, 'a number > 0 (Infinity allowed)', value);
}

/**
 * Gives the memoized function `fn`'s name (stack traces and logs show the
 * function the user wrote, as p-memoize does), the given `length`, and the
 * cache methods. The methods close over the core only: the memoized function
 * and its methods live and die together, so sharing that context costs nothing.
 */
export function attachMethods<T extends object>(target: T, core: MemoizeCore, name: string, length: number): T {
  Object.defineProperties(target, {
    name: { value: name, configurable: true },
    length: { value: length, configurable: true },
    clear: {
      value: function clear(): void {
        core.clear();
      },
    },
    delete: {
      value: function deleteEntry(): boolean {
        return core.delete(arguments);
      },
    },
    has: {
      value: function has(): boolean {
        return core.has(arguments);
      },
    },
    stats: {
      get: () => core.stats(),
    },
  });
  return target;
}

/**
 * An `undefined` result is stored as this marker, so that `lru.get()`
 * returning `undefined` always means "not cached" and a hit costs one lookup.
 */
export const UNDEFINED: unique symbol = /* @__PURE__ */ Symbol('undefined');

export function store(value: unknown): unknown {
  return value === undefined ? UNDEFINED : value;
}

export function unstore(value: unknown): unknown {
  return value === UNDEFINED ? undefined : value;
}

export function createLRU<K, V>(
  max: number,
  ttl: number | undefined,
  onEvict: ((value: V, key: K, reason: EvictReason) => void) | undefined,
): LRU<K, V> {
  // LRU accepts `max: Infinity` only with a size budget. Its storage grows
  // with use, so the largest safe integer is as good as unbounded and costs
  // nothing up front.
  const options: LRUOptions<K, V> = { max: max === Infinity ? Number.MAX_SAFE_INTEGER : max };
  if (ttl !== undefined && ttl !== Infinity) options.ttl = ttl;
  // Without a listener the LRU queues no eviction reports at all.
  if (onEvict !== undefined) options.onEvict = onEvict;
  return new LRU<K, V>(options);
}
