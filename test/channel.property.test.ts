// Channel against a reference model (fast-check commands), and under random
// microtask scheduling with concurrent producers and consumers.
//
// The model is the obvious specification: an array queue of at most
// `capacity` values (none for a rendezvous channel), an array of waiting
// senders and one of waiting receives (each from `receive()` or from one of
// three consumers), and the overflow policy applied with `shift`/`push`.
// After every command the test flushes the microtask queue and compares what
// each send and each receive settled with, the size and `closed`.
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Channel, type ChannelConsumer, type ChannelOverflow } from '../src/channel.js';
import { ClosedError, OverflowError } from '../src/errors.js';

type SendOutcome = 'pending' | 'ok' | 'closed' | 'overflow' | 'aborted';
type ReceiveOutcome = 'pending' | 'done' | 'error' | 'overflow' | 'aborted' | `value:${number}`;
type TryOutcome = 'true' | 'false' | 'closed' | 'overflow';
type SignalKind = 'none' | 'live' | 'aborted';

const CONSUMERS = 3;

interface Model {
  capacity: number;
  overflow: ChannelOverflow;
  state: 'open' | 'closing' | 'closed' | 'disposed';
  hasError: boolean;
  buffer: number[];
  senders: Array<{ id: number; value: number }>;
  /** Waiting receives: their id and the consumer that made them (-1 for `receive()`). */
  receivers: Array<{ id: number; consumer: number }>;
  detached: boolean[];
  sends: SendOutcome[];
  receives: ReceiveOutcome[];
  tries: TryOutcome[];
  /** Ids of sends and receives made with a live signal. */
  signalledSends: number[];
  signalledReceives: number[];
  nextValue: number;
}

interface Real {
  channel: Channel<number>;
  consumers: Array<ChannelConsumer<number>>;
  sends: SendOutcome[];
  receives: ReceiveOutcome[];
  tries: TryOutcome[];
  sendControllers: Map<number, AbortController>;
  receiveControllers: Map<number, AbortController>;
  reasons: Map<string, Error>;
  /** The error receives may reject with: the first close(error). */
  terminalErrors: Set<Error>;
}

const PENDING_CAP = 1024;

// Model transitions: the specification in its plainest form.

/** Takes the oldest value: from the buffer (admitting the oldest sender) or, with nothing buffered, from the oldest sender. */
function modelTake(m: Model): number {
  if (m.buffer.length === 0) {
    const sender = m.senders.shift()!;
    m.sends[sender.id] = 'ok';
    return sender.value;
  }
  const value = m.buffer.shift()!;
  const sender = m.senders.shift();
  if (sender !== undefined) {
    m.buffer.push(sender.value);
    m.sends[sender.id] = 'ok';
  }
  if (m.state === 'closing' && m.buffer.length === 0) m.state = 'closed';
  return value;
}

function modelOffer(m: Model, value: number): 'accepted' | 'dropped' | 'full' {
  const receiver = m.receivers.shift();
  if (receiver !== undefined) {
    m.receives[receiver.id] = `value:${value}`;
    return 'accepted';
  }
  if (m.buffer.length < m.capacity) {
    m.buffer.push(value);
    return 'accepted';
  }
  if (m.overflow === 'drop-oldest') {
    m.buffer.shift();
    m.buffer.push(value);
    return 'accepted';
  }
  return m.overflow === 'drop-newest' ? 'dropped' : 'full';
}

function modelRejectSenders(m: Model): void {
  for (const { id } of m.senders) m.sends[id] = 'closed';
  m.senders = [];
}

function modelReceive(m: Model, consumer: number, signal: SignalKind): ReceiveOutcome {
  if (signal === 'aborted') return 'aborted';
  if (consumer >= 0 && m.detached[consumer]) return 'done';
  if (m.buffer.length > 0 || m.senders.length > 0) return `value:${modelTake(m)}`;
  if (m.state === 'open') {
    if (m.receivers.length >= PENDING_CAP) return 'overflow';
    m.receivers.push({ id: m.receives.length, consumer });
    return 'pending';
  }
  return m.state === 'closed' && m.hasError ? 'error' : 'done';
}

function realOutcome(real: Real, reason: unknown, abortReason?: Error): 'closed' | 'overflow' | 'aborted' | 'error' {
  if (abortReason !== undefined && reason === abortReason) return 'aborted';
  if (reason instanceof ClosedError) return 'closed';
  if (reason instanceof OverflowError) return 'overflow';
  if (real.terminalErrors.has(reason as Error)) return 'error';
  throw new Error(`unexpected rejection: ${String(reason)}`);
}

async function compare(m: Model, r: Real): Promise<void> {
  await nextMacrotask();
  expect(r.sends).toEqual(m.sends);
  expect(r.receives).toEqual(m.receives);
  expect(r.tries).toEqual(m.tries);
  expect(r.channel.size).toBe(m.buffer.length);
  expect(r.channel.closed).toBe(m.state !== 'open');
}

function makeSignal(r: Real, kind: SignalKind, key: string, controllers: Map<number, AbortController>, id: number) {
  if (kind === 'none') return { signal: undefined, reason: undefined };
  const controller = new AbortController();
  const reason = new Error(`abort ${key}`);
  r.reasons.set(key, reason);
  if (kind === 'aborted') controller.abort(reason);
  else controllers.set(id, controller);
  return { signal: controller.signal, reason };
}

class SendCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly signal: SignalKind) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const value = m.nextValue++;
    const id = m.sends.length;
    let expected: SendOutcome;
    if (this.signal === 'aborted') expected = 'aborted';
    else if (m.state !== 'open') expected = 'closed';
    else {
      const offer = modelOffer(m, value);
      if (offer !== 'full') expected = 'ok';
      else if (m.overflow === 'error') expected = 'overflow';
      else if (m.senders.length >= PENDING_CAP) expected = 'overflow';
      else {
        m.senders.push({ id, value });
        expected = 'pending';
      }
    }
    m.sends.push(expected);
    if (this.signal === 'live') m.signalledSends.push(id);

    r.sends.push('pending');
    const { signal, reason } = makeSignal(r, this.signal, `send ${id}`, r.sendControllers, id);
    r.channel.send(value, signal === undefined ? undefined : { signal }).then(
      () => {
        r.sends[id] = 'ok';
      },
      (error: unknown) => {
        r.sends[id] = realOutcome(r, error, reason) as SendOutcome;
      },
    );
    await compare(m, r);
  }
  toString(): string {
    return `send(${this.signal})`;
  }
}

class TrySendCommand implements fc.AsyncCommand<Model, Real> {
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const value = m.nextValue++;
    let expected: TryOutcome;
    if (m.state !== 'open') expected = 'closed';
    else {
      const offer = modelOffer(m, value);
      if (offer === 'accepted') expected = 'true';
      else if (m.overflow === 'error') expected = 'overflow';
      else expected = 'false';
    }
    m.tries.push(expected);
    try {
      r.tries.push(r.channel.trySend(value) ? 'true' : 'false');
    } catch (error) {
      r.tries.push(realOutcome(r, error) as TryOutcome);
    }
    await compare(m, r);
  }
  toString(): string {
    return 'trySend';
  }
}

/** `receive()` with a signal (consumer -1), or `next()` of consumer 0..2. */
class ReceiveCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly consumer: number,
    readonly signal: SignalKind,
  ) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const id = m.receives.length;
    const signalKind = this.consumer >= 0 ? 'none' : this.signal;
    m.receives.push(modelReceive(m, this.consumer, signalKind));
    if (signalKind === 'live') m.signalledReceives.push(id);

    r.receives.push('pending');
    const { signal, reason } = makeSignal(r, signalKind, `receive ${id}`, r.receiveControllers, id);
    const promise =
      this.consumer >= 0
        ? r.consumers[this.consumer]!.next()
        : r.channel.receive(signal === undefined ? undefined : { signal });
    promise.then(
      (result) => {
        r.receives[id] = result.done ? 'done' : `value:${result.value}`;
      },
      (error: unknown) => {
        r.receives[id] = realOutcome(r, error, reason) as ReceiveOutcome;
      },
    );
    await compare(m, r);
  }
  toString(): string {
    return this.consumer >= 0 ? `consumer ${this.consumer}.next()` : `receive(${this.signal})`;
  }
}

/** A consumer detaches: `return()` (a `break`), `throw()` or dispose. */
class DetachCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly consumer: number,
    readonly how: 'return' | 'throw' | 'dispose',
  ) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    if (!m.detached[this.consumer]) {
      m.detached[this.consumer] = true;
      for (const { id } of m.receivers.filter((w) => w.consumer === this.consumer)) m.receives[id] = 'done';
      m.receivers = m.receivers.filter((w) => w.consumer !== this.consumer);
    }
    const consumer = r.consumers[this.consumer]!;
    if (this.how === 'return') expect(await consumer.return()).toEqual({ value: undefined, done: true });
    else if (this.how === 'dispose') await consumer[Symbol.asyncDispose]();
    else {
      const error = new Error('thrown');
      await expect(consumer.throw(error)).rejects.toBe(error);
    }
    await compare(m, r);
  }
  toString(): string {
    return `consumer ${this.consumer}.${this.how}()`;
  }
}

class CloseCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly withError: boolean) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    if (m.state === 'open') {
      m.state = 'closing';
      m.hasError = this.withError;
      modelRejectSenders(m);
      if (m.buffer.length === 0) {
        m.state = 'closed';
        for (const { id } of m.receivers) m.receives[id] = this.withError ? 'error' : 'done';
        m.receivers = [];
      }
    }
    if (this.withError) {
      const error = new Error('close');
      // Only the first close counts; later errors are never observed.
      if (m.hasError && r.terminalErrors.size === 0) r.terminalErrors.add(error);
      r.channel.close(error);
    } else {
      r.channel.close();
    }
    await compare(m, r);
  }
  toString(): string {
    return this.withError ? 'close(error)' : 'close()';
  }
}

class DisposeCommand implements fc.AsyncCommand<Model, Real> {
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    if (m.state !== 'disposed') {
      m.state = 'disposed';
      m.hasError = false;
      m.buffer = [];
      modelRejectSenders(m);
      for (const { id } of m.receivers) m.receives[id] = 'done';
      m.receivers = [];
    }
    await r.channel[Symbol.asyncDispose]();
    await compare(m, r);
  }
  toString(): string {
    return 'asyncDispose';
  }
}

class AbortCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly target: 'send' | 'receive',
    readonly pick: number,
  ) {}
  check(m: Model): boolean {
    return (this.target === 'send' ? m.signalledSends : m.signalledReceives).length > 0;
  }
  async run(m: Model, r: Real): Promise<void> {
    // Mostly one that is still waiting (the interesting case); sometimes any
    // signalled one, settled or not (aborting a settled one must change nothing).
    const isSend = this.target === 'send';
    const signalled = isSend ? m.signalledSends : m.signalledReceives;
    const queue: Array<{ id: number }> = isSend ? m.senders : m.receivers;
    const waiting = signalled.filter((id) => queue.some((w) => w.id === id));
    const from = this.pick % 3 !== 0 && waiting.length > 0 ? waiting : signalled;
    const id = from[this.pick % from.length]!;
    const index = queue.findIndex((w) => w.id === id);
    if (index >= 0) {
      queue.splice(index, 1);
      if (isSend) m.sends[id] = 'aborted';
      else m.receives[id] = 'aborted';
    }
    const controllers = isSend ? r.sendControllers : r.receiveControllers;
    controllers.get(id)!.abort(r.reasons.get(`${this.target} ${id}`));
    await compare(m, r);
  }
  toString(): string {
    return `abort(${this.target} #${this.pick})`;
  }
}

const signalKinds = fc.constantFrom<SignalKind>('none', 'live', 'live', 'aborted');
const consumerIndex = fc.integer({ min: 0, max: CONSUMERS - 1 });

// Close and dispose end the interesting part, so they are rarer than the rest;
// sends outnumber receives so that the buffer fills and senders have to wait.
const weighted = fc.oneof(
  { arbitrary: signalKinds.map((s) => new SendCommand(s)), weight: 24 },
  { arbitrary: fc.constant(new TrySendCommand()), weight: 8 },
  { arbitrary: consumerIndex.map((c) => new ReceiveCommand(c, 'none')), weight: 10 },
  { arbitrary: signalKinds.map((s) => new ReceiveCommand(-1, s)), weight: 6 },
  {
    arbitrary: fc
      .tuple(consumerIndex, fc.constantFrom<'return' | 'throw' | 'dispose'>('return', 'return', 'throw', 'dispose'))
      .map(([c, how]) => new DetachCommand(c, how)),
    weight: 2,
  },
  { arbitrary: fc.boolean().map((e) => new CloseCommand(e)), weight: 1 },
  { arbitrary: fc.constant(new DisposeCommand()), weight: 1 },
  { arbitrary: fc.nat().map((p) => new AbortCommand('send', p)), weight: 8 },
  { arbitrary: fc.nat().map((p) => new AbortCommand('receive', p)), weight: 6 },
);

function setup(capacity: number, overflow: ChannelOverflow): { model: Model; real: Real } {
  const channel = new Channel<number>({ capacity, overflow });
  return {
    model: {
      capacity,
      overflow,
      state: 'open',
      hasError: false,
      buffer: [],
      senders: [],
      receivers: [],
      detached: Array.from({ length: CONSUMERS }, () => false),
      sends: [],
      receives: [],
      tries: [],
      signalledSends: [],
      signalledReceives: [],
      nextValue: 0,
    },
    real: {
      channel,
      consumers: Array.from({ length: CONSUMERS }, () => channel[Symbol.asyncIterator]()),
      sends: [],
      receives: [],
      tries: [],
      sendControllers: new Map(),
      receiveControllers: new Map(),
      reasons: new Map(),
      terminalErrors: new Set(),
    },
  };
}

// 'drop-oldest' needs room to drop from: it is not allowed with capacity 0.
const channelShape = fc
  .tuple(
    fc.integer({ min: 0, max: 3 }),
    // 'wait' has the most states (waiting senders, aborts), so it gets half the runs.
    fc.constantFrom<ChannelOverflow>('wait', 'wait', 'wait', 'drop-oldest', 'drop-newest', 'error'),
  )
  .map(([capacity, overflow]) => ({ capacity, overflow: capacity === 0 && overflow === 'drop-oldest' ? 'wait' : overflow }));

describe('Channel', () => {
  describe('semantics', () => {
    it('matches the array-queue model with three consumers, receive({ signal }), detaches and rendezvous', async () => {
      await fc.assert(
        fc.asyncProperty(channelShape, fc.commands([weighted], { maxCommands: 40, size: 'max' }), async (shape, commands) => {
          await fc.asyncModelRun(() => setup(shape.capacity, shape.overflow), commands);
        }),
        { numRuns: 1000 },
      );
    }, 60_000);

    it('delivers every accepted value to exactly one consumer, in order, while consumers break and receives are withdrawn under random microtask scheduling', async () => {
      const jitter = fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 64, maxLength: 64 });
      await fc.assert(
        fc.asyncProperty(
          channelShape,
          fc.integer({ min: 1, max: 3 }),
          // How many values each extra consumer takes before it breaks (-1: never).
          fc.array(fc.integer({ min: -1, max: 6 }), { minLength: 0, maxLength: 3 }),
          // After how many jittered steps each withdrawn receive is aborted.
          fc.array(fc.integer({ min: 0, max: 8 }), { minLength: 0, maxLength: 3 }),
          jitter,
          async ({ capacity, overflow }, producerCount, breakers, withdrawals, delays) => {
            type Item = { producer: number; index: number };
            const channel = new Channel<Item>({ capacity, overflow });
            let tick = 0;
            const pause = async (): Promise<void> => {
              const n = delays[tick++ % delays.length]!;
              for (let i = 0; i < n; i++) await Promise.resolve();
            };
            const perProducer = 12;
            const accepted = new Set<string>();
            const rejected: unknown[] = [];
            const producers = Array.from({ length: producerCount }, async (_, producer) => {
              for (let index = 0; index < perProducer; index++) {
                await pause();
                try {
                  await channel.send({ producer, index });
                  accepted.add(`${producer}:${index}`);
                } catch (error) {
                  rejected.push(error);
                }
              }
            });
            const received: Item[][] = [];
            // One consumer never breaks, so every accepted value has a taker.
            const limits = [-1, ...breakers];
            const consumers = limits.map(async (limit, c) => {
              const mine: Item[] = [];
              received[c] = mine;
              for await (const item of channel) {
                mine.push(item);
                if (mine.length === limit) break;
                await pause();
              }
            });
            // Receives that give up: whatever they got counts, the rest must not be lost.
            const withdrawn = withdrawals.map(async (steps) => {
              const controller = new AbortController();
              const reason = new Error('gave up');
              const receiving = channel.receive({ signal: controller.signal });
              for (let i = 0; i < steps; i++) await pause();
              controller.abort(reason);
              try {
                const result = await receiving;
                if (!result.done) received.push([result.value]);
              } catch (error) {
                expect(error).toBe(reason);
              }
            });
            await Promise.all(producers);
            await Promise.all(withdrawn);
            channel.close();
            await Promise.all(consumers);

            const all = received.flat().map((item) => `${item.producer}:${item.index}`);
            // Exactly one receiver per value.
            expect(new Set(all).size).toBe(all.length);
            // Nothing invented: every received value was sent and accepted.
            for (const key of all) expect(accepted.has(key)).toBe(true);
            // Per consumer, each producer's values arrive in the order sent.
            for (const mine of received) {
              for (let p = 0; p < producerCount; p++) {
                const indices = mine.filter((item) => item.producer === p).map((item) => item.index);
                expect(indices).toEqual([...indices].sort((a, b) => a - b));
              }
            }
            if (overflow === 'wait') {
              // Backpressure loses nothing, and a rendezvous send resolved only once taken.
              expect(all.length).toBe(producerCount * perProducer);
              expect(rejected).toEqual([]);
            } else if (overflow === 'error') {
              // Only overflows are refused, and everything accepted arrives.
              for (const error of rejected) expect(error).toBeInstanceOf(OverflowError);
              expect(all.length).toBe(accepted.size);
            } else {
              expect(rejected).toEqual([]);
            }
            expect(channel.size).toBe(0);
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});
