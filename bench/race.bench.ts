// Throughput of `race` / `any` against the built-ins and @watchable/unpromise
// (the subscribe-once race tRPC vendored after its v11 subscription leak,
// trpc/trpc#6156).
//
// One operation is the caller's whole turn, as a subscription loop runs it:
// create a fresh promise p1, race it against p2, resolve p1 right after the
// call, await the result. Every contender pays the same setup (two promise
// allocations, an array, one await), so the ratios are ratios of whole turns;
// the "no race" row of the first table shows what that setup costs alone.
//
// Scenarios:
//   fresh       p2 is a new never-settling promise every time;
//   long-lived  p2 is one never-settling promise shared by every race of a
//               timed run (a new one per run, so the built-in's reactions
//               from earlier runs do not slow later runs);
//   long-lived, kept across runs
//               one p2 per contender for the whole process, as a real
//               subscription loop keeps its abort promise: the built-in's
//               reactions accumulate, (warmup + rounds) x ops of them;
//   any, fresh  `any` vs `Promise.any` vs `Unpromise.any`.
//
// Each contender's loop is written out rather than built by one shared
// factory: a shared loop would make its `combine(...)` call site polymorphic
// (three targets), unlike any application's call site, and blur the
// comparison.
//
// Run: node --expose-gc --import tsx bench/race.bench.ts
//      (or `npm run bench -- race`). Takes ~40 s.

import { Unpromise } from '@watchable/unpromise';
import { any, race } from '../src/race.js';
import { printHeader, printRows, runScenario, type Contender, type Row } from './harness.js';

const OPS = 100_000;
const ROUNDS = 9;
const WARMUP = 2;

// A module-level executor, so creating p1 costs no closure per operation and
// the shared setup stays as small as it can be.
let captured: ((value: number) => void) | undefined;
function capture(resolve: (value: number) => void): void {
  captured = resolve;
}
function never(): void {}

type LongLivedLoop = (ops: number, longLived: Promise<never>) => Promise<void>;

const NATIVE = 'Promise.race (native)';
const LEAKPROOF = 'leakproof race';
const UNPROMISE = 'Unpromise.race';

// --- race, fresh contenders -------------------------------------------------

const freshRace: Record<string, Contender> = {
  [NATIVE]: async (ops) => {
    for (let i = 0; i < ops; i++) {
      const p1 = new Promise<number>(capture);
      const resolve = captured!;
      const result = Promise.race([p1, new Promise<never>(never)]);
      resolve(i);
      await result;
    }
  },
  [LEAKPROOF]: async (ops) => {
    for (let i = 0; i < ops; i++) {
      const p1 = new Promise<number>(capture);
      const resolve = captured!;
      const result = race([p1, new Promise<never>(never)]);
      resolve(i);
      await result;
    }
  },
  [UNPROMISE]: async (ops) => {
    for (let i = 0; i < ops; i++) {
      const p1 = new Promise<number>(capture);
      const resolve = captured!;
      const result = Unpromise.race([p1, new Promise<never>(never)]);
      resolve(i);
      await result;
    }
  },
  '(no race: the setup and await alone)': async (ops) => {
    for (let i = 0; i < ops; i++) {
      const p1 = new Promise<number>(capture);
      const resolve = captured!;
      const pair = [p1, new Promise<never>(never)] as const;
      resolve(i);
      await pair[0];
    }
  },
};

// --- race, one long-lived contender ------------------------------------------

const longLivedRace: Record<string, LongLivedLoop> = {
  [NATIVE]: async (ops, longLived) => {
    for (let i = 0; i < ops; i++) {
      const p1 = new Promise<number>(capture);
      const resolve = captured!;
      const result = Promise.race([p1, longLived]);
      resolve(i);
      await result;
    }
  },
  [LEAKPROOF]: async (ops, longLived) => {
    for (let i = 0; i < ops; i++) {
      const p1 = new Promise<number>(capture);
      const resolve = captured!;
      const result = race([p1, longLived]);
      resolve(i);
      await result;
    }
  },
  [UNPROMISE]: async (ops, longLived) => {
    for (let i = 0; i < ops; i++) {
      const p1 = new Promise<number>(capture);
      const resolve = captured!;
      const result = Unpromise.race([p1, longLived]);
      resolve(i);
      await result;
    }
  },
};

function perRun(loops: Record<string, LongLivedLoop>): Record<string, Contender> {
  return Object.fromEntries(
    Object.entries(loops).map(([name, loop]) => [name, (ops: number) => loop(ops, new Promise<never>(never))]),
  );
}

function keptAcrossRuns(loops: Record<string, LongLivedLoop>): Record<string, Contender> {
  return Object.fromEntries(
    Object.entries(loops).map(([name, loop]) => {
      const longLived = new Promise<never>(never);
      return [name, (ops: number) => loop(ops, longLived)];
    }),
  );
}

// --- any, fresh contenders ---------------------------------------------------

const freshAny: Record<string, Contender> = {
  'Promise.any (native)': async (ops) => {
    for (let i = 0; i < ops; i++) {
      const p1 = new Promise<number>(capture);
      const resolve = captured!;
      const result = Promise.any([p1, new Promise<never>(never)]);
      resolve(i);
      await result;
    }
  },
  'leakproof any': async (ops) => {
    for (let i = 0; i < ops; i++) {
      const p1 = new Promise<number>(capture);
      const resolve = captured!;
      const result = any([p1, new Promise<never>(never)]);
      resolve(i);
      await result;
    }
  },
  'Unpromise.any': async (ops) => {
    for (let i = 0; i < ops; i++) {
      const p1 = new Promise<number>(capture);
      const resolve = captured!;
      const result = Unpromise.any([p1, new Promise<never>(never)]);
      resolve(i);
      await result;
    }
  },
};

// --- run -----------------------------------------------------------------------

printHeader('race / any: time per operation');
console.log(
  `\nOne operation: create p1, race([p1, p2]), resolve p1, await the result. ${OPS.toLocaleString('en-US')} operations per timed run; median of ${ROUNDS} interleaved runs after ${WARMUP} warmup runs.`,
);

const common = { ops: OPS, rounds: ROUNDS, warmup: WARMUP };
const fresh = await runScenario({
  ...common,
  name: 'race, fresh contenders (p2 a new never-settling promise each time)',
  contenders: freshRace,
});
const longLived = await runScenario({
  ...common,
  name: 'race, one long-lived contender (a new one per timed run)',
  contenders: perRun(longLivedRace),
});
const kept = await runScenario({
  ...common,
  name: `race, one long-lived contender kept across runs (the built-in's reactions pile up: ${((ROUNDS + WARMUP) * OPS).toLocaleString('en-US')} by the end)`,
  contenders: keptAcrossRuns(longLivedRace),
});
const anyFresh = await runScenario({ ...common, name: 'any, fresh contenders', contenders: freshAny });

// The targets, computed from the medians above.
function ns(rows: Row[], contender: string): number {
  return rows.find((row) => row.contender === contender)!.nsPerOp;
}
function target(label: string, value: number, goal: string, met: boolean): Array<string | number> {
  return [label, `${value.toFixed(2)}x`, goal, met ? 'met' : 'NOT met'];
}
const freshRatio = ns(fresh, LEAKPROOF) / ns(fresh, NATIVE);
const longLivedRatio = ns(longLived, LEAKPROOF) / ns(longLived, NATIVE);
const keptRatio = ns(kept, LEAKPROOF) / ns(kept, NATIVE);
const anyRatio = ns(anyFresh, 'leakproof any') / ns(anyFresh, 'Promise.any (native)');
const vsUnpromise = [
  ns(fresh, UNPROMISE) / ns(fresh, LEAKPROOF),
  ns(longLived, UNPROMISE) / ns(longLived, LEAKPROOF),
  ns(kept, UNPROMISE) / ns(kept, LEAKPROOF),
];
printRows(
  'Targets (issue 2, section 4)',
  ['measure', 'measured', 'target', 'verdict'],
  [
    target('long-lived, new per run: leakproof / native', longLivedRatio, '≤ 1.00x', longLivedRatio <= 1),
    target('long-lived, kept: leakproof / native', keptRatio, '≤ 1.00x', keptRatio <= 1),
    target('fresh: leakproof / native', freshRatio, '≤ 1.50x', freshRatio <= 1.5),
    target('Unpromise / leakproof, fresh', vsUnpromise[0]!, '≥ 2x', vsUnpromise[0]! >= 2),
    target('Unpromise / leakproof, long-lived new per run', vsUnpromise[1]!, '≥ 2x', vsUnpromise[1]! >= 2),
    target('Unpromise / leakproof, long-lived kept', vsUnpromise[2]!, '≥ 2x', vsUnpromise[2]! >= 2),
    ['any, fresh: leakproof / native (no target)', `${anyRatio.toFixed(2)}x`, '–', '–'],
  ],
);
