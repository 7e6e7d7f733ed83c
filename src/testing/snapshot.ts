// Taking a heap snapshot of this process and reading it back.
//
// Leak it prevents: a snapshot is larger than the heap it describes (~70 MB of
// JSON for a 50 MB heap, ~700 MB for 500 MB). Holding it as text, or leaving
// the file behind, would cost as much as the leak being explained.
//
// Invariant: V8 writes the snapshot into a fresh temporary directory of its
// own (`v8.writeHeapSnapshot`); it is read back in 1 MiB chunks straight into
// typed arrays (heap-snapshot.ts), and the directory is removed in one
// `finally`, whatever throws. V8 frees its own snapshot graph before the file
// is read, so the two are never in memory at once.
//
// Why a file and not the inspector: `HeapProfiler.takeHeapSnapshot` sends the
// same text as protocol messages (JSON inside JSON, parsed again by the
// session), and learning an object's snapshot id needs heap object tracking
// on. Together they cost 0.6–0.8 s more than writing and reading the file
// for the first snapshot of a fresh process with a 50 MB heap (3.1–4.2 s
// against 3.7–4.8 s, two runs each on Node 20.20 / 22.23 / 24.22, reading
// without parsing; a one-off measurement, not in bench/), and they need an
// inspector the runtime may be built without. At 500 MB the whole
// explanation went from 47–82 s to 41–56 s (bench/explain.bench.ts, runs of
// 2026-12-05 before and after). The objects to explain are found through their
// WeakRefs instead (explain.ts).

import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// A namespace import, as gc.ts: a runtime whose node:v8 lacks the function
// gets the one-line reason below instead of a link error.
import * as v8 from 'node:v8';
import { HeapSnapshotReader, type HeapSnapshot } from './heap-snapshot.js';

/** For the benchmark: time V8 spent writing the file and we spent reading it, and the graph's size. */
export interface SnapshotTiming {
  writeMs: number;
  readMs: number;
  nodes: number;
  edges: number;
}

/**
 * Takes a heap snapshot of this process (V8 runs a full collection first)
 * and parses it.
 * @returns the snapshot, or a one-line reason when none can be taken here.
 */
export async function snapshotThisProcess(timing?: SnapshotTiming): Promise<HeapSnapshot | string> {
  if (typeof v8.writeHeapSnapshot !== 'function') return 'this runtime has no v8.writeHeapSnapshot';
  let dir: string;
  try {
    dir = await mkdtemp(join(tmpdir(), `leakproof-snapshot-${process.pid}-`));
  } catch (error) {
    return `no temporary directory for the heap snapshot (${(error as Error).message})`;
  }
  try {
    const file = join(dir, 'process.heapsnapshot');
    let start = performance.now();
    try {
      v8.writeHeapSnapshot(file);
    } catch (error) {
      return `V8 could not write the heap snapshot (${(error as Error).message})`;
    }
    if (timing !== undefined) timing.writeMs += performance.now() - start;
    start = performance.now();
    const reader = new HeapSnapshotReader();
    for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
      reader.push(chunk as Buffer);
    }
    const snapshot = reader.finish();
    if (timing !== undefined) {
      timing.readMs += performance.now() - start;
      timing.nodes = snapshot.nodeCount;
      timing.edges = snapshot.edges.length / snapshot.edgeFieldCount;
    }
    return snapshot;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
