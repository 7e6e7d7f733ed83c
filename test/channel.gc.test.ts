// GC-driven leak tests for Channel (issue 3 section 4, issue 8 item 4:
// dropped and consumed values collectable; a closed channel releases its
// pending senders' values; a consumer that breaks, and a receive that a signal
// withdraws, are collectable while the channel lives). Each check has a
// positive control – the identical check (same count, same bounds, same
// rounds) on a deliberately leaky queue must fail with LeakError – and the
// counter-test: what is still buffered or waiting stays alive and works.
import { describe, expect, it } from 'vitest';
import { Channel, type ChannelConsumer } from '../src/channel.js';
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

/** Sends one value and receives it: the receiver waits first, or the value is sent (and, capacity 0, waits) first. */
async function sendAndConsume(channel: Channel<Payload>, tracker: Tracker, id: number, receiverFirst: boolean): Promise<number> {
  const value = payload(id);
  tracker.add(value, `value ${id}`);
  if (receiverFirst) {
    const received = channel.receive();
    await channel.send(value);
    return ((await received).value as Payload).id;
  }
  const sent = channel.send(value);
  const received = await channel.receive();
  await sent;
  return (received.value as Payload).id;
}

function sendAndConsumeNaive(queue: ArrayQueue<Payload>, tracker: Tracker, id: number): number {
  const value = payload(id);
  tracker.add(value, `value ${id}`);
  queue.send(value);
  return queue.take().id;
}

/** What a worker keeps while its loop runs: its own state, reachable from its suspended frame. */
interface WorkerState {
  id: number;
  scratch: number[];
  taken: number;
}

/**
 * A worker whose `for await` takes one value and breaks; the consumer and the
 * worker's state are tracked.
 */
function startBreakingWorker(source: AsyncIterable<Payload>, tracker: Tracker, id: number): Promise<number> {
  const consumer = source[Symbol.asyncIterator]();
  const state: WorkerState = { id, scratch: new Array(256).fill(id), taken: 0 };
  tracker.add(consumer, `consumer ${id}`);
  tracker.add(state, `worker ${id}`);
  return runBreakingWorker(consumer, state);
}

async function runBreakingWorker(consumer: AsyncIterator<Payload>, state: WorkerState): Promise<number> {
  for await (const value of { [Symbol.asyncIterator]: () => consumer }) {
    state.taken = value.id;
    break;
  }
  return state.taken;
}

/**
 * A worker waiting in its `for await` on an empty channel; it is stopped from
 * outside through its consumer's `return()` (a shutdown), which must release
 * the wait and with it the worker's frame and state.
 */
function startWaitingWorker(
  consumer: AsyncIterator<Payload>,
  tracker: Tracker,
  id: number,
  finished: number[],
): void {
  const state: WorkerState = { id, scratch: new Array(256).fill(id), taken: 0 };
  tracker.add(state, `worker ${id}`);
  void runWaitingWorker(consumer, state, finished);
}

async function runWaitingWorker(consumer: AsyncIterator<Payload>, state: WorkerState, finished: number[]): Promise<void> {
  for await (const value of { [Symbol.asyncIterator]: () => consumer }) state.taken += value.id;
  finished.push(state.id);
}

/**
 * The v0.1 consumer: `return()` ends the loop's iterator but does not
 * withdraw the `next()` it is waiting on, which stays queued in the channel.
 */
function naiveConsumer(channel: Channel<Payload>): AsyncIterator<Payload> {
  return {
    next: () => channel.receive(),
    return: async () => ({ value: undefined, done: true }),
  };
}

/** A channel wrapper that keeps every consumer it hands out (a registry that forgets to delete on return). */
class RegistryChannel<T> implements AsyncIterable<T> {
  readonly consumers = new Set<ChannelConsumer<T>>();
  constructor(readonly channel: Channel<T>) {}
  [Symbol.asyncIterator](): ChannelConsumer<T> {
    const consumer = this.channel[Symbol.asyncIterator]();
    this.consumers.add(consumer);
    return consumer;
  }
}

/** Receives, each with its own signal and a request context its reaction reads, withdrawn by an abort. */
function receiveAndWithdraw(receive: (signal: AbortSignal) => Promise<unknown>, tracker: Tracker, outcomes: unknown[]): void {
  for (let i = 0; i < COUNT; i++) {
    const controller = new AbortController();
    const context = { id: i, data: new Array(256).fill(i) };
    tracker.add(controller.signal, `signal ${i}`);
    tracker.add(context, `context ${i}`);
    receive(controller.signal).then(
      () => outcomes.push(context.id),
      () => outcomes.push(-context.id - 1),
    );
    controller.abort(new Error(`gave up ${i}`));
  }
}

/**
 * A naive signalled receive queue: an abort marks the waiter withdrawn (and
 * rejects it) but leaves it queued, to be skipped when a value comes.
 */
class TombstoneReceives<T> {
  readonly waiting: Array<{ resolve: (value: T) => void; signal: AbortSignal; withdrawn: boolean }> = [];
  receive(signal: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiter = { resolve, signal, withdrawn: false };
      this.waiting.push(waiter);
      const onAbort = (): void => {
        waiter.withdrawn = true;
        reject(signal.reason);
      };
      // The naive queue's own listener (the control is outside the library, so
      // it does not use the hub); once-only, so the listener itself is released.
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
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
      await expect(expectCollectable(controlTracker, { atLeast: COUNT - 1 })).rejects.toBeInstanceOf(LeakError);
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
      await expect(expectCollectable(controlTracker, { atLeast: COUNT - 1 })).rejects.toBeInstanceOf(LeakError);
      expect(control.items.length).toBe(COUNT);
    });

    it('collects received values while the channel lives: buffered, handed over, or passed through a rendezvous (control: a head index that keeps its slots)', async () => {
      for (const capacity of [4, 0]) {
        for (const receiverFirst of [false, true]) {
          const channel = new Channel<Payload>({ capacity });
          const tracker = track();
          let sum = 0;
          for (let i = 0; i < COUNT; i++) sum += await sendAndConsume(channel, tracker, i, receiverFirst);
          expect(sum).toBe((COUNT * (COUNT - 1)) / 2);
          await expectCollectable(tracker, { atLeast: COUNT - 1 });
          expect(channel.closed).toBe(false);
        }
      }

      const control = new ArrayQueue<Payload>();
      const controlTracker = track();
      for (let i = 0; i < COUNT; i++) sendAndConsumeNaive(control, controlTracker, i);
      await expect(expectCollectable(controlTracker, { atLeast: COUNT - 1 })).rejects.toBeInstanceOf(LeakError);
      expect(control.head).toBe(COUNT);
    });

    it('releases waiting senders’ values when it closes, and leaves their long-lived signal (control: a queue that forgets to clear)', async () => {
      const longLived = new AbortController();
      const channel = new Channel<Payload>({ capacity: 1 });
      await channel.send(payload(-1));
      const tracker = track();
      const settled: unknown[] = [];
      sendWaiting(channel, tracker, longLived.signal, settled);
      // One hub listener for all 200 waiting sends.
      expect(listenerCount(longLived.signal, 'abort')).toBe(1);
      channel.close();
      await expectCollectable(tracker);
      expect(settled.length).toBe(COUNT);
      expect(settled.every((error) => error instanceof ClosedError)).toBe(true);
      expect(listenerCount(longLived.signal, 'abort')).toBe(0);
      // The buffered value is still delivered after close.
      expect(((await channel.receive()).value as Payload).id).toBe(-1);

      const control = new ForgetfulWaiters<Payload>();
      const controlTracker = track();
      const controlSettled: unknown[] = [];
      sendWaitingNaive(control, controlTracker, controlSettled);
      control.close();
      await expect(expectCollectable(controlTracker)).rejects.toBeInstanceOf(LeakError);
      expect(controlSettled.length).toBe(COUNT);
      expect(control.waiting.length).toBe(COUNT);
    });

    it('releases an aborted send’s value at once while the channel and the other senders live', async () => {
      const channel = new Channel<Payload>({ capacity: 1 });
      await channel.send(payload(-1));
      const controller = new AbortController();
      const other = new AbortController();
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
      expect(((await channel.receive()).value as Payload).id).toBe(-1);
      expect(((await channel.receive()).value as Payload).id).toBe(0);
      await channel[Symbol.asyncDispose]();
    });

    it('collects a consumer that breaks, and its worker’s state, while the channel lives (control: a registry that keeps every consumer)', async () => {
      const channel = new Channel<Payload>({ capacity: COUNT });
      const tracker = track();
      const workers: Array<Promise<number>> = [];
      for (let i = 0; i < COUNT; i++) workers.push(startBreakingWorker(channel, tracker, i));
      sendAll(channel, track());
      expect((await Promise.all(workers)).sort((a, b) => a - b)).toEqual(Array.from({ length: COUNT }, (_, i) => i));
      workers.length = 0;
      await expectCollectable(tracker, { atLeast: 2 * COUNT - 1 });
      expect(channel.closed).toBe(false);

      const control = new RegistryChannel(new Channel<Payload>({ capacity: COUNT }));
      const controlTracker = track();
      for (let i = 0; i < COUNT; i++) workers.push(startBreakingWorker(control, controlTracker, i));
      sendAll(control.channel, track());
      await Promise.all(workers);
      workers.length = 0;
      await expect(expectCollectable(controlTracker, { atLeast: 2 * COUNT - 1 })).rejects.toBeInstanceOf(LeakError);
      expect(control.consumers.size).toBe(COUNT);
    });

    it('releases a waiting worker stopped through its consumer’s return(), while the channel and another worker live (control: the v0.1 consumer, whose next() stays queued)', async () => {
      const channel = new Channel<Payload>({ capacity: 1 });
      const tracker = track();
      const finished: number[] = [];
      const consumers: Array<AsyncIterator<Payload>> = [];
      for (let i = 0; i < COUNT; i++) {
        const consumer = channel[Symbol.asyncIterator]();
        consumers.push(consumer);
        startWaitingWorker(consumer, tracker, i, finished);
      }
      // Counter-test: a worker that keeps waiting stays alive and still gets the next value.
      const staying = track();
      const stayingFinished: number[] = [];
      const stayingConsumer = channel[Symbol.asyncIterator]();
      startWaitingWorker(stayingConsumer, staying, -1, stayingFinished);
      await new Promise((resolve) => setImmediate(resolve));
      for (const consumer of consumers) await consumer.return!();
      consumers.length = 0;
      await expectCollectable(tracker, { atLeast: COUNT - 1 });
      expect(finished.length).toBe(COUNT);
      await expectRetained(staying);
      await channel.send(payload(7));
      expect(channel.size).toBe(0);
      await stayingConsumer.return!();
      await new Promise((resolve) => setImmediate(resolve));
      expect(stayingFinished).toEqual([-1]);

      const control = new Channel<Payload>({ capacity: 1 });
      const controlTracker = track();
      const controlFinished: number[] = [];
      for (let i = 0; i < COUNT; i++) {
        const consumer = naiveConsumer(control);
        consumers.push(consumer);
        startWaitingWorker(consumer, controlTracker, i, controlFinished);
      }
      await new Promise((resolve) => setImmediate(resolve));
      for (const consumer of consumers) await consumer.return!();
      consumers.length = 0;
      await expect(expectCollectable(controlTracker, { atLeast: COUNT - 1 })).rejects.toBeInstanceOf(LeakError);
      expect(controlFinished.length).toBe(0);
    });

    it('releases withdrawn receives – their signals and what their callers’ reactions hold – while the channel lives (control: a queue that withdraws by marking)', async () => {
      const channel = new Channel<Payload>({ capacity: 1 });
      const tracker = track();
      const outcomes: unknown[] = [];
      receiveAndWithdraw((signal) => channel.receive({ signal }), tracker, outcomes);
      await expectCollectable(tracker, { atLeast: 2 * COUNT - 1 });
      expect(outcomes.length).toBe(COUNT);
      expect(outcomes.every((outcome) => (outcome as number) < 0)).toBe(true);
      // Nothing was taken: the channel still works, a later value is buffered.
      await channel.send(payload(1));
      expect(channel.size).toBe(1);

      const control = new TombstoneReceives<Payload>();
      const controlTracker = track();
      const controlOutcomes: unknown[] = [];
      receiveAndWithdraw((signal) => control.receive(signal), controlTracker, controlOutcomes);
      await expect(expectCollectable(controlTracker, { atLeast: 2 * COUNT - 1 })).rejects.toBeInstanceOf(LeakError);
      expect(control.waiting.length).toBe(COUNT);
    });

    it('releases the buffered values on dispose while the channel object lives', async () => {
      const channel = new Channel<Payload>({ capacity: COUNT });
      const tracker = track();
      sendAll(channel, tracker);
      expect(channel.size).toBe(COUNT);
      await channel[Symbol.asyncDispose]();
      await expectCollectable(tracker);
      expect(await channel.receive()).toEqual({ value: undefined, done: true });
    });

    it('keeps a value that is buffered and not yet received, and delivers it intact (counter-test)', async () => {
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
          if (i % 10 === 0) await channel.receive();
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
      for (let i = 0; i < burst; i++) sum += (await channel.receive()).value as number;
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
