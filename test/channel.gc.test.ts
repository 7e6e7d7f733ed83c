// GC-driven leak tests for Channel (issue 3, section 4: "dropped and consumed
// values collectable; a closed channel releases its pending senders' values").
// Each check has a positive control – the same check on a deliberately leaky
// queue must fail with LeakError – and the counter-test: a value still
// buffered stays alive and is delivered intact.
import { setMaxListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Channel } from '../src/channel.js';
import { ClosedError } from '../src/errors.js';
import {
  collectGarbage,
  expectCollectable,
  expectFlatHeap,
  expectRetained,
  LeakError,
  listenerCount,
  retainedBytes,
  type Tracker,
  track,
} from '../src/testing/index.js';

const COUNT = 200;

interface Payload {
  id: number;
  data: number[];
}

/** The naive channel: an array that only grows, read through a head index that never clears its slot. */
class ArrayQueue<T> {
  readonly items: T[] = [];
  head = 0;
  send(value: T): void {
    this.items.push(value);
  }
  take(): T {
    return this.items[this.head++]!;
  }
}

/** A naive waiting-send queue whose close() rejects the senders but forgets to let go of them. */
class ForgetfulWaiters<T> {
  readonly waiting: Array<{ value: T; reject: (error: unknown) => void }> = [];
  send(value: T): Promise<void> {
    return new Promise((_, reject) => {
      this.waiting.push({ value, reject });
    });
  }
  close(): void {
    for (const waiter of this.waiting) waiter.reject(new Error('closed'));
  }
}

function payload(id: number): Payload {
  return { id, data: new Array(256).fill(id) };
}

// Tracked objects are created in these helpers, never in the test bodies: a
// `const` in a suspended async function stays alive until it returns.

function sendAll(channel: Channel<Payload>, tracker: Tracker, count = COUNT): void {
  for (let i = 0; i < count; i++) {
    const value = payload(i);
    tracker.add(value, `value ${i}`);
    channel.trySend(value);
  }
}

function sendAllNaive(queue: ArrayQueue<Payload>, tracker: Tracker, count = COUNT): void {
  for (let i = 0; i < count; i++) {
    const value = payload(i);
    tracker.add(value, `value ${i}`);
    queue.send(value);
  }
}

function sendWaiting(channel: Channel<Payload>, tracker: Tracker, signal: AbortSignal, settled: unknown[]): void {
  for (let i = 0; i < COUNT; i++) {
    const value = payload(i);
    tracker.add(value, `waiting ${i}`);
    channel.send(value, { signal }).catch((error: unknown) => settled.push(error));
  }
}

function sendWaitingNaive(queue: ForgetfulWaiters<Payload>, tracker: Tracker, settled: unknown[]): void {
  for (let i = 0; i < COUNT; i++) {
    const value = payload(i);
    tracker.add(value, `waiting ${i}`);
    queue.send(value).catch((error: unknown) => settled.push(error));
  }
}

async function sendAndConsume(channel: Channel<Payload>, tracker: Tracker, id: number, consumerFirst: boolean): Promise<number> {
  const value = payload(id);
  tracker.add(value, `value ${id}`);
  if (consumerFirst) {
    const next = channel.next();
    await channel.send(value);
    return ((await next).value as Payload).id;
  }
  await channel.send(value);
  return ((await channel.next()).value as Payload).id;
}

function sendAndConsumeNaive(queue: ArrayQueue<Payload>, tracker: Tracker, id: number): number {
  const value = payload(id);
  tracker.add(value, `value ${id}`);
  queue.send(value);
  return queue.take().id;
}

describe('Channel', () => {
  describe('leaks', () => {
    it("collects the values 'drop-oldest' drops while the channel lives (control: an unbounded array queue)", async () => {
      const channel = new Channel<Payload>({ capacity: 1, overflow: 'drop-oldest' });
      const tracker = track();
      sendAll(channel, tracker);
      // The last value is still buffered, the 199 before it were dropped.
      await expectCollectable(tracker, { atLeast: COUNT - 1 });
      expect(tracker.aliveLabels()).toEqual([`value ${COUNT - 1}`]);
      expect(channel.size).toBe(1);

      const control = new ArrayQueue<Payload>();
      const controlTracker = track();
      sendAllNaive(control, controlTracker);
      await expect(expectCollectable(controlTracker, { atLeast: COUNT - 1, rounds: 3 })).rejects.toBeInstanceOf(LeakError);
      expect(control.items.length).toBe(COUNT);
    });

    it("collects the values 'drop-newest' drops while the channel lives (control: an unbounded array queue)", async () => {
      const channel = new Channel<Payload>({ capacity: 1, overflow: 'drop-newest' });
      const tracker = track();
      sendAll(channel, tracker);
      await expectCollectable(tracker, { atLeast: COUNT - 1 });
      expect(tracker.aliveLabels()).toEqual(['value 0']);
      expect(channel.size).toBe(1);

      const control = new ArrayQueue<Payload>();
      const controlTracker = track();
      sendAllNaive(control, controlTracker);
      await expect(expectCollectable(controlTracker, { atLeast: COUNT - 1, rounds: 3 })).rejects.toBeInstanceOf(LeakError);
      expect(control.items.length).toBe(COUNT);
    });

    it('collects consumed values while the channel lives, buffered or handed over (control: a head index that keeps its slots)', async () => {
      for (const consumerFirst of [false, true]) {
        const channel = new Channel<Payload>({ capacity: 4 });
        const tracker = track();
        let sum = 0;
        for (let i = 0; i < COUNT; i++) sum += await sendAndConsume(channel, tracker, i, consumerFirst);
        expect(sum).toBe((COUNT * (COUNT - 1)) / 2);
        await expectCollectable(tracker, { atLeast: COUNT - 1 });
        expect(channel.closed).toBe(false);
      }

      const control = new ArrayQueue<Payload>();
      const controlTracker = track();
      for (let i = 0; i < COUNT; i++) sendAndConsumeNaive(control, controlTracker, i);
      await expect(expectCollectable(controlTracker, { atLeast: COUNT - 1, rounds: 3 })).rejects.toBeInstanceOf(LeakError);
      expect(control.head).toBe(COUNT);
    });

    it('releases waiting senders’ values when it closes, and their listeners on a long-lived signal (control: a queue that forgets to clear)', async () => {
      const longLived = new AbortController();
      setMaxListeners(COUNT + 1, longLived.signal);
      const channel = new Channel<Payload>({ capacity: 1 });
      await channel.send(payload(-1));
      const tracker = track();
      const settled: unknown[] = [];
      sendWaiting(channel, tracker, longLived.signal, settled);
      expect(listenerCount(longLived.signal, 'abort')).toBe(COUNT);
      channel.close();
      await expectCollectable(tracker);
      expect(settled.length).toBe(COUNT);
      expect(settled.every((error) => error instanceof ClosedError)).toBe(true);
      expect(listenerCount(longLived.signal, 'abort')).toBe(0);
      // The buffered value is still delivered after close.
      expect(((await channel.next()).value as Payload).id).toBe(-1);

      const control = new ForgetfulWaiters<Payload>();
      const controlTracker = track();
      const controlSettled: unknown[] = [];
      sendWaitingNaive(control, controlTracker, controlSettled);
      control.close();
      await expect(expectCollectable(controlTracker, { rounds: 3 })).rejects.toBeInstanceOf(LeakError);
      expect(controlSettled.length).toBe(COUNT);
      expect(control.waiting.length).toBe(COUNT);
    });

    it('releases an aborted send’s value at once while the channel and the other senders live', async () => {
      const channel = new Channel<Payload>({ capacity: 1 });
      await channel.send(payload(-1));
      const controller = new AbortController();
      const other = new AbortController();
      setMaxListeners(COUNT + 1, controller.signal, other.signal);
      const withdrawn = track();
      const withdrawnErrors: unknown[] = [];
      sendWaiting(channel, withdrawn, controller.signal, withdrawnErrors);
      const staying = track();
      const stayingErrors: unknown[] = [];
      sendWaiting(channel, staying, other.signal, stayingErrors);
      controller.abort();
      await expectCollectable(withdrawn);
      // The other waiting senders keep their values (counter-test) and are still served in order.
      await expectRetained(staying);
      expect(withdrawnErrors.length).toBe(COUNT);
      expect(((await channel.next()).value as Payload).id).toBe(-1);
      expect(((await channel.next()).value as Payload).id).toBe(0);
      await channel.return();
    });

    it('releases the buffered values on return() and dispose while the channel object lives', async () => {
      for (const end of ['return', 'dispose'] as const) {
        const channel = new Channel<Payload>({ capacity: COUNT });
        const tracker = track();
        sendAll(channel, tracker);
        expect(channel.size).toBe(COUNT);
        if (end === 'return') await channel.return();
        else await channel[Symbol.asyncDispose]();
        await expectCollectable(tracker);
        expect(await channel.next()).toEqual({ value: undefined, done: true });
      }
    });

    it('keeps a value that is buffered and not yet consumed, and delivers it intact (counter-test)', async () => {
      const channel = new Channel<Payload>({ capacity: 8, overflow: 'drop-oldest' });
      const tracker = track();
      sendAll(channel, tracker, 8);
      await expectRetained(tracker);
      const ids: number[] = [];
      const sums: number[] = [];
      channel.close();
      for await (const value of channel) {
        ids.push(value.id);
        sums.push(value.data.reduce((a, b) => a + b, 0));
      }
      expect(ids).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(sums).toEqual(ids.map((id) => id * 256));
    });

    it("keeps a flat heap in a long 'drop-oldest' loop with a slow consumer (control: an unbounded array queue grows)", async () => {
      const channel = new Channel<number[]>({ capacity: 16, overflow: 'drop-oldest' });
      // A 64-element array costs ~0.5 kB; the unbounded control grows by that
      // much per iteration. 32 B/iteration is far below it and well above the
      // noise of ten samples over 20,000 iterations (~±5 B/iteration here).
      const bound = 32;
      await expectFlatHeap(
        async (i) => {
          channel.trySend(new Array(64).fill(i));
          if (i % 10 === 0) await channel.next();
        },
        { iterations: 20_000, maxBytesPerIteration: bound },
      );
      expect(channel.size).toBe(16);

      const control = new ArrayQueue<number[]>();
      await expect(
        expectFlatHeap(
          (i) => {
            control.send(new Array(64).fill(i));
            if (i % 10 === 0) control.take();
          },
          { iterations: 20_000, maxBytesPerIteration: bound },
        ),
      ).rejects.toBeInstanceOf(LeakError);
    });

    it('gives back its ring storage once a burst is drained (control: a head-indexed array that clears but never compacts)', async () => {
      const burst = 250_000;
      // 250,000 slots are ~2 MB of pointers; a drained ring shrinks back to at
      // most 16 slots. Heap noise between two settled measurements was within
      // ±125 kB here, so 250 kB is the bound, and the control must keep at
      // least four times that.
      const limit = 250_000;

      const channel = new Channel<number>({ capacity: burst });
      const before = await settledBytes();
      for (let i = 0; i < burst; i++) channel.trySend(i);
      let sum = 0;
      for (let i = 0; i < burst; i++) sum += (await channel.next()).value as number;
      const after = await settledBytes();
      expect(sum).toBe((burst * (burst - 1)) / 2);
      expect(channel.size).toBe(0);
      expect(after - before).toBeLessThan(limit);

      const control: Array<number | undefined> = [];
      let head = 0;
      const controlBefore = await settledBytes();
      for (let i = 0; i < burst; i++) control.push(i);
      for (let i = 0; i < burst; i++) control[head++] = undefined;
      const controlAfter = await settledBytes();
      expect(control.length).toBe(burst);
      expect(controlAfter - controlBefore).toBeGreaterThan(limit * 4);
    });
  });
});

async function settledBytes(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
  }
  return retainedBytes();
}
