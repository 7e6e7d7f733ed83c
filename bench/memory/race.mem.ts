// Memory retained by racing against a contender that never settles: the
// built-in `Promise.race`, leakproof `race` and @watchable/unpromise.
//
// 1. Bytes retained per race (heapUsed + external after full GCs, divided by
//    the number of races) on one long-lived never-settling contender, with a
//    small value (a number) and with a 1 KiB value (a Uint8Array, off-heap).
// 2. The subscription loop: an async generator yields 200 payloads of 1 MiB
//    (Buffers, off-heap: they show in `external`/`arrayBuffers`, not in
//    `heapUsed`), each `next()` raced against one never-settling abort
//    promise while the loop runs; MB retained after GC and payloads still
//    reachable (WeakRefs checked after GC).
//
// Memory figures do not depend on CPU load: they are stable on a busy machine.
//
// Run: node --expose-gc --import tsx bench/memory/race.mem.ts
//      (or `npm run bench -- race`). Takes ~10 s.

import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { Unpromise } from '@watchable/unpromise';
import { race } from '../../src/race.js';
import { printHeader, printRows, retainedPerOp } from '../harness.js';

type Combinator = (values: readonly unknown[]) => Promise<unknown>;

const combinators: Record<string, Combinator> = {
  'Promise.race (native)': (values) => Promise.race(values),
  'leakproof race': (values) => race(values),
  'Unpromise.race': (values) => Unpromise.race(values),
};

const RACES = 100_000;
const REPEATS = 3;
const KIB = 1024;
const MIB = 1024 * 1024;
const LOOP_ITERATIONS = 200;

function never(): void {}

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (typeof collect !== 'function') throw new Error('run with node --expose-gc');
  collect();
}

async function settleHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await nextMacrotask();
    gc();
  }
  await nextMacrotask();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

interface LongLived {
  forever: Promise<never>;
}

function longLived(): LongLived {
  return { forever: new Promise<never>(never) };
}

// Median of REPEATS measurements: a single one can be off by a few hundred
// KB of unrelated heap activity (code, feedback, the loader), i.e. a few
// bytes per race either way.
async function bytesPerRace(combine: Combinator, value: (i: number) => unknown): Promise<number> {
  const runs: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    runs.push(await retainedPerOp(longLived, (state, i) => combine([Promise.resolve(value(i)), state.forever]), RACES));
  }
  return runs.sort((a, b) => a - b)[REPEATS >> 1]!;
}

// toFixed keeps the sign of a value that rounds to zero ("-0.0"); drop it.
function fixed(value: number, digits: number): string {
  const text = value.toFixed(digits);
  return Number(text) === 0 ? (0).toFixed(digits) : text;
}

function formatBytes(bytes: number): string {
  return `${fixed(bytes, 1)} B`;
}

// The subscription loop, as a service runs it: one abort promise for the
// whole subscription, every `next()` raced against it.
const payloads = new Set<WeakRef<object>>();

async function* produce(count: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < count; i++) {
    const payload = Buffer.alloc(MIB, i & 0xff);
    payloads.add(new WeakRef(payload));
    yield payload;
  }
}

async function subscriptionLoop(combine: Combinator): Promise<{ retainedMib: number; alive: number }> {
  payloads.clear();
  const abort = new Promise<never>(never);
  const before = await settleHeap();
  const source = produce(LOOP_ITERATIONS);
  let checksum = 0;
  for (;;) {
    const next = (await combine([source.next(), abort])) as IteratorResult<Buffer>;
    if (next.done) break;
    checksum += next.value[0]!;
    if (checksum % 64 === 63) await nextMacrotask();
  }
  // Measured while `abort` is still alive (it is used below), as in a
  // subscription that is still open.
  const after = await settleHeap();
  let alive = 0;
  for (const ref of payloads) if (ref.deref() !== undefined) alive++;
  payloads.clear();
  void abort.then(never);
  return { retainedMib: (after - before) / MIB, alive };
}

printHeader('race: memory retained by a never-settling contender');

const perRace: Array<Array<string | number>> = [];
for (const [name, combine] of Object.entries(combinators)) {
  const small = await bytesPerRace(combine, (i) => i);
  const large = await bytesPerRace(combine, () => new Uint8Array(KIB));
  perRace.push([name, formatBytes(small), formatBytes(large)]);
}
printRows(
  `Bytes retained per race on one long-lived contender (${RACES.toLocaleString('en-US')} races, heapUsed + external after GC, median of ${REPEATS})`,
  ['contender', 'small value (number)', '1 KiB value (Uint8Array)'],
  perRace,
);

const loop: Array<Array<string | number>> = [];
for (const [name, combine] of Object.entries(combinators)) {
  const { retainedMib, alive } = await subscriptionLoop(combine);
  loop.push([name, `${fixed(retainedMib, 1)} MiB`, `${alive}/${LOOP_ITERATIONS}`]);
}
printRows(
  `Subscription loop: ${LOOP_ITERATIONS} × 1 MiB Buffers raced against one never-settling promise (after GC, loop's abort promise still alive)`,
  ['contender', 'retained (heapUsed + external)', 'payloads still reachable'],
  loop,
);
