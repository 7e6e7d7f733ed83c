// Shared benchmark harness. Every bench file measures its contenders in one
// process, interleaved (the order rotates every round so none always runs
// first on a cold or hot heap), and reports medians and ratios with the Node
// and V8 versions. Performance is measured here, never asserted in tests.

import { setImmediate as nextMacrotask } from 'node:timers/promises';
import * as os from 'node:os';

/** One contender: runs `ops` operations per call and may be async. */
export type Contender = (ops: number) => unknown;

export interface Scenario {
  /** Shown as the table's title, e.g. "race: one long-lived loser". */
  name: string;
  /** Operations per timed run. */
  ops: number;
  /** Contenders by display name; insertion order is the table order. */
  contenders: Record<string, Contender>;
  /** Name of the contender ratios are computed against. @default the first */
  baseline?: string;
  /** Timed runs per contender (median reported). @default 9 */
  rounds?: number;
  /** Untimed runs per contender first, so the JIT settles. @default 2 */
  warmup?: number;
}

export interface Row {
  scenario: string;
  contender: string;
  /** Median nanoseconds per operation. */
  nsPerOp: number;
  /** Fastest and slowest run, ns per operation. */
  min: number;
  max: number;
  /** nsPerOp / baseline nsPerOp. */
  ratio: number;
}

const results: Row[] = [];
let sink: unknown;

export function environment(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `Node ${process.version} (V8 ${process.versions.v8}), ${os.platform()} ${os.arch()}, ${cpu}, ${os.cpus().length} cores`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function settle(): Promise<void> {
  await nextMacrotask();
  (globalThis as { gc?: () => void }).gc?.();
  await nextMacrotask();
}

/** Runs one scenario and prints its table. */
export async function runScenario(scenario: Scenario): Promise<Row[]> {
  const { name, ops, contenders } = scenario;
  const names = Object.keys(contenders);
  const baseline = scenario.baseline ?? names[0]!;
  const rounds = scenario.rounds ?? 9;
  const warmup = scenario.warmup ?? 2;
  const timings = new Map<string, number[]>(names.map((n) => [n, []]));

  for (let w = 0; w < warmup; w++) {
    for (const n of names) {
      await contenders[n]!(ops);
    }
  }
  for (let r = 0; r < rounds; r++) {
    // Rotate the order every round.
    const order = names.map((_, i) => names[(i + r) % names.length]!);
    for (const n of order) {
      await settle();
      const start = process.hrtime.bigint();
      await contenders[n]!(ops);
      const elapsed = Number(process.hrtime.bigint() - start);
      timings.get(n)!.push(elapsed / ops);
    }
  }
  const base = median(timings.get(baseline)!);
  const rows = names.map((n): Row => {
    const t = timings.get(n)!;
    const ns = median(t);
    return { scenario: name, contender: n, nsPerOp: ns, min: Math.min(...t), max: Math.max(...t), ratio: ns / base };
  });
  results.push(...rows);
  printTable(name, rows, baseline);
  return rows;
}

function fmt(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(0)} ns`;
}

/** Prints a markdown table (pasteable into bench/README.md). */
export function printTable(title: string, rows: Row[], baseline: string): void {
  console.log(`\n### ${title}\n`);
  console.log(`| contender | median per op | min – max | vs ${baseline} |`);
  console.log('|---|---:|---:|---:|');
  for (const row of rows) {
    console.log(`| ${row.contender} | ${fmt(row.nsPerOp)} | ${fmt(row.min)} – ${fmt(row.max)} | ${row.ratio.toFixed(2)}x |`);
  }
}

/** Prints a free-form markdown table, for memory figures. */
export function printRows(title: string, header: string[], rows: Array<Array<string | number>>): void {
  console.log(`\n### ${title}\n`);
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}

/**
 * Bytes retained per operation: runs `op` `count` times against state created
 * by `setup`, keeping that state alive, and compares heap + external memory
 * after full collections. Needs `--expose-gc`.
 */
export async function retainedPerOp<S>(
  setup: () => S,
  op: (state: S, index: number) => unknown,
  count: number,
): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') throw new Error('retainedPerOp needs node --expose-gc');
  const state = setup();
  // Held in a module-level slot so the state cannot be optimised away before
  // the second measurement.
  sink = state;
  const measure = async (): Promise<number> => {
    for (let i = 0; i < 3; i++) {
      await nextMacrotask();
      gc();
    }
    const m = process.memoryUsage();
    return m.heapUsed + m.external;
  };
  // Warm up the code paths (and any one-time allocations) before the baseline.
  for (let i = 0; i < Math.min(1000, count); i++) {
    await op(state, -1 - i);
    if (i % 100 === 99) await nextMacrotask();
  }
  const before = await measure();
  for (let i = 0; i < count; i++) {
    await op(state, i);
    if (i % 100 === 99) await nextMacrotask();
  }
  const after = await measure();
  sink = undefined;
  return (after - before) / count;
}

/** Prints the environment line every bench output starts with. */
export function printHeader(title: string): void {
  console.log(`## ${title}\n\n${environment()}`);
}

export function allResults(): readonly Row[] {
  return results;
}
