// GC-driven leak tests for on() (issue 3, section 4: "buffered events dropped
// on return()", "listener removed on every terminal path", "dropped and
// consumed values collectable"). Positive controls: Node's own `events.on`
// (keeps buffered events after return(), unbounded buffer) and deliberately
// leaky iterators; counter-tests: what is still buffered for a live iteration
// stays alive and is delivered.
import { EventEmitter, on as nodeOn, setMaxListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { on } from '../src/on.js';
import { expectCollectable, expectRetained, LeakError, listenerCount, type Tracker, track } from '../src/testing/index.js';

const COUNT = 200;
const DONE = { value: undefined, done: true };

interface Payload {
  id: number;
  data: number[];
}

function payload(id: number): Payload {
  return { id, data: new Array(256).fill(id) };
}

// Tracked objects are created in these helpers, never in a test body.

function emitPayloads(emitter: EventEmitter, tracker: Tracker, count = COUNT): void {
  for (let i = 0; i < count; i++) {
    const value = payload(i);
    tracker.add(value, `event ${i}`);
    emitter.emit('n', value);
  }
}

async function emitAndConsume(emitter: EventEmitter, events: AsyncIterator<unknown[]>, tracker: Tracker, id: number): Promise<number> {
  const value = payload(id);
  tracker.add(value, `event ${id}`);
  emitter.emit('n', value);
  const result = await events.next();
  return (result.value![0] as Payload).id;
}

/** A hand-written events.on with a head index that never clears its slot: keeps every consumed event. */
function leakyOn(emitter: EventEmitter, event: string): AsyncIterator<unknown[]> {
  const events: unknown[][] = [];
  let head = 0;
  emitter.on(event, (...args: unknown[]) => events.push(args));
  return {
    next: async () => ({ value: events[head++]!, done: false }),
  };
}

/** Subscribes, receives one event, and either returns (ours) or walks away (the control). */
function subscribe(emitter: EventEmitter, signal: AbortSignal, tracker: Tracker, i: number, finish: boolean): void {
  const events = on(emitter, 'n', { signal, close: ['end'] });
  tracker.add(events, `iterator ${i}`);
  const value = payload(i);
  tracker.add(value, `event ${i}`);
  emitter.emit('n', value);
  if (finish) void events.return();
}

function subscribeAndAbort(emitter: EventEmitter, tracker: Tracker, signals: AbortSignal[], i: number): void {
  const controller = new AbortController();
  signals.push(controller.signal);
  const events = on(emitter, 'n', { signal: controller.signal });
  tracker.add(events, `iterator ${i}`);
  // Only this iterator listens while its event is emitted.
  const value = payload(i);
  tracker.add(value, `event ${i}`);
  emitter.emit('n', value);
  controller.abort();
}

describe('on', () => {
  describe('leaks', () => {
    it('releases buffered events on return() while the iterator lives (control: Node’s events.on keeps them)', async () => {
      const emitter = new EventEmitter();
      const events = on(emitter, 'n');
      const tracker = track();
      emitPayloads(emitter, tracker);
      await events.return();
      await expectCollectable(tracker);
      expect(emitter.listenerCount('n')).toBe(0);
      expect(emitter.listenerCount('error')).toBe(0);
      // The iterator itself was alive throughout.
      expect(await events.next()).toEqual(DONE);

      const native = nodeOn(emitter, 'n');
      const controlTracker = track();
      emitPayloads(emitter, controlTracker);
      await native.return!();
      await expect(expectCollectable(controlTracker)).rejects.toBeInstanceOf(LeakError);
      expect(emitter.listenerCount('n')).toBe(0);
      // Node's iterator still yields what it kept.
      expect((await native.next()).done).toBe(false);
    });

    it('releases buffered events on throw() and dispose while the iterator lives', async () => {
      for (const end of ['throw', 'dispose'] as const) {
        const emitter = new EventEmitter();
        const events = on(emitter, 'n');
        const tracker = track();
        emitPayloads(emitter, tracker);
        if (end === 'throw') await events.throw(new Error('stop')).catch(() => {});
        else await events[Symbol.asyncDispose]();
        await expectCollectable(tracker);
        expect(emitter.eventNames()).toEqual([]);
        expect(await events.next()).toEqual(DONE);
      }
    });

    it("collects events 'drop-oldest' drops while the iteration lives (control: Node’s unbounded events.on)", async () => {
      const emitter = new EventEmitter();
      const events = on(emitter, 'n', { capacity: 1, overflow: 'drop-oldest' });
      const tracker = track();
      emitPayloads(emitter, tracker);
      await expectCollectable(tracker, { atLeast: COUNT - 1 });
      expect(tracker.aliveLabels()).toEqual([`event ${COUNT - 1}`]);
      const last = await events.next();
      expect((last.value![0] as Payload).id).toBe(COUNT - 1);
      await events.return();

      const native = nodeOn(emitter, 'n');
      const controlTracker = track();
      emitPayloads(emitter, controlTracker);
      await expect(expectCollectable(controlTracker, { atLeast: COUNT - 1 })).rejects.toBeInstanceOf(LeakError);
      await native.return!();
    });

    it('collects consumed events while the iteration continues (control: a head index that keeps its slots)', async () => {
      const emitter = new EventEmitter();
      const events = on(emitter, 'n');
      const tracker = track();
      let sum = 0;
      for (let i = 0; i < COUNT; i++) sum += await emitAndConsume(emitter, events, tracker, i);
      expect(sum).toBe((COUNT * (COUNT - 1)) / 2);
      await expectCollectable(tracker, { atLeast: COUNT - 1 });
      expect(emitter.listenerCount('n')).toBe(1);

      const leaky = leakyOn(emitter, 'n');
      const controlTracker = track();
      for (let i = 0; i < COUNT; i++) await emitAndConsume(emitter, leaky, controlTracker, i);
      await expect(expectCollectable(controlTracker, { atLeast: COUNT - 1 })).rejects.toBeInstanceOf(LeakError);
      await events.return();
    });

    it('after return() neither the long-lived emitter nor the long-lived signal keeps the iterator (control: iterators never returned)', async () => {
      const emitter = new EventEmitter();
      emitter.setMaxListeners(COUNT + 1);
      const longLived = new AbortController();
      setMaxListeners(COUNT + 1, longLived.signal);
      const tracker = track();
      for (let i = 0; i < COUNT; i++) subscribe(emitter, longLived.signal, tracker, i, true);
      await expectCollectable(tracker);
      expect(emitter.eventNames()).toEqual([]);
      expect(listenerCount(longLived.signal, 'abort')).toBe(0);

      const controlTracker = track();
      for (let i = 0; i < COUNT; i++) subscribe(emitter, longLived.signal, controlTracker, i, false);
      await expect(expectCollectable(controlTracker)).rejects.toBeInstanceOf(LeakError);
      expect(emitter.listenerCount('n')).toBe(COUNT);
      // Ending them all through their close event releases them too.
      emitter.emit('end');
      expect(emitter.eventNames()).toEqual([]);
      expect(listenerCount(longLived.signal, 'abort')).toBe(0);
      await expectCollectable(controlTracker);
      // The long-lived signal is still alive and usable (counter-test).
      expect(longLived.signal.aborted).toBe(false);
    });

    it('after abort the emitter keeps neither the iterator nor its buffered event, and the signals live on', async () => {
      const emitter = new EventEmitter();
      const tracker = track();
      const signals: AbortSignal[] = [];
      for (let i = 0; i < COUNT; i++) subscribeAndAbort(emitter, tracker, signals, i);
      await expectCollectable(tracker);
      expect(emitter.eventNames()).toEqual([]);
      expect(signals.every((signal) => signal.aborted && listenerCount(signal, 'abort') === 0)).toBe(true);
    });

    it('keeps the events buffered for a live iteration, and delivers them (counter-test)', async () => {
      const emitter = new EventEmitter();
      const events = on(emitter, 'n');
      const tracker = track();
      emitPayloads(emitter, tracker, 16);
      await expectRetained(tracker);
      const ids: number[] = [];
      for (let i = 0; i < 16; i++) {
        const result = await events.next();
        const value = result.value![0] as Payload;
        ids.push(value.id + value.data.length - 256);
      }
      expect(ids).toEqual(Array.from({ length: 16 }, (_, i) => i));
      await events.return();
    });
  });
});
