// The weak-key trie of `memoize(fn, { weak: true })`, with its token
// protocol between the trie and the LRU that bounds it.
//
// Leak: a "weak" memoizer that keeps its results in a strong LRU next to a
// WeakMap keeps a key object alive through any result that references it (the
// ephemeron pitfall), and a Map of WeakMaps keeps one inner map per dead key.
//
// Invariant: a result is reachable only through WeakMap edges keyed by the
// call's object arguments, so it dies with any of them, even when it
// references them. The LRU holds a small token per entry (order, count, TTL)
// that reaches the result only through a `WeakRef`; a per-cache
// FinalizationRegistry removes the token once its entry dies, and the token's
// release prunes the trie, so the trie holds no node without a live entry
// beneath it.
//
// Refs: https://tc39.es/ecma262/#sec-weakmap-objects (ephemeron semantics).
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


import type { EvictReason, LRU } from '../lru.js';
import { createLRU, type MemoizeCore, type MemoizeStats } from './memo-cache.js';

function isObject(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

export class WeakNode {
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

export class WeakMemo implements MemoizeCore {
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

