// Bytes retained per operation by Channel in the shapes that leak, with the
// channel (and a long-lived signal) kept alive throughout:
//   node --expose-gc --import tsx bench/memory/channel.mem.ts
//   COUNT=200 node --expose-gc --import tsx bench/memory/channel.mem.ts   (a check that it runs)
//
// - a consumer (a `for await`) that takes one value and breaks, per consumer;
// - a receive withdrawn by its own signal's abort, per receive;
// - a waiting send and a waiting receive that completed on a long-lived
//   signal, per operation;
// against the naive versions: a channel that keeps every consumer it hands out,
// a queue that withdraws by marking, and an `addEventListener` per waiter that
// is never removed.

import { setMaxListeners } from 'node:events';
import { Channel } from '../../src/channel.js';
import { printHeader, printRows, retainedPerOp } from '../harness.js';

const COUNT = Number(process.env.COUNT ?? 20_000);

printHeader('Channel memory');
const rows: Array<Array<string | number>> = [];
const row = async <S>(name: string, setup: () => S, op: (state: S, i: number) => unknown): Promise<void> => {
  rows.push([name, (await retainedPerOp(setup, op, COUNT)).toFixed(1)]);
};

// 1. Consumers that break while the channel lives.
await row(
  'Channel: consumer takes one value and breaks',
  () => new Channel<number>({ capacity: 1 }),
  async (channel, i) => {
    channel.trySend(i);
    for await (const _ of channel) break;
  },
);
await row(
  'naive: channel that keeps every consumer it hands out',
  () => ({ channel: new Channel<number>({ capacity: 1 }), consumers: [] as unknown[] }),
  async (state, i) => {
    state.channel.trySend(i);
    const consumer = state.channel[Symbol.asyncIterator]();
    state.consumers.push(consumer);
    for await (const _ of { [Symbol.asyncIterator]: () => consumer }) break;
  },
);

// 2. Receives withdrawn by their own signal.
await row(
  'Channel: receive({ signal }) withdrawn by abort',
  () => new Channel<number>({ capacity: 1 }),
  async (channel) => {
    const controller = new AbortController();
    const received = channel.receive({ signal: controller.signal }).catch(() => undefined);
    controller.abort();
    await received;
  },
);
await row(
  'naive: receive withdrawn by marking (stays queued)',
  () => [] as Array<{ resolve: (value: number) => void; signal: AbortSignal; withdrawn: boolean }>,
  async (queue) => {
    const controller = new AbortController();
    const received = new Promise<number>((resolve, reject) => {
      const waiter = { resolve, signal: controller.signal, withdrawn: false };
      queue.push(waiter);
      controller.signal.addEventListener(
        'abort',
        () => {
          waiter.withdrawn = true;
          reject(controller.signal.reason);
        },
        { once: true },
      );
    }).catch(() => undefined);
    controller.abort();
    await received;
  },
);

// 3. Waiting sends and receives on one long-lived signal, each completed.
await row(
  'Channel: waiting send + waiting receive on a long-lived signal, completed',
  () => ({ channel: new Channel<number>({ capacity: 0 }), signal: new AbortController().signal }),
  async ({ channel, signal }, i) => {
    const sent = channel.send(i, { signal });
    await channel.receive({ signal });
    await sent;
  },
);
await row(
  'naive: a listener per waiter on a long-lived signal, never removed',
  () => {
    const { signal } = new AbortController();
    setMaxListeners(0, signal); // keep the warning out of the output; the growth is the point
    return { items: [] as number[], signal };
  },
  async ({ items, signal }, i) => {
    await new Promise<void>((resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason));
      items.push(i);
      resolve();
    });
    items.pop();
  },
);

printRows(`Retained bytes per operation (${COUNT} operations, channel and signal kept alive)`, ['scenario', 'bytes/op'], rows);
