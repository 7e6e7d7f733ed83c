// A real snapshot of this process read by the streaming reader, compared with
// JSON.parse of the same text. In the gc project (a forked process of its own):
// in the unit project's worker threads, next to other files, a snapshot took
// over 60 s on Node 20.19.0.
import { getHeapSnapshot } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { HeapSnapshotReader } from '../../src/testing/heap-snapshot.js';

describe('heap snapshot reader', () => {
  it('reads a real V8 snapshot exactly as JSON.parse does', async () => {
    const chunks: string[] = [];
    const reader = new HeapSnapshotReader();
    const stream = getHeapSnapshot();
    // Decoded as a stream: a multi-byte character may straddle two chunks.
    stream.setEncoding('utf8');
    for await (const chunk of stream) {
      const text = chunk as string;
      chunks.push(text);
      reader.push(text);
    }
    const snap = reader.finish();
    const parsed = JSON.parse(chunks.join('')) as { nodes: number[]; edges: number[]; strings: string[]; snapshot: { node_count: number } };
    expect(snap.nodeCount).toBe(parsed.snapshot.node_count);
    // Counted mismatches: toEqual on millions of elements takes minutes.
    const mismatches = (a: ArrayLike<unknown>, b: ArrayLike<unknown>): number => {
      let count = Math.abs(a.length - b.length);
      for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) count++;
      return count;
    };
    expect(mismatches(snap.nodes, parsed.nodes)).toBe(0);
    expect(mismatches(snap.edges, parsed.edges)).toBe(0);
    expect(mismatches(snap.strings, parsed.strings)).toBe(0);
  }, 180_000);
});
