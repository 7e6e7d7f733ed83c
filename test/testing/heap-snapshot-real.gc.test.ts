// Real snapshots of this process: the streaming reader against JSON.parse of
// the same file, and the kit's own snapshot path (snapshot.ts). In the gc
// project (a forked process of its own): a snapshot of a worker thread's heap
// next to other test files is slow and says little.
import { createReadStream, readdirSync, readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { HeapSnapshotReader } from '../../src/testing/heap-snapshot.js';
import { snapshotThisProcess } from '../../src/testing/snapshot.js';

// Counted mismatches: toEqual on millions of elements takes minutes.
function mismatches(a: ArrayLike<unknown>, b: ArrayLike<unknown>): number {
  let count = Math.abs(a.length - b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) count++;
  return count;
}

describe('heap snapshot reader', () => {
  it('reads a real V8 snapshot file exactly as JSON.parse does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leakproof-test-'));
    try {
      const file = writeHeapSnapshot(join(dir, 'real.heapsnapshot'));
      const reader = new HeapSnapshotReader();
      // Small chunks of bytes: many boundaries, some inside a number, a
      // string or a multi-byte character.
      for await (const chunk of createReadStream(file, { highWaterMark: 64 * 1024 })) {
        reader.push(chunk as Buffer);
      }
      const snap = reader.finish();
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { nodes: number[]; edges: number[]; strings: string[]; snapshot: { node_count: number } };
      expect(snap.nodeCount).toBe(parsed.snapshot.node_count);
      expect(mismatches(snap.nodes, parsed.nodes)).toBe(0);
      expect(mismatches(snap.edges, parsed.edges)).toBe(0);
      expect(mismatches(snap.strings, parsed.strings)).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('takes a snapshot of this process and leaves no file behind', async () => {
    const ours = (): string[] => readdirSync(tmpdir()).filter((name) => name.startsWith(`leakproof-snapshot-${process.pid}-`));
    expect(ours()).toEqual([]);
    const timing = { writeMs: 0, readMs: 0, nodes: 0, edges: 0 };
    const snap = await snapshotThisProcess(timing);
    if (typeof snap === 'string') throw new Error(snap);
    expect(snap.nodeCount).toBeGreaterThan(10_000);
    expect(timing.nodes).toBe(snap.nodeCount);
    // The root's first edges lead to the GC roots, as in every V8 snapshot.
    expect(snap.strings).toContain('(GC roots)');
    expect(ours()).toEqual([]);
  }, 180_000);
});
