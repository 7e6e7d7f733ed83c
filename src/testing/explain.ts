// Retainer paths: why is this object still reachable?
//
// Leak it diagnoses: a failed collectability check says *that* something
// survived, not what holds it. This file finds the shortest chain of strong
// references from a GC root to the object in a V8 heap snapshot of this very
// process and tells it in a developer's words (retainer-path.ts).
//
// Invariant: explaining never keeps the object alive itself. The kit holds it
// only through a WeakRef; it is read once, to learn its heap-snapshot id, in a
// job of its own and through the inspector, whose object group is released at
// once; the snapshot is taken two macrotasks later, so neither a WeakRef's
// keep-during-job set nor a frame of ours is a root of the path we report.
// Weak edges are never followed. One snapshot at a time is held, and it is
// dropped before the call returns.

import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { validateInteger, validateNumber, validateObject, validateOptionsBag } from '../internal/validate.js';
import { ExplanationUnavailableError, type RetainerExplanation } from './errors.js';
import { explainPath, findNodeById, searchFromRoots } from './retainer-path.js';
import { SnapshotSession } from './snapshot-session.js';

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

/** @internal Default cap: a 1 GiB heap takes tens of seconds to snapshot and parse. */
export const DEFAULT_MAX_HEAP_BYTES = 1024 * 1024 * 1024;

/** @internal What the kit's assertions get back: paths, or why there are none. */
export interface Explained {
  retainers: RetainerExplanation[];
  unavailable: string | undefined;
}

/**
 * Finds the shortest chain of strong references from a GC root to `target`
 * and names each holder and reference the way a developer would.
 *
 * Pass an object you do not otherwise keep: a local of the calling `async`
 * function that is still in scope is itself a root ("locals of suspended async
 * function …"), which is true but rarely what you want to know. Passing a
 * `WeakRef` explains its target, and is the way to ask about an object you
 * must not hold.
 *
 * Costs one heap snapshot of the process (V8 runs a full collection first):
 * about a second for a test-sized heap, tens of seconds for a heap of
 * hundreds of MB; the snapshot is parsed as it streams, never held as text.
 *
 * @returns the path, or `undefined` when the object is no longer reachable.
 * @throws {ExplanationUnavailableError} (rejects) when no snapshot can be
 * taken or read here (no `node:inspector`, a heap above `maxHeapBytes`).
 *
 * @example
 * ```ts
 * import { explainRetention } from 'leakproof/testing';
 * const ref = new WeakRef(makeThing());
 * const path = await explainRetention(ref);
 * // { label: 'object', root: 'module app.js',
 * //   steps: [{ holder: 'module app.js', edge: 'module-level variable `cache`' },
 * //           { holder: 'Map', edge: 'Map entry "k"' }] }
 * ```
 */
export function explainRetention(target: object, options?: ExplainOptions): Promise<RetainerExplanation | undefined> {
  try {
    validateObject(target, 'target');
    validateOptionsBag(options, 'options', ['maxHeapBytes', 'label']);
    const label = options?.label ?? 'object';
    if (typeof label !== 'string') {
      throw new TypeError(`The "options.label" property must be of type string. Received type ${typeof label}`);
    }
    const maxHeapBytes = options?.maxHeapBytes ?? DEFAULT_MAX_HEAP_BYTES;
    validateNumber(maxHeapBytes, 'options.maxHeapBytes', 0, Number.MAX_VALUE, true);
    const ref = target instanceof WeakRef ? (target as WeakRef<object>) : new WeakRef(target);
    // From here on only the WeakRef is held: `target` stays in this
    // synchronous frame, which returns before the snapshot.
    return explainWeak([{ ref, label }], 1, maxHeapBytes).then((explained) => {
      if (explained.unavailable !== undefined) throw new ExplanationUnavailableError(explained.unavailable);
      return explained.retainers[0];
    });
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * @internal Explains up to `max` of the objects behind `refs`. Never throws for
 * an explanation that cannot be made: it says why in `unavailable`.
 */
export async function explainWeak(
  refs: ReadonlyArray<{ ref: WeakRef<object>; label: string }>,
  max: number,
  maxHeapBytes: number,
): Promise<Explained> {
  validateInteger(max, 'max', 0);
  const heap = process.memoryUsage().heapUsed;
  if (heap > maxHeapBytes) {
    return {
      retainers: [],
      unavailable: `no retainer path: the heap (${mb(heap)}) is above the explanation cap (${mb(maxHeapBytes)}; option maxHeapBytes)`,
    };
  }
  const session = await SnapshotSession.open();
  if (typeof session === 'string') return { retainers: [], unavailable: `no retainer path: ${session}` };
  try {
    const wanted: Array<{ id: number; label: string }> = [];
    for (const { ref, label } of refs) {
      if (wanted.length >= max) break;
      const id = await session.objectId(ref);
      if (id !== 0) wanted.push({ id, label });
    }
    // Two turns: the reads above put the objects in V8's keep-during-job set,
    // which is cleared only when the job (and its microtasks) ends.
    await nextMacrotask();
    await nextMacrotask();
    const snapshot = await session.snapshot();
    session.close();
    const ordinals = wanted.map(({ id }) => findNodeById(snapshot, id));
    const reach = searchFromRoots(snapshot, ordinals.filter((o) => o >= 0));
    const retainers: RetainerExplanation[] = [];
    wanted.forEach(({ label }, k) => {
      const ordinal = ordinals[k]!;
      if (ordinal < 0) return;
      const explained = explainPath(snapshot, reach, ordinal, label);
      if (explained !== undefined) retainers.push(explained);
    });
    return { retainers, unavailable: undefined };
  } catch (error) {
    return { retainers: [], unavailable: `no retainer path: the heap snapshot could not be read (${(error as Error).message})` };
  } finally {
    session.close();
  }
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}
