// GC-driven tests of abortableIterator: what it must release is collected,
// what must stay alive does, and each check catches a leaky variant.
// See /work/shared/GC-TESTING.md. Refs: issue 3.

import { setMaxListeners } from 'node:events';
import { abortableSource } from 'abortable-iterator';
import { describe, expect, it } from 'vitest';
import { abortableIterator } from '../src/abortable-iterator.js';
import {
  CollectedError,
  expectCollectable,
  expectRetained,
  LeakError,
  listenerCount,
  track,
  type Tracker,
} from '../src/testing/index.js';
import {
  hangingAfter,
  macrotask,
  NaiveWrapper,
  type PayloadKind,
  PayloadSource,
  raceLoop,
  resumeParked,
  settlesWithin,
  StuckSource,
  TrackedSource,
} from './helpers/iterables.js';

const N = 50;

// The signal a server keeps for its whole life (shutdown, say).
const longLived = new AbortController();

type Wrap = (source: AsyncIterable<object>, signal: AbortSignal) => AsyncIterator<object>;
const ours: Wrap = (source, signal) => abortableIterator(source, { signal });
const theirs: Wrap = (source, signal) => abortableSource(source, signal) as AsyncIterator<object>;
const racing: Wrap = (source, signal) => raceLoop(source, signal);

// --- terminal paths, each run in a frame of its own ------------------------

async function* generate(values: readonly object[]): AsyncGenerator<object> {
  for (const value of values) yield value;
}

type Path = (wrap: Wrap, signal: AbortSignal, tracker: Tracker) => Promise<void>;

function tracked<T extends object>(tracker: Tracker, label: string, source: T): T {
  tracker.add(source, `${label} source`);
  return source;
}

const paths: Record<string, Path> = {
  async done(wrap, signal, tracker) {
    const iterator = wrap(tracked(tracker, 'done', generate([{}, {}])), signal);
    tracker.add(iterator, 'done wrapper');
    while (!(await iterator.next()).done);
  },
  async break(wrap, signal, tracker) {
    const iterator = wrap(tracked(tracker, 'break', generate([{}, {}])), signal);
    tracker.add(iterator, 'break wrapper');
    const iterable = { [Symbol.asyncIterator]: () => iterator };
    for await (const _ of iterable) break;
  },
  async throw(wrap, signal, tracker) {
    const iterator = wrap(tracked(tracker, 'throw', generate([{}, {}])), signal);
    tracker.add(iterator, 'throw wrapper');
    await iterator.next();
    await iterator.throw?.(new Error('consumer')).catch(() => {});
  },
  async error(wrap, signal, tracker) {
    const source = tracked(tracker, 'error', new TrackedSource<object>({ values: [{}], failAt: 1 }));
    const iterator = wrap(source.iterable, signal);
    tracker.add(iterator, 'error wrapper');
    await iterator.next();
    await iterator.next().catch(() => {});
  },
};

async function abortPath(wrap: Wrap, tracker: Tracker): Promise<AbortSignal> {
  // Abort needs a signal of its own; it is kept alive by the caller.
  const controller = new AbortController();
  const iterator = wrap(tracked(tracker, 'abort', hangingAfter<object>([{}])).iterable, controller.signal);
  tracker.add(iterator, 'abort wrapper');
  await iterator.next();
  const pending = iterator.next();
  controller.abort();
  await pending.catch(() => {});
  return controller.signal;
}

// --- long-running iterations -------------------------------------------------

/** Pulls `count` items and drops each at once; returns nothing it saw. */
async function take(iterator: AsyncIterator<object>, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const result = await iterator.next();
    if (result.done) throw new Error('ended early');
  }
}

function startLong(wrap: Wrap, kind: PayloadKind, tracker: Tracker, signal: AbortSignal): AsyncIterator<object> {
  const source = new PayloadSource(N, kind, (payload, index) => tracker.add(payload, `${kind} ${index}`));
  return wrap(source, signal);
}

// Controls leave listeners behind: they get signals of their own.
const forControls = new AbortController();
setMaxListeners(0, forControls.signal);

// --- a hung source, then abort ----------------------------------------------

interface Hung {
  pending: Promise<unknown>;
  controller: AbortController;
}

function startHung(wrap: Wrap, tracker: Tracker): Hung {
  const controller = new AbortController();
  const source = new StuckSource();
  const iterator = wrap(source, controller.signal);
  tracker.add(source, 'source');
  tracker.add(iterator, 'wrapper');
  return { pending: iterator.next(), controller };
}

/** Created and dropped without a single next(). */
function createUnstarted(create: (signal: AbortSignal) => object, tracker: Tracker, count: number): void {
  for (let i = 0; i < count; i++) tracker.add(create(longLived.signal), `unstarted ${i}`);
}

describe('abortableIterator', () => {
  describe('leaks', () => {
    it.each(Object.keys(paths))(
      'leaves no listener on a long-lived signal and is collectable after %s',
      async (name) => {
        const tracker = track();
        for (let i = 0; i < N; i++) {
          await paths[name]!(ours, longLived.signal, tracker);
          expect(listenerCount(longLived.signal, 'abort')).toBe(0);
        }
        await expectCollectable(tracker);
      },
    );

    it('leaves no listener and is collectable after abort', async () => {
      const tracker = track();
      const signals: AbortSignal[] = [];
      for (let i = 0; i < N; i++) {
        const signal = await abortPath(ours, tracker);
        signals.push(signal);
        expect(listenerCount(signal, 'abort')).toBe(0);
      }
      await expectCollectable(tracker);
      expect(signals).toHaveLength(N);
    });

    it('positive control: abortable-iterator leaves a listener per break, pinning every source', async () => {
      // The same N breaks and the same check as the test it vouches for, on a
      // signal of its own (the package's listeners stay on it).
      const controller = new AbortController();
      setMaxListeners(0, controller.signal);
      const tracker = track();
      for (let i = 0; i < N; i++) await paths.break!(theirs, controller.signal, tracker);
      expect(listenerCount(controller.signal, 'abort')).toBe(N);
      await expect(expectCollectable(tracker)).rejects.toBeInstanceOf(LeakError);
    });

    it('counter-test: the long-lived signal stays alive and still aborts', async () => {
      const tracker = track();
      tracker.add(longLived.signal, 'long-lived signal');
      await expectRetained(tracker);
      const probe = new AbortController();
      let fired = 0;
      probe.signal.addEventListener('abort', () => fired++);
      const iterator = abortableIterator(hangingAfter<number>([]).iterable, { signal: probe.signal });
      const pending = iterator.next();
      probe.abort();
      await expect(pending).rejects.toBe(probe.signal.reason);
      expect(fired).toBe(1);
    });

    it('counter-test: a started wrapper the consumer no longer holds stays alive and still settles on abort', async () => {
      const tracker = track();
      const hung = startHung(ours, tracker);
      await expect(expectRetained(tracker)).resolves.toBeUndefined();
      hung.controller.abort();
      await expect(hung.pending).rejects.toBe(hung.controller.signal.reason);
    });

    it.each(['array', 'buffer'] as const)(
      'releases each %s payload while a long iteration continues (at least N-1 of N)',
      async (kind) => {
        const tracker = track();
        const iterator = startLong(ours, kind, tracker, longLived.signal);
        await take(iterator, N);
        // Still running: the next pull is parked by the source.
        const next = iterator.next();
        await expectCollectable(tracker, { atLeast: N - 1 });
        // Counter-test: the iteration was alive all along and still delivers.
        expect(await settlesWithin(next, 3)).toBe(false);
        resumeParked();
        expect((await next).done).toBe(false);
        await iterator.return?.();
      },
    );

    it.each(['array', 'buffer'] as const)(
      'positive control: a race loop keeps every %s payload',
      async (kind) => {
        const tracker = track();
        const iterator = startLong(racing, kind, tracker, forControls.signal);
        await take(iterator, N);
        await expect(expectCollectable(tracker, { atLeast: N - 1 })).rejects.toBeInstanceOf(LeakError);
      },
    );

    it('keeps not even the last value while the consumer is idle (abortable-iterator does)', async () => {
      const tracker = track();
      const iterator = startLong(ours, 'array', tracker, longLived.signal);
      await take(iterator, 5);
      await expectCollectable(tracker);

      const control = track();
      const theirIterator = startLong(theirs, 'array', control, forControls.signal);
      await take(theirIterator, 5);
      await expect(expectCollectable(control)).rejects.toBeInstanceOf(LeakError);
      expect(control.alive()).toBe(1);
      await iterator.return?.();
    });

    it('settles within one tick of abort on a hung source, then releases source and wrapper', async () => {
      const tracker = track();
      const hung = startHung(ours, tracker);
      hung.controller.abort();
      expect(await settlesWithin(hung.pending, 1)).toBe(true);
      await expect(hung.pending).rejects.toBe(hung.controller.signal.reason);
      await expectCollectable(tracker);
      expect(listenerCount(hung.controller.signal, 'abort')).toBe(0);
    });

    it('positive control: a wrapper whose reaction captures itself stays pinned by the hung pull', async () => {
      const tracker = track();
      const hung = startHung((source, signal) => new NaiveWrapper(source, signal), tracker);
      hung.controller.abort();
      await hung.pending.catch(() => {});
      await expect(expectCollectable(tracker)).rejects.toBeInstanceOf(LeakError);
    });

    it('holds nothing on the signal when created but never started', async () => {
      const tracker = track();
      createUnstarted((signal) => abortableIterator(new TrackedSource({ values: [1] }).iterable, { signal }), tracker, N);
      expect(listenerCount(longLived.signal, 'abort')).toBe(0);
      await expectCollectable(tracker);
    });

    it('positive control: a wrapper that attaches at creation is pinned by the signal', async () => {
      const controller = new AbortController();
      const tracker = track();
      setMaxListeners(0, controller.signal);
      for (let i = 0; i < N; i++) {
        tracker.add(new NaiveWrapper(new TrackedSource({ values: [1] }).iterable, controller.signal), `eager ${i}`);
      }
      await expect(expectCollectable(tracker)).rejects.toBeInstanceOf(LeakError);
      expect(listenerCount(controller.signal, 'abort')).toBe(N);
    });

    it('counter-test check: expectRetained catches a collected wrapper', async () => {
      // The check the counter-tests rely on does fail when the object dies.
      const tracker = track();
      createUnstarted((signal) => abortableIterator([1], { signal }), tracker, 1);
      await expect(expectRetained(tracker)).rejects.toBeInstanceOf(CollectedError);
      await macrotask();
    });
  });
});
