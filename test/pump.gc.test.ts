// GC-driven tests of pump: a subscription loop that keeps nothing it has
// handed to the sink, leaves nothing on the signal, and lets a hung source go.
// See /work/shared/GC-TESTING.md. Refs: issue 3, trpc/trpc#6156.

import { setMaxListeners } from 'node:events';
import { abortableSource } from 'abortable-iterator';
import { describe, expect, it } from 'vitest';
import { pump } from '../src/pump.js';
import {
  expectCollectable,
  expectFlatHeap,
  expectRetained,
  LeakError,
  listenerCount,
  track,
  type Tracker,
} from '../src/testing/index.js';
import {
  macrotask,
  NaiveWrapper,
  type PayloadKind,
  PayloadSource,
  parkedPulls,
  resumeParked,
  PushSource,
  settlesWithin,
  StuckSource,
  TrackedSource,
} from './helpers/iterables.js';

const N = 50;
/** Loops per terminal path. */
const LOOPS = 20;
const longLived = new AbortController();
const forControls = new AbortController();
setMaxListeners(0, forControls.signal);

type Pump = (source: AsyncIterable<object>, sink: (value: object) => unknown, signal: AbortSignal) => Promise<void>;

const ours: Pump = (source, sink, signal) => pump(source, sink, { signal });

/** The loop tRPC v11 shipped (trpc/trpc#6156): each item raced against one abort promise. */
const raceLoop: Pump = async (source, sink, signal) => {
  const aborted = new Promise<never>((_, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  aborted.catch(() => {});
  const iterator = source[Symbol.asyncIterator]();
  for (;;) {
    const result = await Promise.race([iterator.next(), aborted]);
    if (result.done) return;
    await sink(result.value);
  }
};

/** `for await` over an async-generator wrapper (abortable-iterator 5). */
const generatorLoop: Pump = async (source, sink, signal) => {
  for await (const value of abortableSource(source, signal)) await sink(value);
};

/** `for await` over a class wrapper whose reaction on a pull captures itself. */
const naiveWrapperLoop: Pump = async (source, sink, signal) => {
  for await (const value of new NaiveWrapper(source, signal)) await sink(value);
};

// --- terminal paths ----------------------------------------------------------

async function* generate(tracker: Tracker, label: string, count: number): AsyncGenerator<object> {
  for (let i = 0; i < count; i++) {
    const payload = { data: new Array<number>(1000).fill(i) };
    tracker.add(payload, `${label} payload ${i}`);
    yield payload;
  }
}

type Path = (run: Pump, signal: AbortSignal, tracker: Tracker) => Promise<void>;

function trackedSink(tracker: Tracker, label: string, sink: (value: object) => unknown): (value: object) => unknown {
  tracker.add(sink, `${label} sink`);
  return sink;
}

const paths: Record<string, Path> = {
  async done(run, signal, tracker) {
    await run(generate(tracker, 'done', 3), trackedSink(tracker, 'done', () => {}), signal);
  },
  async 'sink error'(run, signal, tracker) {
    const sink = trackedSink(tracker, 'sink error', () => Promise.reject(new Error('sink')));
    await run(generate(tracker, 'sink error', 3), sink, signal).catch(() => {});
  },
  async 'source error'(run, signal, tracker) {
    const source = new TrackedSource<object>({ values: [{}, {}], failAt: 2 });
    tracker.add(source, 'source error source');
    await run(source.iterable, trackedSink(tracker, 'source error', () => {}), signal).catch(() => {});
  },
};

async function abortPath(run: Pump, tracker: Tracker): Promise<AbortSignal> {
  const controller = new AbortController();
  const source = new PayloadSource(2, 'array', (payload, index) => tracker.add(payload, `abort payload ${index}`));
  const result = run(source, trackedSink(tracker, 'abort', () => {}), controller.signal);
  await macrotask();
  controller.abort();
  await result.catch(() => {});
  return controller.signal;
}

// --- long-running loops --------------------------------------------------------

interface Running {
  consumed: () => number;
  result: Promise<void>;
}

/**
 * Sink calls still in progress, held for the whole process as a socket holds
 * the writes waiting for it to drain.
 */
const busySinks: Array<() => void> = [];

function startLong(
  run: Pump,
  kind: PayloadKind,
  tracker: Tracker,
  signal: AbortSignal,
  { count = N, busyAtEnd = false } = {},
): Running {
  const source = new PayloadSource(count, kind, (payload, index) => tracker.add(payload, `${kind} ${index}`));
  let consumed = 0;
  const result = run(
    source,
    () => {
      consumed++;
      if (!busyAtEnd || consumed !== count) return undefined;
      // The last one: the sink is still busy with it (a socket waiting to drain).
      return new Promise<void>((resolve) => busySinks.push(resolve));
    },
    signal,
  );
  result.catch(() => {});
  return { consumed: () => consumed, result };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await macrotask();
  expect(condition()).toBe(true);
}

// --- a hung source -------------------------------------------------------------

function startHung(run: Pump, tracker: Tracker): { result: Promise<void>; controller: AbortController } {
  const controller = new AbortController();
  const source = new StuckSource();
  const sink = (): void => {};
  tracker.add(source, 'source');
  tracker.add(sink, 'sink');
  const result = run(source, sink, controller.signal);
  result.catch(() => {});
  return { result, controller };
}

// --- a loop fed from outside, for the heap slope -------------------------------

function startFed(run: Pump, signal: AbortSignal): (index: number) => Promise<void> {
  const source = new PushSource<object>();
  let received: (() => void) | null = null;
  void run(
    source,
    () => {
      const done = received!;
      received = null;
      done();
    },
    signal,
  ).catch(() => {});
  return () =>
    new Promise<void>((resolve) => {
      received = resolve;
      source.push(Buffer.alloc(16 * 1024));
    });
}

describe('pump', () => {
  describe('leaks', () => {
    it.each(Object.keys(paths))('leaves no listener on a long-lived signal and releases everything after %s', async (name) => {
      const tracker = track();
      for (let i = 0; i < LOOPS; i++) {
        await paths[name]!(ours, longLived.signal, tracker);
        expect(listenerCount(longLived.signal, 'abort')).toBe(0);
      }
      await expectCollectable(tracker);
    });

    it('leaves no listener and releases everything after abort', async () => {
      const tracker = track();
      for (let i = 0; i < LOOPS; i++) {
        const signal = await abortPath(ours, tracker);
        expect(listenerCount(signal, 'abort')).toBe(0);
      }
      await expectCollectable(tracker);
    });

    it('positive control: the race loop leaves a listener and keeps every payload', async () => {
      const tracker = track();
      // The same 20 loops and the same check as the tests it vouches for.
      const controller = new AbortController();
      setMaxListeners(0, controller.signal);
      for (let i = 0; i < LOOPS; i++) await paths.done!(raceLoop, controller.signal, tracker);
      expect(listenerCount(controller.signal, 'abort')).toBe(LOOPS);
      await expect(expectCollectable(tracker)).rejects.toBeInstanceOf(LeakError);
    });

    it('counter-test: a running pump the caller does not hold keeps its source and sink, and still stops on abort', async () => {
      const tracker = track();
      const { result, controller } = startHung(ours, tracker);
      await expectRetained(tracker);
      controller.abort();
      await expect(result).rejects.toBe(controller.signal.reason);
    });

    it.each(['array', 'buffer'] as const)(
      'releases each %s payload while the loop runs on (at least N-1 of N)',
      async (kind) => {
        const tracker = track();
        const running = startLong(ours, kind, tracker, longLived.signal);
        await until(() => running.consumed() === N);
        await expectCollectable(tracker, { atLeast: N - 1 });
        // Counter-test: the loop was alive all along and still delivers.
        resumeParked();
        await until(() => running.consumed() === N + 1);
        expect(await settlesWithin(running.result, 3)).toBe(false);
      },
    );

    it.each(['array', 'buffer'] as const)('positive control: the race loop keeps every %s payload', async (kind) => {
      const tracker = track();
      const running = startLong(raceLoop, kind, tracker, forControls.signal);
      await until(() => running.consumed() === N);
      await expect(expectCollectable(tracker, { atLeast: N - 1 })).rejects.toBeInstanceOf(LeakError);
    });

    it('keeps not even the last payload while the sink is still busy with it', async () => {
      const tracker = track();
      const running = startLong(ours, 'array', tracker, longLived.signal, { count: 5, busyAtEnd: true });
      await until(() => running.consumed() === 5);
      await expectCollectable(tracker);
      // Counter-test: once the sink is done, the loop pulls again.
      busySinks.pop()!();
      await until(() => parkedPulls.length > 0);
      resumeParked();
      await until(() => running.consumed() === 6);

      // An async-generator wrapper keeps it in its frame (abortable-iterator 5).
      const control = track();
      const theirs = startLong(generatorLoop, 'array', control, forControls.signal, { count: 5, busyAtEnd: true });
      await until(() => theirs.consumed() === 5);
      await expect(expectCollectable(control)).rejects.toBeInstanceOf(LeakError);
      expect(control.alive()).toBe(1);
    });

    it('keeps a flat heap over a long run of 16 KiB Buffers', async () => {
      // A leak keeps 16,384 bytes per item (the Buffer, off-heap) plus ~300 B
      // of promise reactions; 1,024 B/item is far below that and far above the
      // noise measured on a correct loop (tens of bytes either way).
      const controller = new AbortController();
      const step = startFed(ours, controller.signal);
      await expectFlatHeap(step, { iterations: 2000, maxBytesPerIteration: 1024 });
      controller.abort();

      const control = new AbortController();
      const leaky = startFed(raceLoop, control.signal);
      await expect(
        expectFlatHeap(leaky, { iterations: 2000, maxBytesPerIteration: 1024 }),
      ).rejects.toBeInstanceOf(LeakError);
      control.abort();
    });

    it('settles within one tick of abort on a hung source, then releases source and sink', async () => {
      const tracker = track();
      const { result, controller } = startHung(ours, tracker);
      await macrotask();
      controller.abort();
      expect(await settlesWithin(result, 1)).toBe(true);
      await expect(result).rejects.toBe(controller.signal.reason);
      await expectCollectable(tracker);
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
    });

    it('positive control: a loop over a wrapper whose reaction captures itself keeps the hung source', async () => {
      const tracker = track();
      const { controller } = startHung(naiveWrapperLoop, tracker);
      await macrotask();
      controller.abort();
      await expect(expectCollectable(tracker)).rejects.toBeInstanceOf(LeakError);
    });
  });
});
