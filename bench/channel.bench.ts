// Channel and on() throughput against the naive baselines, plus retained
// memory with a consumer that stopped reading.
//
//   node --expose-gc --import tsx bench/channel.bench.ts
//
// Contenders:
// - "array queue": the unbounded async queue people write by hand (and what
//   it-pushable and events.on are underneath): `array.push` / `array.shift`
//   plus an array of waiting resolvers. The baseline for ratios.
// - "head-index queue": the other common design, a head index that clears its
//   slot and compacts once half the array is dead (the alternative to our
//   ring). Unbounded too.
// - "Channel": leakproof, bounded. A consumer is what `for await` uses
//   (`channel[Symbol.asyncIterator]()`, then `next()`); `receive()` is the
//   one-value call. Issue 12's target: one value at a time, buffered and with
//   a consumer waiting, no slower than the head-index queue.
// - Node's `events.on` for the on() scenarios.
//
// Channel keeps no idle instances (nothing to measure with and without).
// A tiny run that only checks the file works: `OPS=200 node --expose-gc
// --import tsx bench/channel.bench.ts` (figures from such a run mean nothing).

import { EventEmitter, on as nodeOn } from 'node:events';
import { Channel } from '../src/channel.js';
import { on } from '../src/on.js';
import { printHeader, printRows, retainedPerOp, runScenario } from './harness.js';

interface AsyncQueue<T> {
  push(value: T): void;
  next(): Promise<IteratorResult<T, undefined>>;
}

const DONE: IteratorReturnResult<undefined> = { value: undefined, done: true };

/** The naive baseline: unbounded, `shift()` to dequeue, waiting resolvers in a second array. */
class ArrayQueue<T> implements AsyncQueue<T> {
  #items: T[] = [];
  #waiting: Array<(result: IteratorResult<T, undefined>) => void> = [];
  push(value: T): void {
    const resolve = this.#waiting.shift();
    if (resolve) resolve({ value, done: false });
    else this.#items.push(value);
  }
  next(): Promise<IteratorResult<T, undefined>> {
    if (this.#items.length > 0) return Promise.resolve({ value: this.#items.shift()!, done: false });
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
  get size(): number {
    return this.#items.length;
  }
  close(): void {
    for (const resolve of this.#waiting.splice(0)) resolve(DONE);
  }
}

/** Head-indexed array that clears consumed slots and compacts when half of it is dead. */
class HeadQueue<T> implements AsyncQueue<T> {
  #items: Array<T | undefined> = [];
  #head = 0;
  #waiting: Array<(result: IteratorResult<T, undefined>) => void> = [];
  #waitHead = 0;
  push(value: T): void {
    if (this.#waitHead < this.#waiting.length) {
      const resolve = this.#waiting[this.#waitHead]!;
      this.#waiting[this.#waitHead++] = undefined as never;
      if (this.#waitHead === this.#waiting.length) {
        this.#waiting.length = 0;
        this.#waitHead = 0;
      }
      resolve({ value, done: false });
    } else {
      this.#items.push(value);
    }
  }
  next(): Promise<IteratorResult<T, undefined>> {
    if (this.#head < this.#items.length) {
      const value = this.#items[this.#head] as T;
      this.#items[this.#head++] = undefined;
      if (this.#head === this.#items.length) {
        this.#items.length = 0;
        this.#head = 0;
      } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
}

/** Adapts Channel to the same shape (trySend never refuses here: capacity is large enough). */
function channelQueue<T>(capacity: number): AsyncQueue<T> & { channel: Channel<T> } {
  const channel = new Channel<T>({ capacity });
  const consumer = channel[Symbol.asyncIterator]();
  return {
    channel,
    push: (value) => void channel.trySend(value),
    next: () => consumer.next(),
  };
}

const OPS = Number(process.env.OPS ?? 20_000);

printHeader('Channel and on()');

// 1. Send then receive, one value at a time, nothing waiting.
const buffered: Record<string, (ops: number) => Promise<void>> = {
  'array queue': async (ops) => {
    const q = new ArrayQueue<number>();
    for (let i = 0; i < ops; i++) {
      q.push(i);
      await q.next();
    }
  },
  'head-index queue': async (ops) => {
    const q = new HeadQueue<number>();
    for (let i = 0; i < ops; i++) {
      q.push(i);
      await q.next();
    }
  },
  'Channel trySend + consumer next()': async (ops) => {
    const c = new Channel<number>({ capacity: 16 });
    const consumer = c[Symbol.asyncIterator]();
    for (let i = 0; i < ops; i++) {
      c.trySend(i);
      await consumer.next();
    }
  },
  'Channel trySend + receive()': async (ops) => {
    const c = new Channel<number>({ capacity: 16 });
    for (let i = 0; i < ops; i++) {
      c.trySend(i);
      await c.receive();
    }
  },
  'Channel await send + consumer next()': async (ops) => {
    const c = new Channel<number>({ capacity: 16 });
    const consumer = c[Symbol.asyncIterator]();
    for (let i = 0; i < ops; i++) {
      await c.send(i);
      await consumer.next();
    }
  },
};

// 2. The consumer is already waiting: every send hands its value over.
const waiting: Record<string, (ops: number) => Promise<void>> = {
  'array queue': async (ops) => {
    const q = new ArrayQueue<number>();
    for (let i = 0; i < ops; i++) {
      const p = q.next();
      q.push(i);
      await p;
    }
  },
  'head-index queue': async (ops) => {
    const q = new HeadQueue<number>();
    for (let i = 0; i < ops; i++) {
      const p = q.next();
      q.push(i);
      await p;
    }
  },
  'Channel consumer next() + trySend': async (ops) => {
    const c = new Channel<number>({ capacity: 16 });
    const consumer = c[Symbol.asyncIterator]();
    for (let i = 0; i < ops; i++) {
      const p = consumer.next();
      c.trySend(i);
      await p;
    }
  },
  'Channel receive() + trySend': async (ops) => {
    const c = new Channel<number>({ capacity: 16 });
    for (let i = 0; i < ops; i++) {
      const p = c.receive();
      c.trySend(i);
      await p;
    }
  },
  'Channel capacity 0 (rendezvous), consumer next() + trySend': async (ops) => {
    const c = new Channel<number>({ capacity: 0 });
    const consumer = c[Symbol.asyncIterator]();
    for (let i = 0; i < ops; i++) {
      const p = consumer.next();
      c.trySend(i);
      await p;
    }
  },
};

// Issue 12's target, in the steady state and in short runs (a fresh queue
// per 100 values, so construction and the cold first values count).
const SHORT = Math.min(100, OPS);
const noSlowerThanHeadIndex = (...contenders: string[]) =>
  contenders.map((contender) => ({ contender, against: 'head-index queue', max: 1 }));

await runScenario({
  name: `buffered: push one value, then await next() (${OPS} pairs)`,
  ops: OPS,
  contenders: buffered,
  targets: noSlowerThanHeadIndex('Channel trySend + consumer next()', 'Channel trySend + receive()'),
});
await runScenario({
  name: `buffered, short runs: a fresh queue per ${SHORT} pairs`,
  ops: SHORT,
  rounds: 51,
  contenders: buffered,
  targets: noSlowerThanHeadIndex('Channel trySend + consumer next()', 'Channel trySend + receive()'),
});
await runScenario({
  name: `waiting consumer: next() first, then push (${OPS} pairs)`,
  ops: OPS,
  contenders: waiting,
  targets: noSlowerThanHeadIndex('Channel consumer next() + trySend', 'Channel receive() + trySend'),
});
await runScenario({
  name: `waiting consumer, short runs: a fresh queue per ${SHORT} pairs`,
  ops: SHORT,
  rounds: 51,
  contenders: waiting,
  targets: noSlowerThanHeadIndex('Channel consumer next() + trySend', 'Channel receive() + trySend'),
});

// 3. A burst, then a drain: the queue holds thousands of values at once.
const BURST = Math.min(10_000, OPS);
await runScenario({
  name: `burst: push ${BURST} values, then drain them (per value)`,
  ops: BURST,
  contenders: {
    'array queue': async (ops) => {
      const q = new ArrayQueue<number>();
      for (let i = 0; i < ops; i++) q.push(i);
      for (let i = 0; i < ops; i++) await q.next();
    },
    'head-index queue': async (ops) => {
      const q = new HeadQueue<number>();
      for (let i = 0; i < ops; i++) q.push(i);
      for (let i = 0; i < ops; i++) await q.next();
    },
    Channel: async (ops) => {
      const q = channelQueue<number>(ops);
      for (let i = 0; i < ops; i++) q.push(i);
      for (let i = 0; i < ops; i++) await q.next();
    },
  },
});

// 4. Producer and consumer running concurrently. The array queue never makes
// the producer wait (and so buffers without bound); Channel 'wait' with
// capacity 16 does, which costs a promise per blocked send.
await runScenario({
  name: `producer and for-await consumer running together (${OPS} values)`,
  ops: OPS,
  contenders: {
    'array queue': async (ops) => {
      const q = new ArrayQueue<number>();
      const consumer = (async () => {
        let received = 0;
        while (received < ops) {
          await q.next();
          received++;
        }
      })();
      for (let i = 0; i < ops; i++) {
        q.push(i);
        if (i % 16 === 15) await undefined;
      }
      await consumer;
    },
    "Channel 'wait' (capacity 16)": async (ops) => {
      const c = new Channel<number>({ capacity: 16, overflow: 'wait' });
      const consumer = (async () => {
        let received = 0;
        for await (const _ of c) received++;
        return received;
      })();
      for (let i = 0; i < ops; i++) await c.send(i);
      c.close();
      await consumer;
    },
    'Channel capacity 0 (rendezvous)': async (ops) => {
      const c = new Channel<number>({ capacity: 0 });
      const consumer = (async () => {
        for await (const _ of c);
      })();
      for (let i = 0; i < ops; i++) await c.send(i);
      c.close();
      await consumer;
    },
    "Channel 'wait' (capacity 16), 4 for-await consumers": async (ops) => {
      const c = new Channel<number>({ capacity: 16, overflow: 'wait' });
      const consumers = [0, 1, 2, 3].map(async () => {
        for await (const _ of c);
      });
      for (let i = 0; i < ops; i++) await c.send(i);
      c.close();
      await Promise.all(consumers);
    },
    "Channel 'drop-oldest' (capacity 16)": async (ops) => {
      const c = new Channel<number>({ capacity: 16, overflow: 'drop-oldest' });
      const consumer = (async () => {
        for await (const _ of c);
      })();
      for (let i = 0; i < ops; i++) {
        c.trySend(i);
        if (i % 16 === 15) await undefined;
      }
      c.close();
      await consumer;
    },
  },
});

// 5. on() against Node's events.on: emit then read, and a waiting reader.
await runScenario({
  name: `on() vs events.on: emit, then await next() (${OPS} events)`,
  ops: OPS,
  contenders: {
    'events.on': async (ops) => {
      const emitter = new EventEmitter();
      const events = nodeOn(emitter, 'x');
      for (let i = 0; i < ops; i++) {
        emitter.emit('x', i);
        await events.next();
      }
      await events.return!();
    },
    'leakproof on': async (ops) => {
      const emitter = new EventEmitter();
      const events = on(emitter, 'x');
      for (let i = 0; i < ops; i++) {
        emitter.emit('x', i);
        await events.next();
      }
      await events.return!();
    },
  },
});

await runScenario({
  name: `on() vs events.on: next() waiting, then emit (${OPS} events)`,
  ops: OPS,
  contenders: {
    'events.on': async (ops) => {
      const emitter = new EventEmitter();
      const events = nodeOn(emitter, 'x');
      for (let i = 0; i < ops; i++) {
        const p = events.next();
        emitter.emit('x', i);
        await p;
      }
      await events.return!();
    },
    'leakproof on': async (ops) => {
      const emitter = new EventEmitter();
      const events = on(emitter, 'x');
      for (let i = 0; i < ops; i++) {
        const p = events.next();
        emitter.emit('x', i);
        await p;
      }
      await events.return!();
    },
  },
});

await runScenario({
  name: 'on() vs events.on: subscribe, one event, break (per subscription)',
  ops: Math.min(5_000, OPS),
  contenders: {
    'events.on': async (ops) => {
      const emitter = new EventEmitter();
      for (let i = 0; i < ops; i++) {
        const events = nodeOn(emitter, 'x');
        emitter.emit('x', i);
        for await (const _ of events) break;
      }
    },
    'leakproof on': async (ops) => {
      const emitter = new EventEmitter();
      for (let i = 0; i < ops; i++) {
        const events = on(emitter, 'x');
        emitter.emit('x', i);
        for await (const _ of events) break;
      }
    },
  },
});

// Memory: a consumer that stopped reading. Bytes retained per value sent
// after GC, with the queue kept alive; the bounded ones stop growing at
// their capacity (1024 here), so their per-op figure tends to 0.
const SENDS = Math.min(50_000, OPS * 2.5);
const rows: Array<Array<string | number>> = [];
const perOp = async (name: string, setup: () => unknown, op: (state: never, i: number) => unknown): Promise<void> => {
  const bytes = await retainedPerOp(setup, op as (state: unknown, i: number) => unknown, SENDS);
  rows.push([name, bytes.toFixed(1)]);
};
await perOp('array queue (unbounded)', () => new ArrayQueue<{ i: number }>(), (q: ArrayQueue<{ i: number }>, i) => q.push({ i }));
await perOp(
  "Channel capacity 1024, 'drop-oldest'",
  () => new Channel<{ i: number }>({ capacity: 1024, overflow: 'drop-oldest' }),
  (c: Channel<{ i: number }>, i) => c.trySend({ i }),
);
await perOp(
  'events.on (unbounded), nobody reading',
  () => {
    const emitter = new EventEmitter();
    return { emitter, events: nodeOn(emitter, 'x') };
  },
  (s: { emitter: EventEmitter }, i) => s.emitter.emit('x', { i }),
);
await perOp(
  "leakproof on, capacity 1024, 'drop-oldest', nobody reading",
  () => {
    const emitter = new EventEmitter();
    return { emitter, events: on(emitter, 'x', { overflow: 'drop-oldest' }) };
  },
  (s: { emitter: EventEmitter }, i) => s.emitter.emit('x', { i }),
);
printRows(`Retained bytes per value sent, consumer stalled (${SENDS} values)`, ['queue', 'bytes/value'], rows);

// Memory: what one live subscription costs before any event arrives. Node's
// events.on preallocates two fixed 2048-slot ring segments per call.
const subscriptionRows: Array<Array<string | number>> = [];
for (const [name, subscribe] of [
  ['events.on', (emitter: EventEmitter) => nodeOn(emitter, 'x')],
  ['leakproof on', (emitter: EventEmitter) => on(emitter, 'x')],
] as const) {
  const bytes = await retainedPerOp(
    () => {
      const emitter = new EventEmitter();
      emitter.setMaxListeners(0);
      return { emitter, live: [] as unknown[] };
    },
    (state, _i) => state.live.push(subscribe(state.emitter)),
    Math.min(2_000, OPS),
  );
  subscriptionRows.push([name, bytes.toFixed(0)]);
}
printRows('Retained bytes per live subscription (2,000 subscriptions, no events yet)', ['subscription', 'bytes'], subscriptionRows);
