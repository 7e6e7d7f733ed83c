// What grew: two heap snapshots around a run of the loop under test, diffed
// by type.
//
// Leak it diagnoses: a heap slope says how many bytes an iteration leaves
// behind, not what they are. The diff names the types that grew, and a
// retainer path of one new instance of the top type names who keeps them.
//
// Invariant: only one snapshot is held at a time. The first is reduced to a
// per-type tally and the highest object id it contains (V8 keeps snapshot ids
// stable across the snapshots of a process, so every id above it is an object
// allocated during the run), then dropped before the loop runs again.

import { setImmediate as nextMacrotask } from 'node:timers/promises';
import type { HeapGrowth, HeapGrowthEntry } from './errors.js';
import type { HeapSnapshot } from './heap-snapshot.js';
import { explainPath, searchFromRoots } from './retainer-path.js';
import { snapshotThisProcess } from './snapshot.js';

interface Tally {
  counts: Map<string, { count: number; bytes: number }>;
  maxId: number;
}

/** A node's type as a developer names it: the constructor for objects. */
function typeKey(s: HeapSnapshot, node: number): string | undefined {
  const base = node * s.nodeFieldCount;
  const type = s.nodeTypes[s.nodes[base + s.nodeField.type]!];
  const name = s.strings[s.nodes[base + s.nodeField.name]!] ?? '';
  switch (type) {
    case 'object':
      return name.startsWith('system / ') ? undefined : name;
    case 'closure':
      return '(closure)';
    case 'string':
    case 'concatenated string':
    case 'sliced string':
      return '(string)';
    case 'array':
      return '(internal array)';
    case 'number':
      return '(number)';
    case 'native':
      return name;
    default:
      // Code, hidden and synthetic nodes: V8's own bookkeeping, not the loop's.
      return undefined;
  }
}

function tally(s: HeapSnapshot): Tally {
  const counts = new Map<string, { count: number; bytes: number }>();
  let maxId = 0;
  for (let node = 0; node < s.nodeCount; node++) {
    const base = node * s.nodeFieldCount;
    const key = typeKey(s, node);
    if (key === undefined) continue;
    // Native (embedder) nodes carry address-derived ids: only V8 heap objects count.
    const id = s.nodes[base + s.nodeField.id]!;
    if (id > maxId && s.nodeTypes[s.nodes[base + s.nodeField.type]!] !== 'native') maxId = id;
    const entry = counts.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += s.nodes[base + s.nodeField.selfSize]!;
    counts.set(key, entry);
  }
  return { counts, maxId };
}

/**
 * @internal Runs `run` (which performs `iterations` iterations of the loop)
 * between two heap snapshots and says what grew. Resolves with a reason
 * string when no snapshot can be taken.
 */
export async function explainGrowth(run: () => Promise<void>, iterations: number): Promise<HeapGrowth | string> {
  try {
    await nextMacrotask();
    // Tallied in a frame of its own, so the first snapshot is dropped before the run.
    const before = await snapshotThisProcess().then((first) => (typeof first === 'string' ? first : tally(first)));
    if (typeof before === 'string') return `no growth explanation: ${before}`;
    await run();
    await nextMacrotask();
    await nextMacrotask();
    const snapshot = await snapshotThisProcess();
    if (typeof snapshot === 'string') return `no growth explanation: ${snapshot}`;
    const after = tally(snapshot);
    const top: HeapGrowthEntry[] = [];
    for (const [type, { count, bytes }] of after.counts) {
      const was = before.counts.get(type) ?? { count: 0, bytes: 0 };
      // Under a byte or a hundredth of an instance per iteration is noise, not growth.
      if (bytes - was.bytes < iterations && count - was.count < iterations / 100) continue;
      top.push({
        type,
        countPerIteration: (count - was.count) / iterations,
        bytesPerIteration: (bytes - was.bytes) / iterations,
      });
    }
    // Types the developer named (constructors) first, then V8's own kinds
    // (strings, closures, backing arrays), which mostly belong to the former.
    const named = (entry: HeapGrowthEntry): number => (entry.type.startsWith('(') ? 1 : 0);
    top.sort((a, b) => named(a) - named(b) || b.bytesPerIteration - a.bytesPerIteration);
    top.length = Math.min(top.length, 5);
    const first = top.find((entry) => entry.countPerIteration > 0);
    let example: HeapGrowth['example'];
    if (first !== undefined) {
      // The newest instance of the top type: the likeliest to be one this run left behind.
      let chosen = -1;
      let chosenId = before.maxId;
      for (let node = 0; node < snapshot.nodeCount; node++) {
        const id = snapshot.nodes[node * snapshot.nodeFieldCount + snapshot.nodeField.id]!;
        if (id > chosenId && typeKey(snapshot, node) === first.type && snapshot.nodeTypes[snapshot.nodes[node * snapshot.nodeFieldCount + snapshot.nodeField.type]!] !== 'native') {
          chosen = node;
          chosenId = id;
        }
      }
      if (chosen >= 0) {
        const reach = searchFromRoots(snapshot, [chosen]);
        example = explainPath(snapshot, reach, chosen, `a new ${first.type}`);
      }
    }
    return { iterations, top, example };
  } catch (error) {
    return `no growth explanation: the heap snapshot could not be read (${(error as Error).message})`;
  }
}
