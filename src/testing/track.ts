// Weak bookkeeping of objects under test.
//
// The registry is module-level on purpose: a FinalizationRegistry held only by
// a local that optimised code considers dead is itself collected, after which
// nothing is ever finalized and every object looks retained (a false 0/200).

import { validateObject } from '../internal/validate.js';

interface TrackerState {
  finalized: number;
}

const registry = new FinalizationRegistry<TrackerState>((state) => {
  state.finalized++;
});

/**
 * A set of weakly held objects, counted by what the collector did to them.
 * Create one with {@link track}.
 */
export class Tracker {
  readonly #refs: WeakRef<object>[] = [];
  readonly #labels: string[] = [];
  readonly #state: TrackerState = { finalized: 0 };

  /**
   * Starts tracking `target` weakly and returns nothing, so the caller keeps
   * no reference by accident. `label` names it in failure messages.
   */
  add(target: object, label?: string): void {
    validateObject(target, 'target');
    if (label !== undefined && typeof label !== 'string') {
      throw new TypeError(`The "label" argument must be of type string. Received type ${typeof label}`);
    }
    this.#labels.push(label ?? `#${this.#refs.length}`);
    this.#refs.push(new WeakRef(target));
    registry.register(target, this.#state);
  }

  /** How many objects were tracked. */
  get size(): number {
    return this.#refs.length;
  }

  /**
   * How many tracked objects are still reachable. Reading a `WeakRef` keeps
   * its target alive until the current job ends, so check after a macrotask
   * turn, as `gcUntil` does.
   */
  alive(): number {
    let count = 0;
    for (const ref of this.#refs) if (ref.deref() !== undefined) count++;
    return count;
  }

  /** How many tracked objects have been collected (their `WeakRef` is empty). */
  collected(): number {
    return this.#refs.length - this.alive();
  }

  /**
   * How many finalization callbacks have run. It lags `collected()`: the
   * callbacks are a task of their own and often arrive a round later.
   */
  finalized(): number {
    return this.#state.finalized;
  }

  /** Labels of the objects still reachable, in the order they were added. */
  aliveLabels(): string[] {
    const labels: string[] = [];
    this.#refs.forEach((ref, i) => {
      if (ref.deref() !== undefined) labels.push(this.#labels[i] ?? `#${i}`);
    });
    return labels;
  }

  /**
   * @internal The WeakRefs (never the targets) of up to `limit` objects still
   * reachable, with their labels, for explanations.
   */
  aliveRefs(limit: number): Array<{ ref: WeakRef<object>; label: string }> {
    const found: Array<{ ref: WeakRef<object>; label: string }> = [];
    for (let i = 0; i < this.#refs.length && found.length < limit; i++) {
      const ref = this.#refs[i]!;
      if (ref.deref() !== undefined) found.push({ ref, label: this.#labels[i] ?? `#${i}` });
    }
    return found;
  }

  /** Labels of the objects already collected, in the order they were added. */
  collectedLabels(): string[] {
    const labels: string[] = [];
    this.#refs.forEach((ref, i) => {
      if (ref.deref() === undefined) labels.push(this.#labels[i] ?? `#${i}`);
    });
    return labels;
  }
}

/**
 * Creates a {@link Tracker}: objects added to it are held only through
 * `WeakRef`s and a module-level `FinalizationRegistry`.
 *
 * Add objects from a function of their own and let it return: a `const` in a
 * suspended `async` function stays alive until that function returns.
 *
 * @example
 * ```ts
 * import { track, expectCollectable } from 'leakproof/testing';
 * const tracker = track();
 * for (let i = 0; i < 100; i++) tracker.add(makePayload(), `payload ${i}`);
 * await expectCollectable(tracker, { atLeast: 99 });
 * ```
 */
export function track(): Tracker {
  return new Tracker();
}
