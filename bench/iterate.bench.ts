// Per-item cost of abortableIterator, pump and on(), against the yardsticks
// issue 12 sets: abortableIterator with a signal within 1.15x of a minimal
// wrapper (the floor: what any wrapper that can settle a pending next() on
// abort must do), and on() per event no slower than Node's events.on. Also
// the `abortable-iterator` package (v5, libp2p's) for reference, whether an
// idle instance kept alive pays (it was a trick of v0.1: see the 'idle'
// scenario). Memory: bench/memory/iterate.mem.ts.
//
//   node --expose-gc --import tsx bench/iterate.bench.ts [scenario] [--quick]
//
// How contenders are treated alike: each scenario runs in a process of its
// own; contenders alternate within a round and the order rotates every round;
// nothing forces a GC before one contender and not another (only the 'idle'
// scenario collects between runs, for every contender, because that is the
// situation it measures). Times are CPU time (process.cpuUsage: user +
// system, all threads) per item, median of the rounds; the wall-clock median
// is shown beside it. `--quick` divides every count by 100 to check that the
// file runs; its figures mean nothing.

import { spawnSync } from 'node:child_process';
import { EventEmitter, on as nodeOn, setMaxListeners } from 'node:events';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { abortableSource } from 'abortable-iterator';
import { abortableIterator } from '../src/abortable-iterator.js';
import { on } from '../src/on.js';
import { pump } from '../src/pump.js';
import { printHeader, printRows, recordTarget } from './harness.js';

const quick = process.argv.includes('--quick');
const scale = (n: number): number => (quick ? Math.max(1, Math.round(n / 100)) : n);
const ROUNDS = quick ? 2 : 7;
let sink = 0;

// --- sources -----------------------------------------------------------------

async function* generator(n: number): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) yield i;
}

/** A hand-written async iterator whose promises are already resolved. */
class Counter implements AsyncIterableIterator<number> {
  #i = 0;
  readonly #n: number;
  constructor(n: number) {
    this.#n = n;
  }
  next(): Promise<IteratorResult<number>> {
    const i = this.#i++;
    return Promise.resolve(i < this.#n ? { value: i, done: false } : { value: undefined, done: true });
  }
  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * The floor: the least a wrapper must do per item to settle a pending next()
 * on abort and to know when the source has ended: one promise of its own and
 * one reaction on the source's promise that looks at `done`. No cleanup,
 * queueing, validation or abort handling: a yardstick, not a contender. It
 * keeps no idle instance: neither does abortableIterator any more.
 */
class MinimalWrapper<T> implements AsyncIterableIterator<T> {
  readonly #source: AsyncIterator<T>;
  #resolve: ((result: IteratorResult<T>) => void) | null = null;
  #reject: ((reason: unknown) => void) | null = null;
  done = false;
  readonly #fulfilled = (result: IteratorResult<T>): void => {
    const resolve = this.#resolve!;
    this.#resolve = this.#reject = null;
    if (result.done) this.done = true;
    resolve(result);
  };
  readonly #rejected = (reason: unknown): void => {
    const reject = this.#reject!;
    this.#resolve = this.#reject = null;
    reject(reason);
  };
  constructor(source: AsyncIterable<T>) {
    this.#source = source[Symbol.asyncIterator]();
  }
  next(): Promise<IteratorResult<T>> {
    const { promise, resolve, reject } = withResolvers<IteratorResult<T>>();
    this.#resolve = resolve;
    this.#reject = reject;
    this.#source.next().then(this.#fulfilled, this.#rejected);
    return promise;
  }
  [Symbol.asyncIterator](): this {
    return this;
  }
}

// Promise.withResolvers is Node 22+; the floor must run on Node 20 too.
function withResolvers<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (reason: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const signal = new AbortController().signal;
setMaxListeners(0, signal);

// --- measurement -----------------------------------------------------------------

interface Timing {
  cpu: number[];
  wall: number[];
}

/**
 * A run: does its work and returns how many items it timed and the CPU and
 * wall time they took (a run may time only part of its work, e.g. the second
 * half of a long iteration).
 */
type Run = () => Promise<{ items: number; cpuNs: number; wallNs: number }>;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

class Clock {
  #cpu = process.cpuUsage();
  #wall = process.hrtime.bigint();
  restart(): void {
    this.#cpu = process.cpuUsage();
    this.#wall = process.hrtime.bigint();
  }
  read(): { cpuNs: number; wallNs: number } {
    const cpu = process.cpuUsage(this.#cpu);
    return { cpuNs: (cpu.user + cpu.system) * 1000, wallNs: Number(process.hrtime.bigint() - this.#wall) };
  }
}

/**
 * Runs every contender `ROUNDS` times after one untimed warm-up run each,
 * alternating, the order rotating every round; prints CPU and wall ns per
 * item and the ratio of each to `baseline`; returns the CPU medians.
 */
async function compare(title: string, runs: Record<string, Run>, baseline: string): Promise<Record<string, number>> {
  const names = Object.keys(runs);
  const timings = new Map<string, Timing>(names.map((name) => [name, { cpu: [], wall: [] }]));
  for (const name of names) await runs[name]!();
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length]!;
      const { items, cpuNs, wallNs } = await runs[name]!();
      timings.get(name)!.cpu.push(cpuNs / items);
      timings.get(name)!.wall.push(wallNs / items);
    }
  }
  const medians: Record<string, number> = {};
  for (const name of names) medians[name] = median(timings.get(name)!.cpu);
  const base = medians[baseline]!;
  const wallBase = median(timings.get(baseline)!.wall);
  printRows(
    title,
    ['contender', 'CPU ns per item', `vs ${baseline}`, 'wall ns per item', `vs ${baseline} (wall)`],
    names.map((name) => {
      const wall = median(timings.get(name)!.wall);
      return [
        name,
        medians[name]!.toFixed(0),
        `${(medians[name]! / base).toFixed(2)}x`,
        wall.toFixed(0),
        `${(wall / wallBase).toFixed(2)}x`,
      ];
    }),
  );
  return medians;
}

function verdict(label: string, ratio: number, target: number): void {
  const met = ratio <= target ? 'met' : 'NOT met';
  if (!quick) recordTarget({ scenario: 'bench/iterate.bench.ts', label, ratio, max: target, met: ratio <= target });
  console.log(`\n**${label}: ${ratio.toFixed(2)}x (target ≤ ${target.toFixed(2)}x) – ${met}**${quick ? ' (--quick: meaningless)' : ''}`);
}

// --- abortableIterator: steady state -------------------------------------------

type Wrap = (source: AsyncIterable<number>) => AsyncIterable<number>;

const wrappers: Record<string, Wrap> = {
  'floor: minimal wrapper': (source) => new MinimalWrapper(source),
  'abortableIterator, signal': (source) => abortableIterator(source, { signal }),
  'abortableIterator, no signal': (source) => abortableIterator(source),
  'for await (native)': (source) => source,
  'abortable-iterator 5.1': (source) => abortableSource(source, signal) as AsyncIterable<number>,
};

/** One long iteration; the clock runs over its second half only, once the JIT has settled. */
function steadyRun(wrap: Wrap | 'pump', make: () => AsyncIterable<number>, items: number): Run {
  return async () => {
    const clock = new Clock();
    let seen = 0;
    const half = items >> 1;
    const tick = (x: number): void => {
      sink += x;
      if (++seen === half) clock.restart();
    };
    if (wrap === 'pump') await pump(make(), tick, { signal });
    else for await (const x of wrap(make())) tick(x);
    return { items: items - half, ...clock.read() };
  };
}

async function steady(title: string, make: (n: number) => AsyncIterable<number>): Promise<void> {
  const items = scale(1_000_000);
  const runs: Record<string, Run> = {};
  for (const [name, wrap] of Object.entries(wrappers)) runs[name] = steadyRun(wrap, () => make(items), items);
  runs['pump, signal, sync sink'] = steadyRun('pump', () => make(items), items);
  const medians = await compare(
    `steady state, ${title}: per item over the second half of a ${items.toLocaleString('en')}-item iteration`,
    runs,
    'floor: minimal wrapper',
  );
  verdict(`abortableIterator with a signal vs the floor, steady state, ${title}`, medians['abortableIterator, signal']! / medians['floor: minimal wrapper']!, 1.15);
}

// --- abortableIterator: short runs ------------------------------------------------

/** Many short iterations, each with a wrapper of its own: creation, subscription and close included. */
function shortRun(wrap: Wrap | 'pump', make: (n: number) => AsyncIterable<number>, length: number, count: number): Run {
  return async () => {
    const clock = new Clock();
    for (let i = 0; i < count; i++) {
      if (wrap === 'pump') {
        await pump(make(length), (x) => {
          sink += x;
        }, { signal });
      } else {
        for await (const x of wrap(make(length))) sink += x;
      }
    }
    return { items: length * count, ...clock.read() };
  };
}

async function short(title: string, make: (n: number) => AsyncIterable<number>): Promise<void> {
  const length = 10;
  const count = scale(20_000);
  const runs: Record<string, Run> = {};
  for (const [name, wrap] of Object.entries(wrappers)) runs[name] = shortRun(wrap, make, length, count);
  runs['pump, signal, sync sink'] = shortRun('pump', make, length, count);
  const medians = await compare(
    `short runs, ${title}: ${count.toLocaleString('en')} iterations of ${length} items, a new wrapper each (per item)`,
    runs,
    'floor: minimal wrapper',
  );
  verdict(`abortableIterator with a signal vs the floor, short runs, ${title}`, medians['abortableIterator, signal']! / medians['floor: minimal wrapper']!, 1.15);
}

// --- on() vs events.on ---------------------------------------------------------------

type Subscribe = (emitter: EventEmitter) => AsyncIterableIterator<unknown[]>;

// Each with and without a signal: the target compares like with like.
const subscribers: Record<string, Subscribe> = {
  'events.on (node), signal': (emitter) => nodeOn(emitter, 'n', { signal }) as AsyncIterableIterator<unknown[]>,
  'on(), signal': (emitter) => on(emitter, 'n', { signal }),
  'events.on (node), no signal': (emitter) => nodeOn(emitter, 'n') as AsyncIterableIterator<unknown[]>,
  'on(), no signal': (emitter) => on(emitter, 'n'),
};

function onVerdicts(label: string, medians: Record<string, number>): void {
  for (const kind of ['signal', 'no signal']) {
    verdict(`on(), ${kind}, vs events.on, ${kind}, ${label}`, medians[`on(), ${kind}`]! / medians[`events.on (node), ${kind}`]!, 1);
  }
}

/**
 * Events per iterator: `burst` events are emitted, then read (values
 * buffered); with `burst` 0, each event is emitted while a next() is
 * waiting for it (a consumer waiting). The clock covers the second half.
 */
function eventsRun(subscribe: Subscribe, events: number, burst: number, timeHalf: boolean): Run {
  return async () => {
    const emitter = new EventEmitter();
    const iterator = subscribe(emitter);
    const clock = new Clock();
    const half = timeHalf ? events >> 1 : 0;
    let i = 0;
    if (burst === 0) {
      for (; i < events; i++) {
        if (i === half) clock.restart();
        const pending = iterator.next();
        emitter.emit('n', i);
        sink += (await pending).value[0] as number;
      }
    } else {
      while (i < events) {
        if (i >= half && i - burst < half) clock.restart();
        for (let j = 0; j < burst; j++) emitter.emit('n', i + j);
        for (let j = 0; j < burst; j++) sink += (await iterator.next()).value[0] as number;
        i += burst;
      }
    }
    const timed = clock.read();
    await iterator.return!();
    return { items: events - half, ...timed };
  };
}

async function onSteady(): Promise<void> {
  const events = scale(400_000);
  for (const [label, burst] of [['values buffered (bursts of 64)', 64], ['a consumer waiting', 0]] as const) {
    const runs: Record<string, Run> = {};
    for (const [name, subscribe] of Object.entries(subscribers)) runs[name] = eventsRun(subscribe, events, burst, true);
    const medians = await compare(
      `on() steady state, ${label}: per event over the second half of ${events.toLocaleString('en')} events`,
      runs,
      'events.on (node), signal',
    );
    onVerdicts(`steady state, ${label}`, medians);
  }
}

async function onShort(): Promise<void> {
  const count = scale(20_000);
  const length = 8;
  for (const [label, burst] of [['values buffered', length], ['a consumer waiting', 0]] as const) {
    const runs: Record<string, Run> = {};
    for (const [name, subscribe] of Object.entries(subscribers)) {
      const one = eventsRun(subscribe, length, burst, false);
      runs[name] = async () => {
        const clock = new Clock();
        for (let i = 0; i < count; i++) await one();
        return { items: count * length, ...clock.read() };
      };
    }
    const medians = await compare(
      `on() short runs, ${label}: ${count.toLocaleString('en')} subscriptions of ${length} events, subscribe and return included (per event)`,
      runs,
      'events.on (node), signal',
    );
    onVerdicts(`short runs, ${label}`, medians);
  }
}

// --- idle instances ---------------------------------------------------------------------

// v0.1 kept one idle IteratorWrapper and one idle Pump alive, against this:
// V8 keeps a class's hidden classes only while some instance uses them, so a
// process that iterates now and then, with a full GC while no wrapper is
// alive, loses them and deoptimizes what checked them. Measured here as
// exactly that situation: one wrapper at a time, a full GC before each, with
// and without a long-lived instance of each class kept by the process (what
// the idle instances did; a started one, since pump has no other kind).
let keeper: unknown[] | undefined;
const neverSource: AsyncIterable<number> = { [Symbol.asyncIterator]: () => ({ next: () => new Promise(() => {}) }) };

async function idle(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') throw new Error("the 'idle' scenario needs node --expose-gc");
  const items = scale(20_000);
  const variant = (wrap: Wrap | 'pump', keepInstance: boolean): Run => {
    const iterate = shortRun(wrap, (n) => new Counter(n), items, 1);
    return async () => {
      if (!keepInstance) keeper = undefined;
      else if (keeper === undefined) {
        const kept = abortableIterator(neverSource, { signal });
        void kept.next();
        keeper = [kept, pump(neverSource, () => {}, { signal })];
      }
      await nextMacrotask();
      gc();
      await nextMacrotask();
      return iterate();
    };
  };
  const medians = await compare(
    `idle instances: one ${items.toLocaleString('en')}-item iteration at a time, a full GC before each (per item)`,
    {
      'abortableIterator, signal, no instance kept': variant(wrappers['abortableIterator, signal']!, false),
      'abortableIterator, signal, an instance kept alive': variant(wrappers['abortableIterator, signal']!, true),
      'pump, signal, no instance kept': variant('pump', false),
      'pump, signal, an instance kept alive': variant('pump', true),
    },
    'abortableIterator, signal, no instance kept',
  );
  for (const kind of ['abortableIterator, signal', 'pump, signal']) {
    const gain = medians[`${kind}, no instance kept`]! / medians[`${kind}, an instance kept alive`]! - 1;
    console.log(
      `\n**${kind}: with an instance kept alive ${Math.abs(gain * 100).toFixed(0)}% ${gain >= 0 ? 'faster' : 'slower'} (the trick returns only above 10% faster)**${quick ? ' (--quick: meaningless)' : ''}`,
    );
  }
}

// --- scenarios -----------------------------------------------------------------------------

// Each scenario runs in a process of its own: the wrappers' call sites would
// otherwise carry type feedback from one scenario's sources into the next.
const scenarios: Record<string, () => Promise<unknown>> = {
  'steady resolved': () => steady('hand-written async iterator, already-resolved promises', (n) => new Counter(n)),
  'steady generator': () => steady('async generator source', (n) => generator(n)),
  'short resolved': () => short('hand-written async iterator', (n) => new Counter(n)),
  'short generator': () => short('async generator source', (n) => generator(n)),
  'on steady': onSteady,
  'on short': onShort,
  idle,
};

const only = process.argv.slice(2).find((arg) => !arg.startsWith('--'));
if (only === undefined) {
  printHeader('abortableIterator, pump and on(): per-item cost');
  for (const name of Object.keys(scenarios)) {
    const args = [...process.execArgv, fileURLToPath(import.meta.url), name];
    if (quick) args.push('--quick');
    const child = spawnSync(process.execPath, args, { stdio: 'inherit' });
    if (child.status !== 0) process.exitCode = 1;
  }
} else {
  const scenario = scenarios[only];
  if (scenario === undefined) throw new Error(`unknown scenario ${only}; one of: ${Object.keys(scenarios).join(', ')}`);
  await scenario();
}
