// Bytes retained by abortableIterator and on() on a long-lived signal (and
// emitter), against the `abortable-iterator` package and Node's events.on.
//   node --expose-gc --import tsx bench/memory/iterate.mem.ts [--quick]
//
// "Retained" is heap + external after full collections, divided by the number
// of loops, with the long-lived signal and emitter kept alive throughout: what
// a server pays per request, forever, in the shape that leaks. The last table
// is the price of a live subscription (held on purpose), not a leak.

import { EventEmitter, on as nodeOn, setMaxListeners } from 'node:events';
import { abortableSource } from 'abortable-iterator';
import { abortableIterator } from '../../src/abortable-iterator.js';
import { on } from '../../src/on.js';
import { printHeader, printRows, retainedPerOp } from '../harness.js';

const COUNT = process.argv.includes('--quick') ? 200 : 20_000;

interface LongLived {
  signal: AbortSignal;
  emitter: EventEmitter;
  held: unknown[];
}

function longLived(): LongLived {
  const controller = new AbortController();
  // The package leaves one listener per loop; the warning is the leak, not news.
  setMaxListeners(0, controller.signal);
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return { signal: controller.signal, emitter, held: [] };
}

type Payload = { payload: number[] };
async function* payloads(): AsyncGenerator<Payload> {
  for (;;) yield { payload: new Array<number>(128).fill(1) };
}

async function breakAfterOne(iterable: AsyncIterable<unknown>): Promise<void> {
  for await (const item of iterable) {
    if (item !== undefined) break;
  }
}

async function readOneAndReturn(emitter: EventEmitter, events: AsyncIterator<unknown[]>): Promise<void> {
  emitter.emit('n', { payload: new Array<number>(128).fill(1) });
  await events.next();
  await events.return?.();
}

printHeader('abortableIterator and on(): bytes retained on a long-lived signal');

const rows: Array<Array<string | number>> = [];
const breakers: Array<[string, (state: LongLived) => AsyncIterable<unknown>]> = [
  ['abortableIterator', ({ signal }) => abortableIterator(payloads(), { signal })],
  ['abortable-iterator 5.1', ({ signal }) => abortableSource(payloads(), signal)],
];
for (const [name, wrap] of breakers) {
  rows.push([name, (await retainedPerOp(longLived, (state) => breakAfterOne(wrap(state)), COUNT)).toFixed(0)]);
}
printRows(`${COUNT.toLocaleString('en')} loops that break after one item`, ['contender', 'bytes retained per loop'], rows);

const subscriptions: Array<[string, (state: LongLived) => AsyncIterator<unknown[]>]> = [
  ['on()', ({ emitter, signal }) => on(emitter, 'n', { signal })],
  ['events.on (node)', ({ emitter, signal }) => nodeOn(emitter, 'n', { signal }) as AsyncIterator<unknown[]>],
];
rows.length = 0;
for (const [name, subscribe] of subscriptions) {
  const bytes = await retainedPerOp(longLived, (state) => readOneAndReturn(state.emitter, subscribe(state)), COUNT);
  rows.push([name, bytes.toFixed(0)]);
}
printRows(`${COUNT.toLocaleString('en')} subscriptions that read one event and return`, ['contender', 'bytes retained per subscription'], rows);

rows.length = 0;
for (const [name, subscribe] of subscriptions) {
  const bytes = await retainedPerOp(
    longLived,
    (state) => {
      const events = subscribe(state);
      // A waiting consumer, as in a server's subscription loop.
      void events.next();
      state.held.push(events);
    },
    COUNT,
  );
  rows.push([name, bytes.toFixed(0)]);
}
printRows(
  `${COUNT.toLocaleString('en')} live subscriptions on one signal and emitter, each with a next() waiting`,
  ['contender', 'bytes per live subscription'],
  rows,
);
