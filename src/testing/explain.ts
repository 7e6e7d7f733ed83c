// Retainer paths: why is this object still reachable?
//
// Leak it diagnoses: a failed collectability check says *that* something
// survived, not what holds it. This file finds the shortest chain of strong
// references from a GC root to the object in a V8 heap snapshot of this very
// process and tells it in a developer's words.
//
// Invariant: explaining never keeps the object alive itself. The object is
// reached only to learn its heap-snapshot id (in a job of its own, through the
// inspector, whose object group is released at once); the snapshot is taken in
// a later macrotask, so neither a WeakRef's keep-during-job set nor a frame of
// ours is a root of the path we report. Weak edges are never followed.

import { ExplanationUnavailableError, type RetainerExplanation } from './errors.js';

/** Options of {@link explainRetention}. */
export interface ExplainOptions {
  /**
   * No snapshot is taken when the V8 heap (`heapUsed`) is larger than this:
   * a snapshot costs time and memory in proportion to the heap.
   * @default 1 GiB
   */
  maxHeapBytes?: number;
  /** Names the object in the result. @default 'object' */
  label?: string;
}

/**
 * Finds the shortest chain of strong references from a GC root to `target`
 * and names each holder and reference the way a developer would.
 *
 * Pass an object you do not otherwise keep: a local of the calling `async`
 * function that is still in scope is itself a root ("locals of suspended async
 * function …"), which is true but rarely what you want to know. Passing a
 * `WeakRef` explains its target.
 *
 * @returns the path, or `undefined` when the object is no longer reachable.
 * @throws {ExplanationUnavailableError} (rejects) when no snapshot can be
 * taken or read here.
 *
 * @example
 * ```ts
 * import { explainRetention } from 'leakproof/testing';
 * const ref = new WeakRef(makeThing());
 * console.log(await explainRetention(ref));
 * // { label: 'object', root: 'global object', steps: [{ holder: "module-level variable `cache` of app.js", edge: 'Map entry' }, …] }
 * ```
 */
export function explainRetention(target: object, options?: ExplainOptions): Promise<RetainerExplanation | undefined> {
  void target;
  void options;
  return Promise.reject(new ExplanationUnavailableError('not implemented yet'));
}
