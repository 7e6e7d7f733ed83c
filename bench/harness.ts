// Shared benchmark harness. Every bench file measures its contenders in one
// process, interleaved (the order rotates every round so none always runs
// first on a cold or hot heap), and reports medians and ratios with the Node
// and V8 versions. Performance is measured here, never asserted in tests.
//
// Every contender gets the same treatment: a macrotask turn before each timed
// run and no forced GC. (v0.1 forced a full GC before every run; V8 then drops
// the hidden classes of objects that all died, so a library that keeps an idle
// instance alive – as leakproof's classes then did – ran warm while one that
// does not ran deoptimised. That inflated "LRU vs lru-cache" several-fold.)
// Garbage a contender makes is collected when V8 decides, and its cost lands on
// whoever makes it. Times are CPU time (process.cpuUsage: user + system, all
// threads, so a contender's GC work counts against it) per operation; wall time
// is shown beside it.

import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { appendFileSync } from 'node:fs';
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
  /**
   * Targets from the issues, checked on every run and printed with a verdict
   * ("met" / "not met" and the measured ratio): `contender`'s median CPU time
   * per op divided by `against`'s must be at most `max`.
   */
  targets?: Array<{ contender: string; against: string; max: number; label?: string }>;
}

export interface TargetResult {
  scenario: string;
  label: string;
  ratio: number;
  max: number;
  met: boolean;
}

export interface Row {
  scenario: string;
  contender: string;
  /** Median CPU nanoseconds per operation. */
  nsPerOp: number;
  /** Fastest and slowest run, CPU ns per operation. */
  min: number;
  max: number;
  /** Median wall-clock nanoseconds per operation. */
  wallNsPerOp: number;
  /** nsPerOp / baseline nsPerOp. */
  ratio: number;
}

const results: Row[] = [];
const targetResults: TargetResult[] = [];
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

function cpuNow(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
}

/** Runs one scenario and prints its table. */
export async function runScenario(scenario: Scenario): Promise<Row[]> {
  const { name, ops, contenders } = scenario;
  const names = Object.keys(contenders);
  const baseline = scenario.baseline ?? names[0]!;
  const rounds = scenario.rounds ?? 9;
  const warmup = scenario.warmup ?? 2;
  const timings = new Map<string, number[]>(names.map((n) => [n, []]));
  const walls = new Map<string, number[]>(names.map((n) => [n, []]));

  for (let w = 0; w < warmup; w++) {
    for (const n of names) {
      await contenders[n]!(ops);
    }
  }
  for (let r = 0; r < rounds; r++) {
    // Rotate the order every round.
    const order = names.map((_, i) => names[(i + r) % names.length]!);
    for (const n of order) {
      await nextMacrotask();
      const cpuStart = cpuNow();
      const start = process.hrtime.bigint();
      await contenders[n]!(ops);
      const elapsed = Number(process.hrtime.bigint() - start);
      timings.get(n)!.push((cpuNow() - cpuStart) / ops);
      walls.get(n)!.push(elapsed / ops);
    }
  }
  const base = median(timings.get(baseline)!);
  const rows = names.map((n): Row => {
    const t = timings.get(n)!;
    const ns = median(t);
    return {
      scenario: name,
      contender: n,
      nsPerOp: ns,
      min: Math.min(...t),
      max: Math.max(...t),
      wallNsPerOp: median(walls.get(n)!),
      ratio: ns / base,
    };
  });
  results.push(...rows);
  printTable(name, rows, baseline);
  for (const target of scenario.targets ?? []) {
    const of = (c: string) => rows.find((row) => row.contender === c)?.nsPerOp;
    const mine = of(target.contender);
    const theirs = of(target.against);
    if (mine === undefined || theirs === undefined) throw new Error(`target names an unknown contender in "${name}"`);
    const ratio = mine / theirs;
    const result: TargetResult = {
      scenario: name,
      label: target.label ?? `${target.contender} ≤ ${target.max}x ${target.against}`,
      ratio,
      max: target.max,
      met: ratio <= target.max,
    };
    targetResults.push(result);
    console.log(`\nTarget: ${result.label}: ${ratio.toFixed(2)}x – ${result.met ? 'met' : '**not met**'}`);
  }
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
  console.log(`| contender | CPU per op (median) | min – max | wall per op | vs ${baseline} (CPU) |`);
  console.log('|---|---:|---:|---:|---:|');
  for (const row of rows) {
    console.log(
      `| ${row.contender} | ${fmt(row.nsPerOp)} | ${fmt(row.min)} – ${fmt(row.max)} | ${fmt(row.wallNsPerOp)} | ${row.ratio.toFixed(2)}x |`,
    );
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

/** Records a target a bench computes itself (a ratio of medians across scenarios, say). */
export function recordTarget(result: TargetResult): void {
  targetResults.push(result);
}

export function allTargets(): readonly TargetResult[] {
  return targetResults;
}

// `npm run bench` (bench/run.mjs) collects every file's targets from a JSON
// lines file named by BENCH_TARGETS_FILE, appended when the process exits.
process.once('exit', () => {
  const file = process.env.BENCH_TARGETS_FILE;
  if (file) for (const t of targetResults) appendFileSync(file, `${JSON.stringify(t)}\n`);
});
