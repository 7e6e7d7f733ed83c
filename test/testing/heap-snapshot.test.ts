// The snapshot reader and the path search, against snapshots of known object
// graphs: a hand-written one (every field known), and a real one from
// v8.getHeapSnapshot() checked against JSON.parse of the same text.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HeapSnapshotReader, parseHeapSnapshot } from '../../src/testing/heap-snapshot.js';
import type { HeapSnapshot } from '../../src/testing/heap-snapshot.js';
import { explainPath, searchFromRoots } from '../../src/testing/retainer-path.js';

/** Ordinal of the node with heap snapshot id `id`, or -1. */
function findNodeById(snapshot: HeapSnapshot, id: number): number {
  const { nodes, nodeFieldCount, nodeField } = snapshot;
  for (let ordinal = 0, at = nodeField.id; at < nodes.length; ordinal++, at += nodeFieldCount) {
    if (nodes[at] === id) return ordinal;
  }
  return -1;
}

const NODE_TYPES = ['hidden', 'array', 'string', 'object', 'code', 'closure', 'regexp', 'number', 'native', 'synthetic'];
const EDGE_TYPES = ['context', 'element', 'property', 'internal', 'hidden', 'shortcut', 'weak'];

/**
 * root(synthetic) -shortcut-> global -property "registry"-> Registry
 *   Registry -property "items"-> Array -element 0-> Item "target"
 *   root -element 1-> (GC roots) -element 0-> (Stack roots) -element 0-> Item (a shorter path, but a stack one)
 *   global -weak-> Item (never followed)
 */
function knownGraph(itemsEdge: 'property' | 'weak' = 'property'): string {
  const strings = ['', '(GC roots)', '(Stack roots)', 'global / ', 'Registry', 'Array', 'Item', 'registry', 'items', 'weird "quoted" \\ name \u00e9 \u{1F600} and more text'];
  const s = (x: string): number => strings.indexOf(x);
  const t = (x: string): number => NODE_TYPES.indexOf(x);
  const e = (x: string): number => EDGE_TYPES.indexOf(x);
  const F = 7; // node fields
  // [type, name, id, self_size, edge_count, trace_node_id, detachedness]
  const nodes = [
    [t('synthetic'), s(''), 1, 0, 2, 0, 0], // 0 root
    [t('synthetic'), s('(GC roots)'), 3, 0, 1, 0, 0], // 1
    [t('synthetic'), s('(Stack roots)'), 5, 0, 1, 0, 0], // 2
    [t('object'), s('global / '), 7, 40, 2, 0, 0], // 3
    [t('object'), s('Registry'), 9, 24, 1, 0, 0], // 4
    [t('object'), s('Array'), 11, 32, 1, 0, 0], // 5
    [t('object'), s('Item'), 13, 4294967295, 0, 0, 0], // 6: largest uint32 self size
    [t('string'), s('weird "quoted" \\ name \u00e9 and more text'), 15, 16, 0, 0, 0], // 7
  ];
  const edges = [
    [e('shortcut'), 0, 3 * F],
    [e('element'), 1, 1 * F],
    [e('element'), 0, 2 * F],
    [e('element'), 0, 6 * F],
    [e('property'), s('registry'), 4 * F],
    [e('weak'), 0, 6 * F],
    [e(itemsEdge), s('items'), 5 * F],
    [e('element'), 0, 6 * F],
  ];
  return JSON.stringify({
    snapshot: {
      meta: {
        node_fields: ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id', 'detachedness'],
        node_types: [NODE_TYPES, 'string', 'number', 'number', 'number', 'number', 'number'],
        edge_fields: ['type', 'name_or_index', 'to_node'],
        edge_types: [EDGE_TYPES, 'string_or_number', 'node'],
        location_fields: ['object_index', 'script_id', 'line', 'column'],
      },
      node_count: nodes.length,
      edge_count: edges.length,
      trace_function_count: 0,
    },
    nodes: nodes.flat(),
    edges: edges.flat(),
    trace_function_infos: [],
    trace_tree: [[1, [2]]],
    samples: [],
    locations: [6 * F, 3, 10, 4],
    strings,
  }).replace(/,"nodes"/, ',\n"nodes"').replace(/\],/g, '],\n');
}

// Cuts fall on bytes: some inside a number, a string, an escape or a
// multi-byte character.
function readInChunks(bytes: Uint8Array, cuts: number[]) {
  const reader = new HeapSnapshotReader();
  let from = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    reader.push(bytes.subarray(from, cut));
    from = cut;
  }
  reader.push(bytes.subarray(from));
  return reader.finish();
}

describe('heap snapshot reader', () => {
  it('reads every field of a known graph into typed arrays', () => {
    const snap = parseHeapSnapshot(knownGraph());
    expect(snap.nodeCount).toBe(8);
    expect(snap.nodes).toBeInstanceOf(Uint32Array);
    expect(snap.edges).toBeInstanceOf(Uint32Array);
    expect(snap.nodes[6 * 7 + snap.nodeField.selfSize]).toBe(4294967295);
    expect(snap.strings[9]).toBe('weird "quoted" \\ name \u00e9 \u{1F600} and more text');
    expect(Array.from(snap.firstEdge)).toEqual([0, 6, 9, 12, 18, 21, 24, 24, 24]);
    expect(snap.locations.get(6)).toEqual([3, 10, 4]);
    expect(findNodeById(snap, 13)).toBe(6);
    expect(findNodeById(snap, 14)).toBe(-1);
  });

  it('parses the same snapshot whatever the chunk boundaries', () => {
    const text = knownGraph();
    const bytes = new TextEncoder().encode(text);
    const whole = parseHeapSnapshot(text);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: bytes.length }), { maxLength: 40 }), (cuts) => {
        const chunked = readInChunks(bytes, cuts);
        expect(Array.from(chunked.nodes)).toEqual(Array.from(whole.nodes));
        expect(Array.from(chunked.edges)).toEqual(Array.from(whole.edges));
        expect(chunked.strings).toEqual(whole.strings);
        expect([...chunked.locations]).toEqual([...whole.locations]);
      }),
    );
  });

  it('prefers a path from the global object to a shorter one through the stack, and never follows weak edges', () => {
    const snap = parseHeapSnapshot(knownGraph());
    const reach = searchFromRoots(snap, [6]);
    const explained = explainPath(snap, reach, 6, 'item');
    expect(explained).toEqual({
      label: 'item',
      root: 'global object',
      steps: [
        { holder: 'global object', edge: 'global `registry`' },
        { holder: 'Registry', edge: '.items' },
        { holder: 'Array', edge: '[0]' },
      ],
    });
  });

  it('falls back to the stack when nothing else reaches the object', () => {
    const snap = parseHeapSnapshot(knownGraph('weak'));
    const reach = searchFromRoots(snap, [6]);
    expect(explainPath(snap, reach, 6, 'item')?.root).toBe('the stack (a running or suspended function)');
  });

  it('leaves an object that nothing strong reaches unexplained', () => {
    const snap = parseHeapSnapshot(knownGraph());
    const reach = searchFromRoots(snap, [7]);
    expect(explainPath(snap, reach, 7, 'string')).toBeUndefined();
  });

  it('rejects a truncated stream', () => {
    const text = knownGraph();
    const reader = new HeapSnapshotReader();
    reader.push(new TextEncoder().encode(text.slice(0, text.length - 40)));
    expect(() => reader.finish()).toThrow(/ended early/);
  });

});
