// `weakInterval` / `weakTimeout` against the built-in timers.
//
// Time per operation:
//   create/dispose   start a timer for an object and stop it again:
//                    setInterval(fn.bind(target)) + clearInterval vs
//                    weakInterval(target, fn) + [Symbol.dispose]();
//   one-shot         setTimeout + clearTimeout vs weakTimeout + dispose.
// Memory (bytes retained per op after full GCs, the headline):
//   objects that install an unref'ed one-hour interval bound to themselves
//   and are then dropped without being stopped (the `http.createServer()`
//   without `listen()` shape): the built-in keeps every object and its timer;
//   weakInterval keeps nothing once the objects are collected.
//
// Run: node --expose-gc --import tsx bench/weak-interval.bench.ts
//      (or `npm run bench -- weak-interval`). Takes ~20 s on a quiet machine.

import { measureHeapSlope } from '../src/testing/index.js';
import { weakInterval, weakTimeout } from '../src/weak-interval.js';
import { printHeader, printRows, retainedPerOp, runScenario, type Contender } from './harness.js';

const OPS = 50_000;
const ROUNDS = 9;
const WARMUP = 2;
const MEMORY_OPS = 10_000;
const SLOPE_OPS = 100_000;
const HOUR = 3_600_000;

interface Target {
  ticks: number;
  check(): void;
}

function makeTarget(): Target {
  return {
    ticks: 0,
    check() {
      this.ticks++;
    },
  };
}

function tick(target: Target): void {
  target.check();
}

const createDispose: Record<string, Contender> = {
  'setInterval(fn.bind(target)) + clearInterval': (ops) => {
    const target = makeTarget();
    for (let i = 0; i < ops; i++) clearInterval(setInterval(target.check.bind(target), HOUR).unref());
  },
  'leakproof weakInterval(target, fn) + dispose': (ops) => {
    const target = makeTarget();
    for (let i = 0; i < ops; i++) weakInterval(target, tick, HOUR)[Symbol.dispose]();
  },
};

const oneShot: Record<string, Contender> = {
  'setTimeout(fn.bind(target)) + clearTimeout': (ops) => {
    const target = makeTarget();
    for (let i = 0; i < ops; i++) clearTimeout(setTimeout(target.check.bind(target), HOUR).unref());
  },
  'leakproof weakTimeout(target, fn) + dispose': (ops) => {
    const target = makeTarget();
    for (let i = 0; i < ops; i++) weakTimeout(target, tick, HOUR)[Symbol.dispose]();
  },
};

printHeader('weakInterval / weakTimeout: time per operation');
console.log(`\n${OPS.toLocaleString('en-US')} operations per timed run; median of ${ROUNDS} interleaved runs after ${WARMUP} warmup runs.`);
const common = { ops: OPS, rounds: ROUNDS, warmup: WARMUP };
await runScenario({ ...common, name: 'create and dispose an interval for an object', contenders: createDispose });
await runScenario({ ...common, name: 'create and dispose a timeout for an object', contenders: oneShot });

// --- memory --------------------------------------------------------------------------

// Timers the built-in variant leaves behind, cleared after its measurement so
// they do not slow the next one.
const leftBehind: Array<ReturnType<typeof setInterval>> = [];

class BuiltinServer {
  readonly connections = new Array(16).fill(0);
  constructor() {
    leftBehind.push(setInterval(this.checkConnections.bind(this), HOUR).unref());
  }
  checkConnections(): void {}
}

class WeakServer {
  readonly connections = new Array(16).fill(0);
  constructor() {
    weakInterval(this, (server) => server.checkConnections(), HOUR);
  }
  checkConnections(): void {}
}

// Two figures per pattern: bytes retained per object after one batch
// (retainedPerOp; for weakInterval this includes one-time growth of the
// engine's FinalizationRegistry and timer tables, amortised over the batch),
// and the least-squares heap slope over SLOPE_OPS objects (the steady state).
const rows: Array<Array<string | number>> = [];
const builtinRetained = await retainedPerOp(() => null, () => new BuiltinServer(), MEMORY_OPS);
for (const timer of leftBehind.splice(0)) clearInterval(timer);
const builtinSlope = await measureHeapSlope(() => new BuiltinServer(), { iterations: MEMORY_OPS });
for (const timer of leftBehind.splice(0)) clearInterval(timer);
rows.push(['unref’ed setInterval(fn.bind(server)), never cleared', builtinRetained.toFixed(1), builtinSlope.bytesPerIteration.toFixed(1)]);
const weakRetained = await retainedPerOp(() => null, () => new WeakServer(), MEMORY_OPS);
const weakSlope = await measureHeapSlope(() => new WeakServer(), { iterations: SLOPE_OPS });
rows.push(['leakproof weakInterval(server, fn), never disposed', weakRetained.toFixed(1), weakSlope.bytesPerIteration.toFixed(1)]);
printRows(
  `weakInterval: memory per dropped object (one-hour unref’ed interval each; ${MEMORY_OPS.toLocaleString('en-US')} objects retained/op, slope over ${MEMORY_OPS.toLocaleString('en-US')} built-in / ${SLOPE_OPS.toLocaleString('en-US')} leakproof)`,
  ['pattern', 'bytes/object retained', 'heap slope bytes/object'],
  rows,
);
