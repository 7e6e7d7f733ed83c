// Retainer paths: why is this object still reachable?
//
// Leak it diagnoses: a failed collectability check says *that* something
// survived, not what holds it. This file finds the shortest chain of strong
// references from a GC root to the object in a V8 heap snapshot of this very
// process and tells it in a developer's words (retainer-path.ts).
//
// Invariant: explaining never keeps the object alive itself. The kit holds it
// only through a WeakRef and never dereferences it: the snapshot is taken two
// macrotasks after the WeakRef was made (V8 keeps a new WeakRef's target for
// the rest of its job), and the object is found in the snapshot by following
// the WeakRef's weak `target` edge from a probe object of ours, marked by a
// token string. Weak edges are never part of a path, so neither the probe nor
// a frame of ours is a root of the path we report. One snapshot at a time is
// held, and it is dropped before the call returns.

import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { validateInteger, validateNumber, validateObject, validateOptionsBag } from '../internal/validate.js';
import { ExplanationUnavailableError, type RetainerExplanation } from './errors.js';
import type { HeapSnapshot } from './heap-snapshot.js';
import { explainPath, searchFromRoots } from './retainer-path.js';
import { snapshotThisProcess, type SnapshotTiming } from './snapshot.js';

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

/** @internal Where an explanation's time goes (bench/explain.bench.ts). */
export interface ExplainTiming extends SnapshotTiming {
  searchMs: number;
}

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
 * Costs one heap snapshot of the process (V8 runs a full collection first),
 * written to a temporary file that is read back in chunks and removed: about
 * a second for a typical test process, seconds for a 50 MB heap of small
 * objects, about a minute for 500 MB (bench/README.md, "explain").
 *
 * @returns the path, or `undefined` when the object is no longer reachable.
 * @throws {ExplanationUnavailableError} (rejects) when no snapshot can be
 * taken or read here (no `v8.writeHeapSnapshot`, a heap above `maxHeapBytes`).
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
  timing?: ExplainTiming,
): Promise<Explained> {
  validateInteger(max, 'max', 0);
  const heap = process.memoryUsage().heapUsed;
  if (heap > maxHeapBytes) {
    return {
      retainers: [],
      unavailable: `no retainer path: the heap (${mb(heap)}) is above the explanation cap (${mb(maxHeapBytes)}; option maxHeapBytes)`,
    };
  }
  // The probe marks the objects in the snapshot: a property named by a token
  // no other object has, holding their WeakRefs (whose `target` edges are weak).
  const token = `leakproof-explain-probe-${process.pid}-${++probes}`;
  const probe: Record<string, ReadonlyArray<WeakRef<object>>> = { [token]: refs.slice(0, max).map(({ ref }) => ref) };
  // Two turns: a WeakRef made in this job (explainRetention's) keeps its
  // target until the job and its microtasks end.
  await nextMacrotask();
  await nextMacrotask();
  const snapshot = await snapshotThisProcess(timing).catch(
    (error: unknown) => `the heap snapshot could not be read (${(error as Error).message})`,
  );
  if (typeof snapshot === 'string') return { retainers: [], unavailable: `no retainer path: ${snapshot}` };
  const start = performance.now();
  const ordinals = findProbeTargets(snapshot, token, probe[token]!.length);
  const reach = searchFromRoots(snapshot, ordinals.filter((o) => o >= 0));
  const retainers: RetainerExplanation[] = [];
  ordinals.forEach((ordinal, k) => {
    if (ordinal < 0) return;
    const explained = explainPath(snapshot, reach, ordinal, refs[k]!.label);
    if (explained !== undefined) retainers.push(explained);
  });
  if (timing !== undefined) timing.searchMs += performance.now() - start;
  return { retainers, unavailable: undefined };
}

let probes = 0;

/** Ordinals of the objects behind the probe's `count` WeakRefs, in order; -1 for one collected. */
function findProbeTargets(s: HeapSnapshot, token: string, count: number): number[] {
  const found = new Array<number>(count).fill(-1);
  const refs = edgeTarget(s, undefined, 'property', s.strings.indexOf(token));
  if (refs < 0) return found;
  const target = s.strings.indexOf('target');
  for (let k = 0; k < count; k++) {
    const weakRef = edgeTarget(s, refs, 'element', k);
    if (weakRef >= 0) found[k] = edgeTarget(s, weakRef, 'weak', target);
  }
  return found;
}

/** The node an edge of `type` named (or indexed) `name` leads to, from `owner` or from any node; -1 if none. */
function edgeTarget(s: HeapSnapshot, owner: number | undefined, type: string, name: number): number {
  const { edges, edgeFieldCount, edgeField } = s;
  const edgeType = s.edgeTypes.indexOf(type);
  if (name < 0 || edgeType < 0) return -1;
  const from = owner === undefined ? 0 : s.firstEdge[owner]!;
  const to = owner === undefined ? edges.length : s.firstEdge[owner + 1]!;
  for (let e = from; e < to; e += edgeFieldCount) {
    if (edges[e + edgeField.type] === edgeType && edges[e + edgeField.nameOrIndex] === name) {
      return edges[e + edgeField.toNode]! / s.nodeFieldCount;
    }
  }
  return -1;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}
