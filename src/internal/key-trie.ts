// The strong-key trie of `memoize`: one level per argument, so a call's
// arguments are compared one by one by SameValueZero and never stringified.
//
// Leak: a multi-argument memoizer that keeps one Map level per argument and
// never removes a level keeps every argument ever seen alive through the
// empty inner Maps of evicted entries; one that stringifies arguments makes
// distinct objects collide.
//
// Invariant: a node exists only while an entry is cached at it or below it.
// `prune` removes a node, and every ancestor it empties, as soon as its entry
// leaves the LRU, so the trie shrinks with the cache and holds no argument of
// an entry that is gone.

/**
 * A node of the argument trie. The node reached by a call's arguments is that
 * call's LRU key (calls with one argument use the argument itself instead).
 * Children are keyed by the next argument; a node is removed from its parent
 * once it has no entry and no children.
 */
export class KeyNode {
  children: Map<unknown, KeyNode> | null = null;
  /** Whether the LRU holds an entry under this node. */
  cached = false;
  readonly parent: KeyNode | null;
  readonly edge: unknown;

  constructor(parent: KeyNode | null, edge: unknown) {
    this.parent = parent;
    this.edge = edge;
  }
}

export class KeyTrie {
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
    while (parent !== null && !current.cached && (current.children === null || current.children.size === 0)) {
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
