// Every trick pays (issue 12): each trick in the signal and race primitives
// measured WITH and WITHOUT it, in one process, interleaved.
//
// The WITHOUT side is a faithful copy of the library file with only that
// trick removed (bench/variants/, each file says what it changed):
//   (resolver slots: removed in 0.2 after this bench measured them slower
//    in steady state on Node 20, 22 and 24; see src/internal/resolvers.ts)
//   stamp on promises    src/race.ts (+ registry)     vs variants/race-weakmap.ts
//   stamp on signals     src/on-abort.ts (+ hub)      vs variants/on-abort-weakmap.ts
//   stamp on composites  src/any-signal.ts            vs variants/any-signal-weakmap.ts
//   idle instances       src/race.ts (+ registry)     vs variants/race-no-idle.ts
//   (FIFO-paired queues: removed in 0.2 after this bench measured no
//    consistent gain; see src/internal/contender-registry.ts, src/on-abort.ts)
//   setPrototypeOf       variants/any-signal-prototype.ts (v0.1, the trick)
//                                                     vs src/any-signal.ts (own methods, since 0.2)
//
// Same treatment for both sides: the order alternates every round; each
// contender's loop is written out (a shared loop would make its call site
// polymorphic, unlike an application's). Two modes, reported separately:
//   steady      no forced GC anywhere: the hot path of a busy process;
//   after GC    a full GC before every timed run of EITHER side: a burst after
//               an idle period, the case idle instances exist for (V8 drops
//               the hidden classes nobody holds, and code compiled against
//               them deoptimises). Neither mode favours one side: both get
//               exactly the same collections.
// Then retained bytes per live object where a trick changes memory (a
// stamped record against a WeakMap entry; a private prototype against own
// methods), from heap totals after full GCs.
//
// Medians of ROUNDS timed runs; the ratio is WITHOUT / WITH, so > 1.10 means
// the trick wins by more than 10% (the bar in issue 12 for keeping it).
//
// Run: node --expose-gc --import tsx bench/tricks.bench.ts   (~1-2 min)
//      TRICKS_SCALE=0.01 TRICKS_ROUNDS=3 for a smoke run;
//      TRICKS_PART=time or TRICKS_PART=memory for one half.

import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { anySignal } from '../src/any-signal.js';
import { onAbort } from '../src/on-abort.js';
import { race } from '../src/race.js';
import { anySignal as anySignalPrototype } from './variants/any-signal-prototype.js';
import { anySignal as anySignalWeakMap } from './variants/any-signal-weakmap.js';
import { onAbort as onAbortWeakMap } from './variants/on-abort-weakmap.js';
import { race as raceNoIdle } from './variants/race-no-idle.js';
import { race as raceWeakMap } from './variants/race-weakmap.js';
import { environment, retainedPerOp } from './harness.js';

const SCALE = Number(process.env.TRICKS_SCALE ?? 1);
const ROUNDS = Number(process.env.TRICKS_ROUNDS ?? 15);
const WARMUP = 3;
const PART = process.env.TRICKS_PART ?? 'all';
const ops = (n: number): number => Math.max(10, Math.round(n * SCALE));

const gc = (globalThis as { gc?: () => void }).gc;
if (typeof gc !== 'function') throw new Error('run with node --expose-gc');

type Run = (ops: number) => unknown;
interface Row {
  trick: string;
  scenario: string;
  ops: number;
  with: Run;
  without: Run;
}

function noop(): void {}
const forever = new Promise<never>(noop);
const foreverToo = new Promise<never>(noop);
const shutdown = new AbortController().signal;

// ---- race: await race([a fresh settled promise, a long-lived loser]) ----
async function raceFreshVsLongLived(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await race([Promise.resolve(i), forever]);
}
async function raceWeakMapFreshVsLongLived(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await raceWeakMap([Promise.resolve(i), forever]);
}
async function raceNoIdleFreshVsLongLived(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await raceNoIdle([Promise.resolve(i), forever]);
}

// ---- race on two long-lived promises only: the stamp's read path ----
function raceLongLivedOnly(n: number): void {
  for (let i = 0; i < n; i++) void race([forever, foreverToo]);
}
function raceWeakMapLongLivedOnly(n: number): void {
  for (let i = 0; i < n; i++) void raceWeakMap([forever, foreverToo]);
}

// ---- onAbort: subscribe and dispose ----
function onAbortFreshSignal(n: number): void {
  for (let i = 0; i < n; i++) onAbort(new AbortController().signal, noop).dispose();
}
function onAbortWeakMapFreshSignal(n: number): void {
  for (let i = 0; i < n; i++) onAbortWeakMap(new AbortController().signal, noop).dispose();
}
function onAbortLongLived(n: number): void {
  for (let i = 0; i < n; i++) onAbort(shutdown, noop).dispose();
}
function onAbortWeakMapLongLived(n: number): void {
  for (let i = 0; i < n; i++) onAbortWeakMap(shutdown, noop).dispose();
}

// ---- anySignal: create and dispose on a long-lived input plus a fresh one ----
function anyDispose(n: number): void {
  for (let i = 0; i < n; i++) anySignal([shutdown, new AbortController().signal])[Symbol.dispose]();
}
function anyPrototypeDispose(n: number): void {
  for (let i = 0; i < n; i++) anySignalPrototype([shutdown, new AbortController().signal])[Symbol.dispose]();
}
function anyWeakMapDispose(n: number): void {
  for (let i = 0; i < n; i++) anySignalWeakMap([shutdown, new AbortController().signal])[Symbol.dispose]();
}

// ---- anySignal: create, listen, abort through the input ----
function anyListenAbort(n: number): void {
  for (let i = 0; i < n; i++) {
    const input = new AbortController();
    anySignal([input.signal]).addEventListener('abort', noop);
    input.abort();
  }
}
function anyPrototypeListenAbort(n: number): void {
  for (let i = 0; i < n; i++) {
    const input = new AbortController();
    anySignalPrototype([input.signal]).addEventListener('abort', noop);
    input.abort();
  }
}
function anyWeakMapListenAbort(n: number): void {
  for (let i = 0; i < n; i++) {
    const input = new AbortController();
    anySignalWeakMap([input.signal]).addEventListener('abort', noop);
    input.abort();
  }
}

const rows: Row[] = [
  { trick: 'stamp on promises', scenario: 'race(fresh, long-lived), awaited', ops: ops(20_000), with: raceFreshVsLongLived, without: raceWeakMapFreshVsLongLived },
  { trick: 'stamp on promises', scenario: 'race(long-lived, long-lived)', ops: ops(20_000), with: raceLongLivedOnly, without: raceWeakMapLongLivedOnly },
  { trick: 'stamp on signals', scenario: 'onAbort + dispose, fresh signal', ops: ops(50_000), with: onAbortFreshSignal, without: onAbortWeakMapFreshSignal },
  { trick: 'stamp on signals', scenario: 'onAbort + dispose, long-lived signal', ops: ops(100_000), with: onAbortLongLived, without: onAbortWeakMapLongLived },
  { trick: 'stamp on composites', scenario: 'anySignal + dispose', ops: ops(20_000), with: anyDispose, without: anyWeakMapDispose },
  { trick: 'stamp on composites', scenario: 'anySignal + listener + abort', ops: ops(20_000), with: anyListenAbort, without: anyWeakMapListenAbort },
  { trick: 'idle instances', scenario: 'race(fresh, long-lived), awaited', ops: ops(20_000), with: raceFreshVsLongLived, without: raceNoIdleFreshVsLongLived },
  { trick: 'setPrototypeOf', scenario: 'anySignal + dispose', ops: ops(20_000), with: anyPrototypeDispose, without: anyDispose },
  { trick: 'setPrototypeOf', scenario: 'anySignal + listener + abort', ops: ops(20_000), with: anyPrototypeListenAbort, without: anyListenAbort },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function timed(run: Run, n: number): Promise<number> {
  const start = process.hrtime.bigint();
  await run(n);
  return Number(process.hrtime.bigint() - start) / n;
}

async function measure(row: Row, collectFirst: boolean): Promise<{ with: number; without: number }> {
  const sides = [row.with, row.without];
  const times: number[][] = [[], []];
  for (let w = 0; w < WARMUP; w++) for (const side of sides) await side(row.ops);
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < 2; k++) {
      const s = (r + k) % 2;
      await nextMacrotask();
      if (collectFirst) {
        gc!();
        await nextMacrotask();
      }
      times[s]!.push(await timed(sides[s]!, row.ops));
    }
  }
  return { with: median(times[0]!), without: median(times[1]!) };
}

function ns(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(2)} µs` : `${value.toFixed(0)} ns`;
}

console.log(`## tricks: each trick with and without it\n\n${environment()}\n`);
console.log(`${ROUNDS} timed runs per side (median), ${WARMUP} warm-up runs, order alternating.\n`);

for (const [mode, collectFirst] of PART === 'memory' ? [] :  [['steady (no forced GC)', false], ['after GC (a full GC before every timed run of either side)', true]] as const) {
  console.log(`\n### Time per operation, ${mode}\n`);
  console.log('| trick | scenario | ops/run | with | without | without / with |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const row of rows) {
    const result = await measure(row, collectFirst);
    console.log(
      `| ${row.trick} | ${row.scenario} | ${row.ops.toLocaleString('en-US')} | ${ns(result.with)} | ${ns(result.without)} | ${(result.without / result.with).toFixed(2)}x |`,
    );
  }
}

// ---- retained bytes per live object ----
const COUNT = ops(20_000);
const keep = (): unknown[] => [];
const memoryRows: Array<[string, string, () => Promise<number>]> = [
  ['stamp on promises', 'a raced promise kept alive (record on it vs WeakMap entry)', () => retainedPerOp(keep, (kept, i) => {
    const p = Promise.resolve(i);
    kept.push(p);
    void race([p, forever]);
  }, COUNT)],
  ['stamp on promises (without)', 'the same with race-weakmap', () => retainedPerOp(keep, (kept, i) => {
    const p = Promise.resolve(i);
    kept.push(p);
    void raceWeakMap([p, forever]);
  }, COUNT)],
  ['stamp on signals', 'a signal with a disposed onAbort kept alive', () => retainedPerOp(keep, (kept) => {
    const signal = new AbortController().signal;
    kept.push(signal);
    onAbort(signal, noop).dispose();
  }, COUNT)],
  ['stamp on signals (without)', 'the same with on-abort-weakmap', () => retainedPerOp(keep, (kept) => {
    const signal = new AbortController().signal;
    kept.push(signal);
    onAbortWeakMap(signal, noop).dispose();
  }, COUNT)],
  ['setPrototypeOf', 'a live composite of a long-lived input, v0.1 private prototype', () => retainedPerOp(keep, (kept) => {
    kept.push(anySignalPrototype([shutdown]));
  }, COUNT)],
  ['setPrototypeOf (without) = stamp on composites', 'the same with own methods (src)', () => retainedPerOp(keep, (kept) => {
    kept.push(anySignal([shutdown]));
  }, COUNT)],
  ['stamp on composites (without)', 'the same with the state in a WeakMap', () => retainedPerOp(keep, (kept) => {
    kept.push(anySignalWeakMap([shutdown]));
  }, COUNT)],
];

if (PART !== 'time') console.log(`\n### Retained bytes per live object (${COUNT.toLocaleString('en-US')} kept, heap + external after full GCs)\n`);
// Two passes, the second in reverse order: a heap's one-time growth (a
// table doubling, code space) lands on whichever row runs first, so a row is
// trusted only where both passes agree.
if (PART !== 'time') {
  const first = new Map<string, number>();
  for (const [trick, , run] of memoryRows) first.set(trick, await run());
  const second = new Map<string, number>();
  for (const [trick, , run] of [...memoryRows].reverse()) second.set(trick, await run());
  console.log('| trick | what is kept | bytes per object, pass 1 | pass 2 (reverse order) |\n|---|---|---:|---:|');
  for (const [trick, what] of memoryRows) {
    console.log(`| ${trick} | ${what} | ${first.get(trick)!.toFixed(0)} | ${second.get(trick)!.toFixed(0)} |`);
  }
}
