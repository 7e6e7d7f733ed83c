// Per-item overhead of abortableIterator and pump against a plain `for await`
// over the same trivial source (the worst case: the source does no work, so
// every nanosecond is the wrapper's), and against the `abortable-iterator`
// package (v5, libp2p's). Also what one early-`break` loop leaves behind on a
// long-lived signal.
//
//   node --expose-gc --import tsx bench/iterate.bench.ts [scenario]

import { spawnSync } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { fileURLToPath } from 'node:url';
import { abortableSource } from 'abortable-iterator';
import { abortableIterator } from '../src/abortable-iterator.js';
import { pump } from '../src/pump.js';
import { printHeader, printRows, retainedPerOp, runScenario } from './harness.js';

// Two views of the same per-item cost. The harness scenarios time whole runs
// and force a full GC before each one; a class with no live instance loses
// its hidden classes in that GC and every optimized function that checked
// them is deoptimized, which is why abortableIterator, pump and the floor
// wrapper each keep one idle instance alive. The "steady state" scenarios time
// the second half of one long iteration (no forced GC inside), which is what
// a long-lived subscription sees.
const ITEMS = 200_000;
let sink = 0;

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

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/**
 * The floor: the least a wrapper must do per item to settle a pending next()
 * on abort and to know when the source has ended: one promise of its own and
 * one reaction on the source's promise that looks at `done`. No cleanup,
 * queueing, validation or abort handling: a yardstick, not a contender.
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
    const promise = new Promise<IteratorResult<T>>(captureResolvers as never);
    this.#resolve = capturedResolve as (result: IteratorResult<T>) => void;
    this.#reject = capturedReject!;
    capturedResolve = capturedReject = undefined;
    this.#source.next().then(this.#fulfilled, this.#rejected);
    return promise;
  }
  [Symbol.asyncIterator](): this {
    return this;
  }
  // Keeps the class's hidden classes alive across the harness's forced GCs,
  // as abortableIterator and pump do (see the comment on ITEMS).
  static readonly idle = new MinimalWrapper<never>({ [Symbol.asyncIterator]: () => ({ next: () => never }) });
}
const never = new Promise<never>(() => {});
let capturedResolve: ((value: unknown) => void) | undefined;
let capturedReject: ((reason: unknown) => void) | undefined;
function captureResolvers(resolve: (value: unknown) => void, reject: (reason: unknown) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

const signal = new AbortController().signal;
type Source = () => AsyncIterable<number> | Iterable<number>;

// Each contender runs ITEMS items (the harness's `ops`).
function contenders(make: Source, includeFloor: boolean): Record<string, (n: number) => Promise<void>> {
  const all: Record<string, (n: number) => Promise<void>> = {
    'for await (native)': async () => {
      for await (const x of make()) sink += x;
    },
    'abortableIterator, no signal': async () => {
      for await (const x of abortableIterator(make())) sink += x;
    },
    'abortableIterator, signal': async () => {
      for await (const x of abortableIterator(make(), { signal })) sink += x;
    },
    'pump, signal, sync sink': () =>
      pump(make(), (x) => {
        sink += x;
      }, { signal }),
    'abortable-iterator 5.1': async () => {
      for await (const x of abortableSource(make(), signal)) sink += x as number;
    },
  };
  if (includeFloor) {
    all['floor: minimal wrapper'] = async () => {
      for await (const x of new MinimalWrapper(make() as AsyncIterable<number>)) sink += x;
    };
  }
  return all;
}

// Each scenario runs in a process of its own: the wrappers' call sites would
// otherwise carry type feedback from one scenario's sources into the next.
const scenarios: Record<string, () => Promise<unknown>> = {
  generator: () =>
    runScenario({
      name: `async generator source, ${ITEMS.toLocaleString('en')} items (ns per item)`,
      ops: ITEMS,
      rounds: 7,
      contenders: contenders(() => generator(ITEMS), true),
    }),
  resolved: () =>
    runScenario({
      name: `hand-written async iterator, already-resolved promises, ${ITEMS.toLocaleString('en')} items (ns per item)`,
      ops: ITEMS,
      rounds: 7,
      contenders: contenders(() => new Counter(ITEMS), true),
    }),
  array: () => {
    const array = range(ITEMS);
    return runScenario({
      name: `sync iterable (array), ${ITEMS.toLocaleString('en')} items (ns per item)`,
      ops: ITEMS,
      rounds: 7,
      contenders: contenders(() => array, false),
    });
  },
  'async sink': () => {
    // A sink that returns a promise, as a socket write does.
    const asyncSink = async (x: number): Promise<void> => {
      sink += x;
    };
    return runScenario({
      name: `async sink: pump vs for await + await sink(x), async generator, ${ITEMS.toLocaleString('en')} items (ns per item)`,
      ops: ITEMS,
      rounds: 7,
      contenders: {
        'for await + await sink (native)': async () => {
          for await (const x of generator(ITEMS)) await asyncSink(x);
        },
        'pump, signal': () => pump(generator(ITEMS), asyncSink, { signal }),
      },
    });
  },
  'steady generator': () => steadyState('async generator source', () => generator(STEADY_ITEMS)),
  'steady resolved': () => steadyState('hand-written async iterator, already-resolved promises', () => new Counter(STEADY_ITEMS)),
  'break early': breakEarlyScenario,
};

// One long iteration per contender: the clock runs over its second half only,
// once the JIT has settled. Contenders alternate; the median of 3 is shown.
const STEADY_ITEMS = 1_000_000;
async function steadyState(title: string, make: () => AsyncIterable<number>): Promise<void> {
  let seen = 0;
  let start = 0n;
  const tick = (x: number): void => {
    sink += x;
    if (++seen === STEADY_ITEMS / 2) start = process.hrtime.bigint();
  };
  const runs: Record<string, () => Promise<void>> = {
    'for await (native)': async () => {
      for await (const x of make()) tick(x);
    },
    'abortableIterator, no signal': async () => {
      for await (const x of abortableIterator(make())) tick(x);
    },
    'abortableIterator, signal': async () => {
      for await (const x of abortableIterator(make(), { signal })) tick(x);
    },
    'pump, signal, sync sink': () => pump(make(), tick, { signal }),
    'abortable-iterator 5.1': async () => {
      for await (const x of abortableSource(make(), signal)) tick(x as number);
    },
    'floor: minimal wrapper': async () => {
      for await (const x of new MinimalWrapper(make())) tick(x);
    },
  };
  const times: Record<string, number[]> = {};
  for (let round = 0; round < 3; round++) {
    for (const [name, run] of Object.entries(runs)) {
      seen = 0;
      await run();
      (times[name] ??= []).push(Number(process.hrtime.bigint() - start) / (STEADY_ITEMS / 2));
    }
  }
  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[1]!;
  const base = median(times['for await (native)']!);
  printRows(
    `steady state, ${title}: ns per item over the second half of a ${STEADY_ITEMS.toLocaleString('en')}-item iteration`,
    ['contender', 'ns per item', 'vs for await (native)'],
    Object.entries(times).map(([name, values]) => [name, median(values).toFixed(0), `${(median(values) / base).toFixed(2)}x`]),
  );
}

// What one loop that breaks after its first item leaves behind while the
// signal lives on (the usual case: a server-wide shutdown signal).
const LOOPS = 20_000;
type Payload = { payload: number[] };
async function* payloads(): AsyncGenerator<Payload> {
  for (;;) yield { payload: new Array<number>(128).fill(1) };
}
async function breakEarly(iterable: AsyncIterable<unknown>): Promise<void> {
  for await (const item of iterable) {
    if (item !== undefined) break;
  }
}
async function breakEarlyScenario(): Promise<void> {
  const rows: Array<Array<string | number>> = [];
  const wrappers: Array<[string, (source: AsyncIterable<Payload>, signal: AbortSignal) => AsyncIterable<unknown>]> = [
    ['abortableIterator', (source, s) => abortableIterator(source, { signal: s })],
    ['abortable-iterator 5.1', (source, s) => abortableSource(source, s)],
  ];
  for (const [name, wrap] of wrappers) {
    const bytes = await retainedPerOp(
      () => {
        const controller = new AbortController();
        // The package leaves one listener per loop; the warning is the leak.
        setMaxListeners(0, controller.signal);
        return controller;
      },
      (controller) => breakEarly(wrap(payloads(), controller.signal)),
      LOOPS,
    );
    rows.push([name, bytes.toFixed(0)]);
  }
  printRows(`one long-lived signal, ${LOOPS.toLocaleString('en')} loops that break after one item`, [
    'contender',
    'bytes retained per loop',
  ], rows);
}

const only = process.argv[2];
if (only === undefined) {
  printHeader('abortableIterator and pump: per-item overhead');
  for (const name of Object.keys(scenarios)) {
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), name], {
      stdio: 'inherit',
    });
    if (child.status !== 0) process.exitCode = 1;
  }
} else {
  const scenario = scenarios[only];
  if (scenario === undefined) throw new Error(`unknown scenario ${only}; one of: ${Object.keys(scenarios).join(', ')}`);
  await scenario();
}
