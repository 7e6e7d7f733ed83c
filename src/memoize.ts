// `memoize`: bounded memoization of synchronous functions, keyed by all the
// arguments (or a `key` function), with optionally weakly held keys.
//
// Leak: `const cache = new Map(); (x) => cache.has(x) ? cache.get(x) : ...`,
// the body of `_.memoize`, p-memoize, memoize and fast-memoize by default. The
// map only grows: every argument ever seen and every result stays reachable
// for as long as the function lives, usually the whole process. Multi-argument
// memoizers stringify the arguments (`JSON.stringify`), so distinct objects
// collide. A "weak" memoizer that keeps results in a strong LRU next to a
// WeakMap keeps a key alive through any result that references it (the
// ephemeron pitfall).
//
// Invariant: every entry lives in an `LRU` with a finite default bound
// (1,000), so the cache never holds more than `max` results; arguments are
// compared by SameValueZero through a trie of Maps (internal/key-trie.ts),
// never stringified, and each trie node is removed when its last entry is.
// The one-argument path's front cache (the last entry used) is emptied
// whenever that entry leaves the LRU. With `weak: true` a result is reachable
// only through WeakMap edges keyed by the call's object arguments
// (internal/weak-trie.ts), so it dies with any of them.
//
// Refs: leakproof issue 4 (section 2); memoizeAsync lives in memoize-async.ts.

import {
  attachMethods,
  createLRU,
  MEMOIZE_DEFAULT_MAX,
  type MemoizeCore,
  type MemoizeStats,
  readCacheOptions,
  validateMemoizeOptions,
  store,
  UNDEFINED,
  unstore,
} from './internal/memo-cache.js';
import { KeyNode, KeyTrie } from './internal/key-trie.js';
import { WeakMemo } from './internal/weak-trie.js';
import { validateFunction } from './internal/validate.js';
import type { EvictReason, LRU } from './lru.js';

export { MEMOIZE_DEFAULT_MAX };
export type { MemoizeStats };

// ---------------------------------------------------------------------------
// Public types

/** Options of {@link memoize}. */
export interface MemoizeOptions<A extends readonly unknown[] = unknown[]> {
  /**
   * The most results kept; the least recently used is dropped first. Pass
   * `Infinity` for an unbounded cache (then only `ttl`, `weak`, `delete` and
   * `clear` remove entries).
   * @default 1000
   */
  max?: number;
  /** Milliseconds a result stays cached after it was computed. @default no expiry */
  ttl?: number;
  /**
   * Computes the cache key from the call's arguments. Its result is compared
   * by SameValueZero (like a `Map` key), never stringified. By default every
   * argument is part of the key, compared one by one.
   */
  key?: (...args: A) => unknown;
  /**
   * Holds object arguments (or an object `key` result) weakly: an entry is
   * dropped when any of its object arguments is collected, even if the result
   * references it. `max` still bounds the entry count.
   * @default false
   */
  weak?: boolean;
}

/** Counters of a memoized function, read through `.stats`. */

/** The methods {@link memoize} adds to the function it returns. */
export interface MemoizedMethods<A extends readonly unknown[]> {
  /** Drops every cached result. */
  clear(): void;
  /** Drops the result cached for these arguments; true if there was one. */
  delete(...args: A): boolean;
  /** Whether a (live, unexpired) result is cached for these arguments; does not touch recency. */
  has(...args: A): boolean;
  /** Hit and miss counts and the current size (a fresh snapshot on each read). */
  readonly stats: MemoizeStats;
}

/** What {@link memoize} returns: the original function's exact type, plus the cache methods. */
export type Memoized<F extends (...args: any[]) => unknown> = F & MemoizedMethods<Parameters<F>>;

// ---------------------------------------------------------------------------
// memoize

/**
 * Caches `fn`'s results in a bounded LRU, keyed by its arguments.
 *
 * By default the key is all the arguments, compared one by one with
 * SameValueZero (`NaN` equals `NaN`, objects by identity, never stringified);
 * calls with a different number of arguments are different keys, so `f(1)`
 * and `f(1, undefined)` are cached separately. Pass `key` to choose another
 * key. `this` is passed through to `fn` but is not part of the key. A thrown
 * error is not cached. A returned promise is cached as it is, rejected or not:
 * use `memoizeAsync` for async functions. The returned function has
 * `fn`'s `name` and `length`.
 *
 * Guarantees: at most `max` results (default 1,000) are reachable from the
 * cache; an evicted, expired, deleted, overwritten or cleared result is no
 * longer referenced. Argument bookkeeping (the key trie) shrinks with its
 * entries. With `weak: true`, an entry whose object argument is collected is
 * collected with it, also when the result references that object, and its
 * bookkeeping is released once its finalizer runs; entries that only hold
 * primitives are kept like any other.
 *
 * Does not: make concurrent async calls share a promise that is retried on
 * failure (`memoizeAsync` does), compare arguments structurally (two
 * equal-looking objects are two keys; use `key`), or hold primitive arguments
 * weakly.
 *
 * @param fn The function to memoize.
 * @param options `max`, `ttl`, `key`, `weak`.
 * @returns A function with `fn`'s exact type, plus `clear()`, `delete(...args)`,
 * `has(...args)` and `stats`.
 * @throws {TypeError} `ERR_INVALID_ARG_TYPE` when `fn` or `options.key` is not
 * a function, an option has the wrong type, or `options` is not an object
 * (a function there is told to be passed as `{ key }`, lodash's resolver);
 * `ERR_INVALID_ARG_VALUE` for an unknown option, naming the one to use
 * (`maxAge` → `ttl`, `cacheKey`/`resolver`/`normalizer` → `key`, `maxSize` →
 * `max`).
 * @throws {RangeError} `ERR_OUT_OF_RANGE` when `options.max` is not a positive
 * integer or `Infinity`, or `options.ttl` is not a positive number.
 *
 * @example
 * ```ts
 * import { memoize } from 'leakproof';
 *
 * const area = memoize((shape: Shape, scale: number) => expensiveArea(shape, scale), {
 *   max: 500,
 *   weak: true, // an entry goes when its shape does
 * });
 * area(circle, 2);
 * area(circle, 2); // cached
 * area.stats; // { hits: 1, misses: 1, size: 1 }
 * ```
 */
export function memoize<F extends (...args: any[]) => unknown>(
  fn: F,
  options?: MemoizeOptions<Parameters<F>>,
): Memoized<F> {
  validateFunction(fn, 'fn');
  validateMemoizeOptions(options, MEMOIZE_OPTIONS);
  const { max, ttl, key, weak } = readCacheOptions(options);
  let memoized: (this: unknown) => unknown;
  let methods: MemoizeCore;
  if (weak) {
    const memo = new WeakMemo(fn, key, max, ttl);
    memoized = weakMemoized(memo);
    methods = memo;
  } else if (key !== undefined) {
    const memo = new KeyedMemo(fn, key, max, ttl);
    memoized = keyedMemoized(memo);
    methods = memo;
  } else {
    const memo = new ArgsMemo(fn, max, ttl);
    memoized = argsMemoized(memo);
    methods = memo;
  }
  return attachMethods(memoized, methods, fn.name, fn.length) as unknown as Memoized<F>;
}

const MEMOIZE_OPTIONS = ['max', 'ttl', 'key', 'weak'] as const;

// ---------------------------------------------------------------------------
// Strong keys: a trie of Maps, one level per argument (internal/key-trie.ts).

// An LRU eviction listener that closes over the trie (and the memo whose
// front cache it keeps honest) only.
function pruneOnEvict(trie: KeyTrie, memo?: ArgsMemo): (value: unknown, key: unknown, reason: EvictReason) => void {
  return (_value, key, reason) => {
    // The one-entry front cache must never outlive (or misreport) its entry.
    if (memo !== undefined && key === memo.lastKey) memo.forgetLast();
    // 'set' replaces a value under the same key: the key stays.
    if (reason !== 'set' && key instanceof KeyNode) {
      key.cached = false;
      trie.prune(key);
    }
  };
}

/** Never an argument: the empty front cache. */
const NONE: unique symbol = /* @__PURE__ */ Symbol('none');

/** `memoize(fn)` with the default key: every argument, by SameValueZero. */
class ArgsMemo implements MemoizeCore {
  hits = 0;
  misses = 0;
  /**
   * A one-entry front cache for the one-argument path: the most recent
   * entry (the LRU's head), so a repeated call skips the LRU entirely. It is
   * emptied whenever that entry leaves or another entry becomes the head, so
   * it never changes what is cached or its order. Off with `ttl`, where every
   * hit must check the clock.
   */
  lastKey: unknown = NONE;
  lastValue: unknown = undefined;
  readonly front: boolean;
  readonly fn: (...args: never[]) => unknown;
  readonly trie = new KeyTrie();
  readonly lru: LRU<unknown, unknown>;

  constructor(fn: (...args: never[]) => unknown, max: number, ttl: number | undefined) {
    this.fn = fn;
    this.front = ttl === undefined || ttl === Infinity;
    this.lru = createLRU(max, ttl, pruneOnEvict(this.trie, this));
  }

  forgetLast(): void {
    this.lastKey = NONE;
    this.lastValue = undefined;
  }

  /** A miss on the several-arguments path. */
  miss(thisArg: unknown, args: IArguments): unknown {
    const length = args.length;
    this.misses++;
    const value = Reflect.apply(this.fn, thisArg, args);
    // Interned only after `fn` returned: a throwing call leaves no node behind.
    const node = this.trie.intern(args, length);
    node.cached = true;
    this.lru.set(node, store(value));
    return value;
  }

  #lookup(args: ArrayLike<unknown>): unknown {
    return args.length === 1 ? args[0] : this.trie.find(args, args.length);
  }

  delete(args: ArrayLike<unknown>): boolean {
    const key = this.#lookup(args);
    return key !== undefined || args.length === 1 ? this.lru.delete(key) : false;
  }

  has(args: ArrayLike<unknown>): boolean {
    const key = this.#lookup(args);
    return key !== undefined || args.length === 1 ? this.lru.has(key) : false;
  }

  clear(): void {
    this.lru.clear();
  }

  stats(): MemoizeStats {
    return { hits: this.hits, misses: this.misses, size: this.lru.size };
  }
}

// The returned function, made in a scope of its own that holds only the memo.
function argsMemoized(memo: ArgsMemo): (this: unknown) => unknown {
  const { fn, lru, trie, front } = memo;
  return function memoized(this: unknown): unknown {
    // One argument: the argument itself is the LRU key, so a hit allocates
    // nothing and costs one Map lookup plus the recency update, or a single
    // comparison when it repeats the previous call.
    if (arguments.length === 1) {
      const arg: unknown = arguments[0];
      if (arg === memo.lastKey) {
        memo.hits++;
        return memo.lastValue;
      }
      const hit = lru.get(arg);
      if (hit !== undefined) {
        memo.hits++;
        const value = hit === UNDEFINED ? undefined : hit;
        if (front) {
          memo.lastKey = arg;
          memo.lastValue = value;
        }
        return value;
      }
      memo.misses++;
      const value = fn.call(this, arg as never);
      lru.set(arg, value === undefined ? UNDEFINED : value);
      if (front) {
        memo.lastKey = arg;
        memo.lastValue = value;
      }
      return value;
    }
    // Several arguments (or none): walk the trie inline, reading `arguments`
    // by index so that a hit does not materialise it.
    memo.forgetLast();
    const length = arguments.length;
    let node: KeyNode | undefined = trie.root;
    for (let i = 0; i < length && node !== undefined; i++) node = node.children?.get(arguments[i]);
    if (node !== undefined) {
      const hit = lru.get(node);
      if (hit !== undefined) {
        memo.hits++;
        return hit === UNDEFINED ? undefined : hit;
      }
    }
    return memo.miss(this, arguments);
  };
}

/** `memoize(fn, { key })`: the key function's result is the LRU key. */
class KeyedMemo implements MemoizeCore {
  hits = 0;
  misses = 0;
  readonly fn: (...args: never[]) => unknown;
  readonly key: (...args: never[]) => unknown;
  readonly lru: LRU<unknown, unknown>;

  constructor(
    fn: (...args: never[]) => unknown,
    key: (...args: never[]) => unknown,
    max: number,
    ttl: number | undefined,
  ) {
    this.fn = fn;
    this.key = key;
    this.lru = createLRU(max, ttl, undefined);
  }

  delete(args: ArrayLike<unknown>): boolean {
    return this.lru.delete(Reflect.apply(this.key, undefined, args));
  }

  has(args: ArrayLike<unknown>): boolean {
    return this.lru.has(Reflect.apply(this.key, undefined, args));
  }

  clear(): void {
    this.lru.clear();
  }

  stats(): MemoizeStats {
    return { hits: this.hits, misses: this.misses, size: this.lru.size };
  }
}

function keyedMemoized(memo: KeyedMemo): (this: unknown) => unknown {
  const { fn, key, lru } = memo;
  return function memoized(this: unknown): unknown {
    const k = Reflect.apply(key, undefined, arguments);
    const hit = lru.get(k);
    if (hit !== undefined) {
      memo.hits++;
      return unstore(hit);
    }
    memo.misses++;
    const value = Reflect.apply(fn, this, arguments);
    lru.set(k, store(value));
    return value;
  };
}

// ---------------------------------------------------------------------------
// Weak keys: the trie and its tokens live in internal/weak-trie.ts.

function weakMemoized(memo: WeakMemo): (this: unknown) => unknown {
  const { fn, key } = memo;
  return function memoized(this: unknown): unknown {
    const args = arguments;
    const path = key === undefined ? args : [Reflect.apply(key, undefined, args)];
    const leaf = memo.get(path);
    if (leaf !== undefined) {
      memo.hits++;
      return leaf.value;
    }
    memo.misses++;
    const value = Reflect.apply(fn, this, args);
    memo.add(path, value);
    return value;
  };
}
