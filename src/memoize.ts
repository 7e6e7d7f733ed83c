// `memoize` and `memoizeAsync`: bounded memoization, with weakly held keys
// and per-caller abort.
//
// Leak: `const cache = new Map(); (x) => cache.has(x) ? cache.get(x) : ...`,
// the body of `_.memoize`, p-memoize, memoize and fast-memoize by default. The
// map only grows: every argument ever seen and every result stays reachable
// for as long as the function lives, usually the whole process. Multi-argument
// memoizers stringify the arguments (`JSON.stringify`), so distinct objects
// collide, and a memoized function that caches its promise caches rejections
// too. A "weak" memoizer that keeps results in a strong LRU next to a WeakMap
// keeps a key alive through any result that references it (the ephemeron
// pitfall). Async memoizers that honour an AbortSignal (lru-cache's `fetch`)
// leave a listener on the caller's signal for every call that resolves, and
// one caller's abort rejects every caller sharing the fetch.
//
// Invariant:
// - Every entry lives in an `LRU` with a finite default bound (1,000), so the
//   cache never holds more than `max` results; arguments are compared by
//   SameValueZero through a trie of Maps, never stringified, and each trie node
//   is removed when its last entry is. The one-argument path's front cache
//   (the last entry used) is emptied whenever that entry leaves the LRU.
// - `weak: true`: a result is reachable only through WeakMap edges keyed by
//   the call's object arguments, so it dies with any of them, even when it
//   references them. The LRU holds a small token per entry (order, count,
//   TTL) that reaches the result only through a `WeakRef`; a per-cache
//   FinalizationRegistry removes the token once its entry dies, and the token's
//   release prunes the trie.
// - `memoizeAsync`: one in-flight call per key, subscribed to once
//   (internal/contender-registry.ts); each caller is a subscriber that detaches
//   from it and from its own signal on settle or abort, so nothing a caller
//   passed in outlives its call, and nothing but the waiting callers keeps the
//   shared call's signal from aborting.
//
// Refs: leakproof issue 4 (§2, §3); lru-cache 11 `fetch()` (measured: a
// listener per resolved call on the caller's signal, test/memoize.gc.test.ts);
// https://tc39.es/ecma262/#sec-weakmap-objects (ephemeron semantics).

import { clearResolvers, lastReject, lastResolve, newPromise } from './internal/resolvers.js';
import { type Contender, type Subscriber, subscribe } from './internal/contender-registry.js';
import {
  type CodedTypeError,
  invalidArgType,
  invalidArgValue,
  isAbortSignal,
  validateBoolean,
  validateFunction,
  validateInteger,
  outOfRange,
  validateOptionalFunction,
  validateOptions,
} from './internal/validate.js';
import { type EvictReason, LRU, type LRUOptions } from './lru.js';

// ---------------------------------------------------------------------------
// Public types

/** The default bound of {@link memoize} and {@link memoizeAsync}: 1,000 entries. */
export const MEMOIZE_DEFAULT_MAX = 1000;

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
export interface MemoizeStats {
  /** Calls answered from the cache (for {@link memoizeAsync}: or by joining an in-flight call). */
  readonly hits: number;
  /** Calls that ran the underlying function. */
  readonly misses: number;
  /**
   * Entries in the cache. With `weak: true` it may count entries whose key
   * object was collected until their finalizer runs (a later task).
   */
  readonly size: number;
}

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

/** The context {@link memoizeAsync} passes to the underlying function as its last argument. */
export interface MemoizeAsyncContext {
  /**
   * Aborts when every caller waiting on this call has aborted (with the last
   * one's reason). Pass it on to the work so abandoned work stops.
   */
  readonly signal: AbortSignal;
}

/** The per-call options a function returned by {@link memoizeAsync} accepts after its arguments. */
export interface MemoizeAsyncCallOptions {
  /** Aborting it rejects this call (with `signal.reason`); other callers are not affected. */
  signal?: AbortSignal | undefined;
}

/** Options of {@link memoizeAsync}. */
export interface MemoizeAsyncOptions<A extends readonly unknown[] = unknown[]> {
  /** The most fulfilled values kept; the least recently used is dropped first. @default 1000 */
  max?: number;
  /** Milliseconds a fulfilled value stays cached, counted from fulfilment. @default no expiry */
  ttl?: number;
  /** Computes the cache key from the key arguments; compared by SameValueZero, never stringified. */
  key?: (...args: A) => unknown;
  /**
   * How many arguments before the context are key arguments, and so where a
   * call's options object is. Set it when `fn` has default or rest
   * parameters, which `fn.length` does not count.
   * @default Math.max(fn.length - 1, 0)
   */
  arity?: number;
}

/** Counters of a function returned by {@link memoizeAsync}. */
export interface MemoizeAsyncStats extends MemoizeStats {
  /** Calls in flight (each shared by one or more callers). */
  readonly pending: number;
}

/** What {@link memoizeAsync} returns. */
export interface MemoizedAsync<A extends readonly unknown[], R, This = unknown> {
  (this: This, ...args: [...A, MemoizeAsyncCallOptions?]): Promise<R>;
  /** Drops every cached value and detaches in-flight calls (their callers still get the result, which is not cached). */
  clear(): void;
  /** Drops the cached value and detaches the in-flight call for these arguments; true if there was either. */
  delete(...args: A): boolean;
  /** Whether a fulfilled, unexpired value is cached for these arguments; does not touch recency. */
  has(...args: A): boolean;
  /** Hit, miss and in-flight counts and the cache size (a fresh snapshot on each read). */
  readonly stats: MemoizeAsyncStats;
}

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
 * use {@link memoizeAsync} for async functions.
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
 * failure ({@link memoizeAsync} does), compare arguments structurally (two
 * equal-looking objects are two keys; use `key`), or hold primitive arguments
 * weakly.
 *
 * @param fn The function to memoize.
 * @param options `max`, `ttl`, `key`, `weak`.
 * @returns A function with `fn`'s exact type, plus `clear()`, `delete(...args)`,
 * `has(...args)` and `stats`.
 * @throws {TypeError} `ERR_INVALID_ARG_TYPE` when `fn` or `options.key` is not
 * a function, or an option has the wrong type.
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
  const { max, ttl, key, weak } = readMemoizeOptions(options);
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
  return attachMethods(memoized, methods) as unknown as Memoized<F>;
}

interface ReadOptions {
  max: number;
  ttl: number | undefined;
  key: ((...args: never[]) => unknown) | undefined;
  weak: boolean;
}

function readMemoizeOptions(options: MemoizeOptions<never> | undefined): ReadOptions {
  validateOptions(options, 'options');
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

/** What every cache variant implements behind the public methods. */
interface MemoizeCore {
  clear(): void;
  delete(args: ArrayLike<unknown>): boolean;
  has(args: ArrayLike<unknown>): boolean;
  stats(): MemoizeStats | MemoizeAsyncStats;
}

// Methods close over the core only: the memoized function and its methods
// live and die together, so sharing that context costs nothing.
function attachMethods<T extends object>(target: T, core: MemoizeCore): T {
  Object.defineProperties(target, {
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
const UNDEFINED: unique symbol = /* @__PURE__ */ Symbol('undefined');

function store(value: unknown): unknown {
  return value === undefined ? UNDEFINED : value;
}

function unstore(value: unknown): unknown {
  return value === UNDEFINED ? undefined : value;
}

function createLRU<K, V>(
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

// ---------------------------------------------------------------------------
// Strong keys: a trie of Maps, one level per argument.

/**
 * A node of the argument trie. The node reached by a call's arguments is that
 * call's LRU key (calls with one argument use the argument itself instead).
 * Children are keyed by the next argument; a node is removed from its parent
 * once it has no entry, no in-flight call and no children.
 */
class KeyNode {
  children: Map<unknown, KeyNode> | null = null;
  /** Whether the LRU holds an entry under this node. */
  cached = false;
  /** Whether an in-flight call (memoizeAsync) is registered under this node. */
  inFlight = false;
  readonly parent: KeyNode | null;
  readonly edge: unknown;

  constructor(parent: KeyNode | null, edge: unknown) {
    this.parent = parent;
    this.edge = edge;
  }
}

class KeyTrie {
  readonly root = new KeyNode(null, undefined);

  /** The node for `args[0..length)`, or undefined when there is none. Allocates nothing. */
  find(args: ArrayLike<unknown>, length: number): KeyNode | undefined {
    let node: KeyNode | undefined = this.root;
    for (let i = 0; i < length && node !== undefined; i++) {
      node = node.children?.get(args[i]);
    }
    return node;
  }

  /** The node for `args[0..length)`, created as needed. */
  intern(args: ArrayLike<unknown>, length: number): KeyNode {
    let node = this.root;
    for (let i = 0; i < length; i++) {
      const arg = args[i];
      const children: Map<unknown, KeyNode> = (node.children ??= new Map());
      let child = children.get(arg);
      if (child === undefined) {
        child = new KeyNode(node, arg);
        children.set(arg, child);
      }
      node = child;
    }
    return node;
  }

  /** Removes `node` and its emptied ancestors once nothing uses them. */
  prune(node: KeyNode): void {
    let current = node;
    let parent = current.parent;
    while (
      parent !== null &&
      !current.cached &&
      !current.inFlight &&
      (current.children === null || current.children.size === 0)
    ) {
      const siblings = parent.children!;
      // Already replaced (a re-entrant call interned the same path anew).
      if (siblings.get(current.edge) !== current) return;
      siblings.delete(current.edge);
      if (siblings.size === 0) parent.children = null;
      current = parent;
      parent = current.parent;
    }
  }
}

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
// Weak keys
//
// The trie has two maps per node: a Map for primitive arguments and a WeakMap
// for object arguments. A result lives on its leaf node, so it is reachable
// only while every WeakMap edge on its path is: while all of the call's object
// arguments are alive. Nodes point to their parent and keep their own edge
// argument; that is safe because nothing outside the trie holds a node below
// a WeakMap edge strongly, so the node (and the argument it keeps) is only
// reachable through the ephemeron keyed by that very argument.
//
// The LRU holds one token per entry. A token reaches:
// - `anchor`: the deepest node of the path that hangs off the root by Map
//   edges only (the leaf itself when the path has no object argument). Those
//   nodes are alive anyway while they are in the trie, so holding them adds no
//   lifetime;
// - `below`: WeakRefs to the nodes under the first WeakMap edge, the leaf last.
// Each node counts the tokens at or below it; releasing a token (evicted,
// expired, deleted, cleared, or its leaf collected) decrements every node of
// its path that still exists and detaches those that reach zero, so the trie
// holds no node without a live entry beneath it.
//
// The FinalizationRegistry is per cache on purpose: a token's anchor reaches
// the whole trie, so a module-level registry holding tokens would keep a
// dropped cache alive for as long as any of its key objects lived. A per-cache
// registry is collected with its cache.

function isObject(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

class WeakNode {
  strong: Map<unknown, WeakNode> | null = null;
  weak: WeakMap<object, WeakNode> | null = null;
  /** Unreleased tokens at or below this node. */
  count = 0;
  /** Set while this node is an entry. */
  token: Token | null = null;
  value: unknown = undefined;
  readonly parent: WeakNode | null;
  readonly edge: unknown;
  /** Whether a WeakMap edge lies between the root and this node. */
  readonly weakPath: boolean;
  #ref: WeakRef<WeakNode> | null = null;

  constructor(parent: WeakNode | null, edge: unknown, weakPath: boolean) {
    this.parent = parent;
    this.edge = edge;
    this.weakPath = weakPath;
  }

  /** One shared WeakRef per node, for the tokens beneath it. */
  ref(): WeakRef<WeakNode> {
    return (this.#ref ??= new WeakRef(this));
  }

  child(arg: unknown): WeakNode | undefined {
    return isObject(arg) ? this.weak?.get(arg) : this.strong?.get(arg);
  }

  detach(): void {
    const parent = this.parent!;
    const { edge } = this;
    // The identity checks skip a node that was already replaced.
    if (isObject(edge)) {
      if (parent.weak!.get(edge) === this) parent.weak!.delete(edge);
    } else {
      const siblings = parent.strong;
      if (siblings === null || siblings.get(edge) !== this) return;
      siblings.delete(edge);
      if (siblings.size === 0) parent.strong = null;
    }
  }
}

class Token {
  released = false;
  registered = false;
  anchor: WeakNode | null;
  below: WeakRef<WeakNode> | Array<WeakRef<WeakNode>> | null;

  constructor(anchor: WeakNode, below: WeakRef<WeakNode> | Array<WeakRef<WeakNode>> | null) {
    this.anchor = anchor;
    this.below = below;
  }
}

class WeakMemo implements MemoizeCore {
  hits = 0;
  misses = 0;
  readonly fn: (...args: never[]) => unknown;
  readonly key: ((...args: never[]) => unknown) | undefined;
  readonly root = new WeakNode(null, undefined, false);
  readonly lru: LRU<Token, Token>;
  #registry: FinalizationRegistry<Token> | null = null;

  constructor(
    fn: (...args: never[]) => unknown,
    key: ((...args: never[]) => unknown) | undefined,
    max: number,
    ttl: number | undefined,
  ) {
    this.fn = fn;
    this.key = key;
    this.lru = createLRU<Token, Token>(max, ttl, releaseOnEvict(this));
  }

  find(path: ArrayLike<unknown>): WeakNode | undefined {
    let node: WeakNode | undefined = this.root;
    for (let i = 0; i < path.length && node !== undefined; i++) node = node.child(path[i]);
    return node;
  }

  get(path: ArrayLike<unknown>): WeakNode | undefined {
    const leaf = this.find(path);
    // `lru.get` moves the token to the front, or expires it (which releases
    // the entry through `onEvict`).
    return leaf !== undefined && leaf.token !== null && this.lru.get(leaf.token) !== undefined ? leaf : undefined;
  }

  add(path: ArrayLike<unknown>, value: unknown): void {
    let leaf = this.root;
    for (let i = 0; i < path.length; i++) {
      const arg = path[i];
      let next = leaf.child(arg);
      if (next === undefined) {
        const weakEdge = isObject(arg);
        next = new WeakNode(leaf, arg, leaf.weakPath || weakEdge);
        if (weakEdge) (leaf.weak ??= new WeakMap()).set(arg, next);
        else (leaf.strong ??= new Map()).set(arg, next);
      }
      leaf = next;
    }
    if (leaf.token !== null) {
      // `fn` called back into the memoized function with the same arguments
      // and that inner call stored first: keep its entry, take the newer value.
      leaf.value = value;
      this.lru.get(leaf.token);
      return;
    }
    const token = this.#tokenFor(leaf);
    leaf.token = token;
    leaf.value = value;
    if (leaf.weakPath) {
      this.#registry ??= new FinalizationRegistry(releaseOnCollect(this));
      this.#registry.register(leaf, token, token);
      token.registered = true;
    }
    // Counted before `set`, whose evictions may prune shared ancestors.
    this.lru.set(token, token);
  }

  #tokenFor(leaf: WeakNode): Token {
    let node: WeakNode = leaf;
    let below: WeakRef<WeakNode> | Array<WeakRef<WeakNode>> | null = null;
    for (let n: WeakNode | null = leaf; n !== null; n = n.parent) n.count++;
    while (node.weakPath) {
      const ref = node.ref();
      if (below === null) below = ref;
      else if (Array.isArray(below)) below.push(ref);
      else below = [below, ref];
      node = node.parent!;
    }
    // Collected leaf-first; stored root-first (the leaf last).
    if (Array.isArray(below)) below.reverse();
    return new Token(node, below);
  }

  /** The one release path of an entry; idempotent. */
  release(token: Token): void {
    if (token.released) return;
    token.released = true;
    if (token.registered) this.#registry!.unregister(token);
    const { anchor, below } = token;
    token.anchor = null;
    token.below = null;
    // The leaf is the last node of the path; clear its entry first.
    const leaf = below === null ? anchor : Array.isArray(below) ? below[below.length - 1]!.deref() : below.deref();
    if (leaf !== undefined && leaf !== null && leaf.token === token) {
      leaf.token = null;
      leaf.value = undefined;
    }
    // Bottom-up, so a detached child is never reattached through its parent.
    if (below !== null) {
      if (Array.isArray(below)) {
        for (let i = below.length - 1; i >= 0; i--) decrement(below[i]!.deref());
      } else {
        decrement(below.deref());
      }
    }
    for (let n: WeakNode | null = anchor; n !== null; n = n.parent) decrement(n);
  }

  /** Finalizer: the leaf of `token` was collected with one of its key objects. */
  collected(token: Token): void {
    if (token.released) return;
    this.release(token);
    this.lru.delete(token);
  }

  #path(args: ArrayLike<unknown>): ArrayLike<unknown> {
    return this.key === undefined ? args : [Reflect.apply(this.key, undefined, args)];
  }

  delete(args: ArrayLike<unknown>): boolean {
    const token = this.find(this.#path(args))?.token;
    return token != null && this.lru.delete(token);
  }

  has(args: ArrayLike<unknown>): boolean {
    const token = this.find(this.#path(args))?.token;
    return token != null && this.lru.has(token);
  }

  clear(): void {
    this.lru.clear();
  }

  stats(): MemoizeStats {
    return { hits: this.hits, misses: this.misses, size: this.lru.size };
  }
}

function decrement(node: WeakNode | undefined): void {
  if (node === undefined) return;
  if (--node.count === 0 && node.parent !== null) node.detach();
}

function releaseOnEvict(memo: WeakMemo): (value: Token, key: Token, reason: EvictReason) => void {
  return (_value, token, reason) => {
    if (reason !== 'set') memo.release(token);
  };
}

function releaseOnCollect(memo: WeakMemo): (token: Token) => void {
  return (token) => memo.collected(token);
}

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

// ---------------------------------------------------------------------------
// memoizeAsync

/**
 * Memoizes an async function: concurrent calls with the same key share one
 * in-flight call, fulfilled values are cached in a bounded LRU, and each
 * caller can abort on its own.
 *
 * `fn` receives the key arguments and then a context `{ signal }`; the
 * returned function takes the key arguments and then, optionally,
 * `{ signal }`. How many arguments are key arguments is `fn.length - 1` (the
 * parameters before the context), or `options.arity`; missing key arguments
 * count as `undefined`. The key compares key arguments by SameValueZero,
 * never stringified, or is `options.key(...keyArgs)`. `this` is passed through
 * to `fn` (a shared call gets its first caller's) and is not part of the key.
 * In TypeScript, annotate
 * the context parameter (`{ signal }: MemoizeAsyncContext`) so the key
 * arguments can be inferred.
 *
 * Guarantees:
 * - Concurrent calls for one key run `fn` once; fulfilled values are cached
 *   (TTL counted from fulfilment); rejections and aborted calls never are.
 * - A caller's abort rejects only that caller, with its `signal.reason`. The
 *   signal `fn` receives aborts only once every caller waiting on the call has
 *   aborted; the call is then forgotten, so the next caller starts afresh.
 * - No listener stays on a caller's signal once its call has settled or
 *   aborted; an already-aborted signal rejects at once, attaches nothing and
 *   neither starts nor joins a call. The in-flight promise carries one
 *   reaction however many callers wait on it; a caller that leaves is
 *   unreachable from it.
 * - `delete`/`clear` while a call is in flight do not affect its callers; they
 *   still get its result, which is not cached (the next caller starts anew).
 *
 * Does not: stop the underlying work by itself (pass the context `signal` on),
 * cache rejections, hold keys weakly, or count in-flight calls against `max`
 * (their number is bounded by the calls waiting on them).
 *
 * @param fn `(...keyArgs, { signal }) => value | Promise<value>`.
 * @param options `max`, `ttl`, `key`, `arity`.
 * @returns `(...keyArgs, { signal }?) => Promise<value>`, plus `clear()`,
 * `delete(...keyArgs)`, `has(...keyArgs)` and `stats`. A call rejects with a
 * `TypeError` (`ERR_INVALID_ARG_TYPE`/`ERR_INVALID_ARG_VALUE`) when its
 * options or `signal` are invalid or it has too many arguments.
 * @throws {TypeError} `ERR_INVALID_ARG_TYPE` when `fn` or `options.key` is not
 * a function, or an option has the wrong type.
 * @throws {RangeError} `ERR_OUT_OF_RANGE` when `options.max` is not a positive
 * integer or `Infinity`, `options.ttl` is not a positive number, or
 * `options.arity` is not a non-negative integer.
 *
 * @example
 * ```ts
 * import { memoizeAsync, type MemoizeAsyncContext } from 'leakproof';
 *
 * const getUser = memoizeAsync(
 *   (id: string, { signal }: MemoizeAsyncContext) => fetchUser(id, { signal }),
 *   { max: 1000, ttl: 60_000 },
 * );
 * // Two requests for the same user share one fetch; either may give up alone.
 * const user = await getUser(id, { signal: request.signal });
 * ```
 */
export function memoizeAsync<A extends unknown[], R, This = unknown>(
  fn: (this: This, ...args: [...A, MemoizeAsyncContext]) => R,
  options?: MemoizeAsyncOptions<A>,
): MemoizedAsync<A, Awaited<R>, This> {
  validateFunction(fn, 'fn');
  validateOptions(options, 'options');
  const { max, ttl, key } = readMemoizeOptions(options === undefined ? undefined : { ...options, weak: false });
  const arity = options?.arity === undefined ? Math.max(fn.length - 1, 0) : options.arity;
  validateInteger(arity, 'options.arity', 0, 1024);
  const memo = new AsyncMemo(fn as (...args: never[]) => unknown, key, arity, max, ttl);
  return attachMethods(asyncMemoized(memo), memo) as unknown as MemoizedAsync<A, Awaited<R>, This>;
}

/** The LRU key of a zero-arity function's single entry. */
const NO_ARGS: unique symbol = /* @__PURE__ */ Symbol('no arguments');

class AsyncMemo implements MemoizeCore {
  hits = 0;
  misses = 0;
  readonly fn: (...args: never[]) => unknown;
  readonly key: ((...args: never[]) => unknown) | undefined;
  readonly arity: number;
  /** Present when the key is two or more arguments without a `key` option. */
  readonly trie: KeyTrie | null;
  readonly lru: LRU<unknown, unknown>;
  readonly flights = new Map<unknown, Flight>();

  constructor(
    fn: (...args: never[]) => unknown,
    key: ((...args: never[]) => unknown) | undefined,
    arity: number,
    max: number,
    ttl: number | undefined,
  ) {
    this.fn = fn;
    this.key = key;
    this.arity = arity;
    this.trie = key === undefined && arity >= 2 ? new KeyTrie() : null;
    this.lru = createLRU(max, ttl, this.trie === null ? undefined : pruneOnEvict(this.trie));
  }

  call(thisArg: unknown, args: IArguments): Promise<unknown> {
    const { arity } = this;
    let signal: AbortSignal | undefined;
    let lookup: unknown;
    try {
      if (args.length > arity) signal = readCallOptions(args, arity);
      if (signal?.aborted) return Promise.reject(signal.reason);
      lookup = this.#find(args);
    } catch (error) {
      return Promise.reject(error);
    }
    if (lookup !== MISSING) {
      const hit = this.lru.get(lookup);
      if (hit !== undefined) {
        this.hits++;
        return Promise.resolve(unstore(hit));
      }
      const flight = this.flights.get(lookup);
      if (flight !== undefined) {
        this.hits++;
        return flight.join(signal);
      }
    }
    this.misses++;
    return this.#start(thisArg, args, signal, lookup);
  }

  /** The LRU key for `args`, or MISSING when no entry can exist (an absent trie path). */
  #find(args: ArrayLike<unknown>): unknown {
    if (this.key !== undefined) return Reflect.apply(this.key, undefined, keyArgs(args, this.arity));
    if (this.arity === 1) return args[0];
    if (this.arity === 0) return NO_ARGS;
    return this.trie!.find(padded(args, this.arity), this.arity) ?? MISSING;
  }

  #start(thisArg: unknown, args: IArguments, signal: AbortSignal | undefined, lookup: unknown): Promise<unknown> {
    const controller = new AbortController();
    const callArgs = keyArgs(args, this.arity) as unknown[];
    callArgs.push({ signal: controller.signal } satisfies MemoizeAsyncContext);
    let result: unknown;
    let key: unknown;
    try {
      result = Reflect.apply(this.fn, thisArg, callArgs);
      // Interned after `fn` returned (a throw leaves no node behind), and
      // always anew: the node looked up may have just expired and been pruned.
      key = this.trie === null ? lookup : this.trie.intern(padded(args, this.arity), this.arity);
    } catch (error) {
      // A synchronous throw is that caller's alone: nothing to share or cache.
      return Promise.reject(error);
    }
    const promise = Promise.resolve(result);
    const flight = new Flight(this, key, controller);
    // Our own record (not shared): one reaction on the promise for the whole
    // call; the flight is its first subscriber, so it caches the value before
    // any caller's promise resolves.
    flight.record = subscribe(promise, flight, false);
    this.flights.set(key, flight);
    if (key instanceof KeyNode) key.inFlight = true;
    return flight.join(signal);
  }

  /** Forgets `flight` (settled, abandoned, deleted or cleared); idempotent. */
  detach(flight: Flight): void {
    const key = flight.key;
    if (flight.memo === null) return;
    flight.memo = null;
    flight.key = undefined;
    if (this.flights.get(key) === flight) this.flights.delete(key);
    if (key instanceof KeyNode) {
      key.inFlight = false;
      this.trie!.prune(key);
    }
  }

  fulfilled(flight: Flight, value: unknown): void {
    const key = flight.key;
    // Cache first, then detach: interning must not be pruned in between.
    if (key instanceof KeyNode) key.cached = true;
    this.lru.set(key, store(value));
    this.detach(flight);
  }

  delete(args: ArrayLike<unknown>): boolean {
    const key = this.#find(args);
    if (key === MISSING) return false;
    const flight = this.flights.get(key);
    if (flight !== undefined) this.detach(flight);
    return this.lru.delete(key) || flight !== undefined;
  }

  has(args: ArrayLike<unknown>): boolean {
    const key = this.#find(args);
    return key !== MISSING && this.lru.has(key);
  }

  clear(): void {
    for (const flight of [...this.flights.values()]) this.detach(flight);
    this.lru.clear();
  }

  stats(): MemoizeAsyncStats {
    return { hits: this.hits, misses: this.misses, size: this.lru.size, pending: this.flights.size };
  }
}

const MISSING: unique symbol = /* @__PURE__ */ Symbol('missing');

function padded(args: ArrayLike<unknown>, arity: number): ArrayLike<unknown> {
  return args.length >= arity ? args : keyArgs(args, arity);
}

/** The first `arity` arguments, missing ones as `undefined`. */
function keyArgs(args: ArrayLike<unknown>, arity: number): unknown[] {
  const out = new Array<unknown>(arity);
  for (let i = 0; i < arity; i++) out[i] = args[i];
  return out;
}

/** Validates the options object after the key arguments; returns its signal. */
function readCallOptions(args: ArrayLike<unknown>, arity: number): AbortSignal | undefined {
  if (args.length > arity + 1) throw tooManyArguments(arity, args.length);
  const options = args[arity];
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  // A key argument taken for the options object (`fn.length` miscounted the
  // key arguments) would silently share one entry across keys: refuse it.
  for (const name in options) {
    if (name !== 'signal' && Object.hasOwn(options, name)) {
      throw invalidArgValue('options', `has an unknown property "${name}" (only "signal" is accepted; check options.arity)`, options);
    }
  }
  const { signal } = options as MemoizeAsyncCallOptions;
  if (signal !== undefined && !isAbortSignal(signal)) {
    throw invalidArgType('options.signal', 'an instance of AbortSignal', signal);
  }
  return signal;
}

function tooManyArguments(arity: number, received: number): CodedTypeError {
  const error = new TypeError(
    `The memoized function takes ${arity} key argument(s) and an options object (options.arity is ${arity}; ` +
      `set it when fn has default or rest parameters). Received ${received} arguments`,
  ) as CodedTypeError;
  error.code = 'ERR_INVALID_ARG_VALUE';
  return error;
}

function asyncMemoized(memo: AsyncMemo): (this: unknown) => Promise<unknown> {
  return function memoized(this: unknown): Promise<unknown> {
    return memo.call(this, arguments);
  };
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
    const promise = newPromise<unknown>();
    const waiter = new Waiter(this, signal, lastResolve(), lastReject());
    clearResolvers();
    this.waiting++;
    // The flight is in the cache only while its record is pending, so adding
    // directly (no marker job) is safe: the record's reaction will deliver.
    this.record!.add(waiter);
    if (signal !== undefined) {
      // Checked on entry; only `fn` itself, run just now, can have aborted it.
      if (signal.aborted) waiter.handleEvent();
      else signal.addEventListener('abort', waiter);
    }
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
 * One caller waiting on a flight. It is its own abort listener
 * (`handleEvent`), so a call allocates no closure, and it releases everything
 * it holds before settling the caller's promise.
 */
class Waiter implements Subscriber {
  #flight: Flight | null;
  #signal: AbortSignal | undefined;
  #resolve: Resolve | null;
  #reject: Reject | null;

  constructor(flight: Flight, signal: AbortSignal | undefined, resolve: Resolve, reject: Reject) {
    this.#flight = flight;
    this.#signal = signal;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  get done(): boolean {
    return this.#resolve === null;
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

  /** The caller's signal aborted (an `EventListener` object: no closure per caller). */
  handleEvent(): void {
    const reject = this.#reject;
    if (reject === null) return;
    const reason = this.#signal!.reason;
    const flight = this.#flight!;
    this.#release();
    reject(reason);
    flight.leave(this, reason);
  }

  // The one release path: detach from the signal and drop everything.
  #release(): void {
    this.#resolve = this.#reject = null;
    this.#signal?.removeEventListener('abort', this);
    this.#signal = undefined;
    this.#flight = null;
  }
}
