// The cost of explaining a failure (issue 9 §3): one heap snapshot of this
// process, written by V8 to a temporary file and read back, and a
// shortest-path search, for a process holding ~50 MB and ~500 MB of heap of
// small objects (the densest kind: ~17,000 objects per MB). The code path is
// the kit's own (explainWeak), with its time split:
//   snapshot  v8.writeHeapSnapshot: V8 collecting, building and serialising
//             the snapshot – the floor no reader can go under;
//   parse     reading the file back into typed arrays, then the edge index;
//   search    finding the object and the breadth-first search over strong
//             edges, and the wording;
//   peak RSS  the process's peak resident size during the explanation minus
//             the resident size before it (V8's snapshot graph included).
// The 50 MB row is the process's first snapshot (V8 also assigns every object
// its id then); the 500 MB row is its second.
// Targets: under 2 s at 50 MB, under 20 s at 500 MB.
//
// Run: node --expose-gc --max-old-space-size=4096 --import tsx bench/explain.bench.ts [--sizes 50,500]
//      (`npm run bench -- explain` runs it with the default sizes; the 500 MB
//      case needs ~2.5 GB of memory). Takes ~1 min on a quiet machine.

import { explainWeak } from '../src/testing/explain.js';
import { environment } from './harness.js';

const MB = 1024 * 1024;

interface Item {
  id: number;
  name: string;
  tags: number[];
  meta: { created: number; owner: string };
}

/** The heap under test: small objects, strings and number arrays, as a service's caches hold. */
const ballast: unknown[] = [];
/** The object to explain, at the end of a path through the ballast. */
const registry = new Map<string, { sessions: Item[] }>();

function fill(targetBytes: number): void {
  let i = 0;
  while (process.memoryUsage().heapUsed < targetBytes) {
    const chunk: unknown[] = [];
    for (let k = 0; k < 10_000; k++, i++) {
      const item: Item = { id: i, name: `item-${i}`, tags: [i, i + 1, i + 2], meta: { created: i, owner: `owner-${i % 1000}` } };
      chunk.push(item);
      if (k % 100 === 0) chunk.push(new Array<number>(256).fill(i));
      if (k % 50 === 0) chunk.push(`payload-${i}-`.repeat(20));
    }
    ballast.push(chunk);
  }
}

function plant(): WeakRef<object> {
  const target = { id: -1, name: 'the one', tags: [], meta: { created: 0, owner: 'bench' } };
  registry.set('tenant-7', { sessions: [target] });
  return new WeakRef(target);
}

async function explainOnce(ref: WeakRef<object>): Promise<Record<string, number | string>> {
  const rssBefore = process.memoryUsage().rss;
  const peakBefore = process.resourceUsage().maxRSS * 1024;
  const timing = { writeMs: 0, readMs: 0, searchMs: 0, nodes: 0, edges: 0 };
  const t0 = performance.now();
  const explained = await explainWeak([{ ref, label: 'the one' }], 1, Number.MAX_VALUE, timing);
  const totalMs = performance.now() - t0;
  const peakAfter = process.resourceUsage().maxRSS * 1024;
  const path = explained.retainers[0];
  if (!path?.steps.some((s) => s.edge === 'module-level variable `registry`')) {
    throw new Error(`unexpected explanation: ${JSON.stringify(explained)}`);
  }
  return {
    heapMB: Math.round(process.memoryUsage().heapUsed / MB),
    nodes: timing.nodes,
    edges: timing.edges,
    snapshotMs: Math.round(timing.writeMs),
    parseMs: Math.round(timing.readMs),
    searchMs: Math.round(timing.searchMs),
    totalMs: Math.round(totalMs),
    // maxRSS only says something when this run set a new peak.
    peakExtraMB: peakAfter > peakBefore ? Math.round((peakAfter - rssBefore) / MB) : NaN,
  };
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--sizes');
  const sizes = (at >= 0 ? process.argv[at + 1]! : '50,500').split(',').map(Number);
  console.log(`explain: snapshot, parse and search times by heap size\n${environment()}\n`);
  const ref = plant();
  const rows: Array<Record<string, number | string>> = [];
  for (const size of sizes) {
    fill(size * MB);
    (globalThis as { gc?: () => void }).gc?.();
    rows.push({ targetMB: size, ...(await explainOnce(ref)) });
    console.table(rows.slice(-1));
  }
  console.log('\nSummary');
  console.table(rows);
}

await main();
