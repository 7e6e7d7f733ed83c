import { setMaxListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { anySignal } from '../src/any-signal.js';
import { onAbort } from '../src/on-abort.js';
import {
  LeakError,
  collectGarbage,
  expectCollectable,
  expectFlatHeap,
  expectRetained,
  gcUntil,
  listenerCount,
  measureHeapSlope,
  track,
  type Tracker,
} from '../src/testing/index.js';

// Issue #3, section 1: `anySignal` "does not keep the composite alive from a
// long-lived input: when the composite is disposed, aborts, or is
// garbage-collected, its listeners on the inputs are removed", measured
// against `AbortSignal.any`.
//
// Heap-slope bound: 16 B per call. A composite kept by its input costs far
// more (the hand-written strong composite below: ~210 B/call on Node 20), and
// the smallest real residue per call we know of is one dead WeakRef in a Set
// (the built-in on Node 20: ~59 B/call). Sampling 100,000 iterations after
// full collections measured within ±3 B/call of zero for ours on Node 20, 22
// and 24, so 16 B is well above noise and well below any leak of an object.
const MAX_BYTES_PER_CALL = 16;
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/** The deliberately leaky control: each input holds its composite strongly until it aborts. */
function strongAny(signals: AbortSignal[]): AbortSignal {
  const controller = new AbortController();
  for (const signal of signals) {
    signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
  }
  return controller.signal;
}

/**
 * The leaky control for the heap-slope check: each input holds its composite
 * strongly through a never-disposed leakproof subscription. Like `strongAny`,
 * but O(1) per call on one input (EventTarget's duplicate scan makes 100,000
 * native listeners on one signal quadratic), so the control runs the same
 * 100,000 iterations as the test it vouches for.
 */
function hubHeldAny(signals: AbortSignal[]): AbortSignal {
  const controller = new AbortController();
  for (const signal of signals) onAbort(signal, (reason) => controller.abort(reason));
  return controller.signal;
}

/** A long-lived input for a control: the leaky variant may pile listeners on it without warnings. */
function controlInput(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

// Created in frames of their own, so no test body holds what it tracks.
function dropComposites(tracker: Tracker, input: AbortSignal, count: number, make = anySignal as (s: AbortSignal[]) => AbortSignal): void {
  for (let i = 0; i < count; i++) tracker.add(make([input, new AbortController().signal]), `composite ${i}`);
}

function dropListenedComposites(tracker: Tracker, input: AbortSignal, count: number, fired: { count: number }): void {
  for (let i = 0; i < count; i++) {
    const composite = anySignal([input]);
    composite.addEventListener('abort', () => fired.count++);
    tracker.add(composite, `listened ${i}`);
  }
}

function dropUnlistenedComposites(tracker: Tracker, input: AbortSignal, count: number): void {
  for (let i = 0; i < count; i++) {
    const composite = anySignal([input]);
    const listener = (): void => {};
    composite.addEventListener('abort', listener);
    composite.addEventListener('abort', listener, { capture: true });
    composite.removeEventListener('abort', listener);
    composite.removeEventListener('abort', listener, { capture: true });
    tracker.add(composite, `unlistened ${i}`);
  }
}

function dropDisposedComposites(tracker: Tracker, input: AbortSignal, count: number): void {
  for (let i = 0; i < count; i++) {
    const composite = anySignal([input, new AbortController().signal]);
    composite.addEventListener('abort', () => {});
    composite[Symbol.dispose]();
    tracker.add(composite, `disposed ${i}`);
  }
}

function dropAbortedComposites(tracker: Tracker, input: AbortSignal, count: number): void {
  for (let i = 0; i < count; i++) {
    const own = new AbortController();
    const composite = anySignal([input, own.signal]);
    composite.addEventListener('abort', () => {});
    own.abort({ payload: new Array(100).fill(i) });
    tracker.add(composite, `aborted ${i}`);
    tracker.add(composite.reason as object, `reason ${i}`);
  }
}

/** A listener shared by every composite below: module-level, so it closes over nothing. */
function heard(): void {}

/**
 * The positive control for the dead-inputs test: v0.1's behaviour, where a
 * module-level set held every composite that had an abort listener until it
 * aborted, was disposed or lost its listeners – whether or not any input
 * that could abort it was still alive.
 */
const strongRegistry = new Set<AbortSignal>();
function pinnedAny(signals: AbortSignal[]): AbortSignal {
  const composite = anySignal(signals);
  strongRegistry.add(composite);
  return composite;
}

/** Composites with an abort listener, each on two inputs that die with the frame. */
function dropListenedCompositesOfDeadInputs(
  tracker: Tracker,
  count: number,
  make = anySignal as (s: AbortSignal[]) => AbortSignal,
): void {
  for (let i = 0; i < count; i++) {
    const composite = make([new AbortController().signal, new AbortController().signal]);
    composite.addEventListener('abort', heard);
    tracker.add(composite, `listened composite of dead inputs ${i}`);
  }
}

/** The same with AbortSignal.any, to report (not assert) what the built-in does. */
function dropBuiltinListenedCompositesOfDeadInputs(tracker: Tracker, count: number): void {
  for (let i = 0; i < count; i++) {
    const composite = AbortSignal.any([new AbortController().signal, new AbortController().signal]);
    composite.addEventListener('abort', heard);
    tracker.add(composite, `built-in ${i}`);
  }
}

// The issue reported 20,000; 10,000 keeps the control (10 full GCs and a heap
// snapshot with every composite alive) inside the time limit on a loaded
// machine. The retention is per composite (a module-level set entry each), so
// the count only sets how loud the failure is: 10,000 retained composites are
// megabytes. The control runs the same count, rounds and bound.
const DEAD_INPUT_COMPOSITES = 10_000;
const DEAD_INPUT_TIMEOUT = 240_000;
const DEAD_INPUT_CHECK = { rounds: 10 } as const;

describe('anySignal', () => {
  describe('leaks', () => {
    it('releases composites with abort listeners once all their inputs are unreachable', async () => {
      const tracker = track();
      dropListenedCompositesOfDeadInputs(tracker, DEAD_INPUT_COMPOSITES);
      await expectCollectable(tracker, DEAD_INPUT_CHECK);
    }, DEAD_INPUT_TIMEOUT);

    it('positive control: the same check catches composites a strongly held module-level set pins (v0.1)', async () => {
      const tracker = track();
      dropListenedCompositesOfDeadInputs(tracker, DEAD_INPUT_COMPOSITES, pinnedAny);
      const failure = await expectCollectable(tracker, DEAD_INPUT_CHECK).catch((error: unknown) => error);
      strongRegistry.clear();
      expect(failure).toBeInstanceOf(LeakError);
      expect((failure as LeakError).alive).toBe(DEAD_INPUT_COMPOSITES);
    }, DEAD_INPUT_TIMEOUT);

    it('keeps dropped composites with listeners whose inputs are alive, and aborts them from those inputs', async () => {
      const inputs = Array.from({ length: 10 }, () => new AbortController());
      const tracker = track();
      const fired = { count: 0 };
      for (const input of inputs) dropListenedComposites(tracker, input.signal, 10, fired);
      await expectRetained(tracker, DEAD_INPUT_CHECK);
      for (const input of inputs) input.abort();
      expect(fired.count).toBe(100);
      for (const input of inputs) expect(listenerCount(input.signal, 'abort')).toBe(0);
      await expectCollectable(tracker, DEAD_INPUT_CHECK);
    });

    it(`reports AbortSignal.any on the same dead-inputs check (Node ${NODE_MAJOR})`, async () => {
      const tracker = track();
      dropBuiltinListenedCompositesOfDeadInputs(tracker, DEAD_INPUT_COMPOSITES);
      const failure = await expectCollectable(tracker, DEAD_INPUT_CHECK).catch((error: unknown) => error);
      const alive = failure instanceof LeakError ? failure.alive : 0;
      console.log(
        `AbortSignal.any with a listener, inputs dropped, on Node ${process.versions.node}: ` +
          `${alive} of ${DEAD_INPUT_COMPOSITES} still alive after ${DEAD_INPUT_CHECK.rounds} rounds`,
      );
      expect(failure === undefined || failure instanceof LeakError).toBe(true);
    }, DEAD_INPUT_TIMEOUT);

    it('releases dropped composites of a long-lived input, and then their subscription on it (row 5)', async () => {
      const longLived = new AbortController();
      const tracker = track();
      dropComposites(tracker, longLived.signal, 200);
      await expectCollectable(tracker);
      expect(await gcUntil(() => listenerCount(longLived.signal, 'abort') === 0)).toBe(true);
      // Counter-test: the input is unharmed and still works for a new composite.
      const fresh = anySignal([longLived.signal]);
      longLived.abort('still works');
      expect(fresh.reason).toBe('still works');
      expect(listenerCount(longLived.signal, 'abort')).toBe(0);
    });

    it('positive control: the same check catches a composite its input holds strongly (row 5)', async () => {
      const longLived = controlInput();
      const tracker = track();
      dropComposites(tracker, longLived.signal, 200, strongAny);
      const failure = await expectCollectable(tracker).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(LeakError);
      expect((failure as LeakError).alive).toBe(200);
      expect(listenerCount(longLived.signal, 'abort')).toBe(200);
    });

    it('keeps a dropped composite that has abort listeners, and runs them when an input aborts', async () => {
      const longLived = new AbortController();
      const tracker = track();
      const fired = { count: 0 };
      dropListenedComposites(tracker, longLived.signal, 100, fired);
      await expectRetained(tracker, { rounds: 5 });
      longLived.abort();
      expect(fired.count).toBe(100);
      // Aborted, they are released like any other.
      await expectCollectable(tracker);
    });

    it('releases a dropped composite whose abort listeners were all removed again', async () => {
      const longLived = new AbortController();
      const tracker = track();
      dropUnlistenedComposites(tracker, longLived.signal, 100);
      await expectCollectable(tracker);
      expect(await gcUntil(() => listenerCount(longLived.signal, 'abort') === 0)).toBe(true);
      // Control: the same check on composites that still have a listener fails.
      const kept = track();
      dropListenedComposites(kept, longLived.signal, 100, { count: 0 });
      await expect(expectCollectable(kept)).rejects.toBeInstanceOf(LeakError);
      longLived.abort();
    });

    it('releases disposed composites at once: no listener left, input alive and working', async () => {
      const longLived = new AbortController();
      const tracker = track();
      dropDisposedComposites(tracker, longLived.signal, 200);
      expect(listenerCount(longLived.signal, 'abort')).toBe(0);
      await expectCollectable(tracker);
      const fresh = anySignal([longLived.signal]);
      longLived.abort('works');
      expect(fresh.reason).toBe('works');
    });

    it('releases aborted composites and their reasons: no listener left on the long-lived input', async () => {
      const longLived = new AbortController();
      const tracker = track();
      dropAbortedComposites(tracker, longLived.signal, 100);
      expect(listenerCount(longLived.signal, 'abort')).toBe(0);
      await expectCollectable(tracker);
      expect(longLived.signal.aborted).toBe(false);
    });

    it('keeps the controller of a held composite: it still aborts after collections', async () => {
      const input = new AbortController();
      const composite = anySignal([input.signal]);
      for (let i = 0; i < 5; i++) {
        await new Promise((resolve) => setImmediate(resolve));
        collectGarbage();
      }
      input.abort('late');
      expect(composite.aborted).toBe(true);
      expect(composite.reason).toBe('late');
    });

    it('100,000 calls on one long-lived input: flat heap, never more than one listener, none after GC', async () => {
      const longLived = new AbortController();
      let maxListeners = 0;
      const { bytesPerIteration } = await expectFlatHeap(
        () => {
          anySignal([longLived.signal]);
          const count = listenerCount(longLived.signal, 'abort');
          if (count > maxListeners) maxListeners = count;
        },
        { iterations: 100_000, maxBytesPerIteration: MAX_BYTES_PER_CALL },
      );
      console.log(`anySignal([longLived]) on Node ${process.versions.node}: ${bytesPerIteration.toFixed(1)} B/call retained`);
      expect(maxListeners).toBe(1);
      expect(await gcUntil(() => listenerCount(longLived.signal, 'abort') === 0)).toBe(true);
      const fresh = anySignal([longLived.signal]);
      longLived.abort('alive');
      expect(fresh.reason).toBe('alive');
    });

    it('positive control: the same heap check catches a composite its input holds strongly', async () => {
      const longLived = new AbortController();
      const failure = await expectFlatHeap(
        () => {
          hubHeldAny([longLived.signal]);
        },
        { iterations: 100_000, maxBytesPerIteration: MAX_BYTES_PER_CALL },
      ).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(LeakError);
      longLived.abort();
    });

    it(`measures AbortSignal.any on the same check (Node ${NODE_MAJOR}; asserted to leak on Node 20)`, async () => {
      const longLived = new AbortController();
      const { bytesPerIteration } = await measureHeapSlope(
        () => {
          AbortSignal.any([longLived.signal]);
        },
        { iterations: 20_000 },
      );
      console.log(`AbortSignal.any([longLived]) on Node ${process.versions.node}: ${bytesPerIteration.toFixed(1)} B/call retained`);
      expect(Number.isFinite(bytesPerIteration)).toBe(true);
      // Node 20 keeps a dead WeakRef per call in the input's dependant set
      // (~59 B measured); 22 and 24 changed this piecemeal, so for them the
      // figure is reported, not asserted (see the hand-written control above).
      if (NODE_MAJOR === 20) expect(bytesPerIteration).toBeGreaterThan(MAX_BYTES_PER_CALL);
    });
  });
});
