// Channel against a reference model (fast-check commands), and under random
// microtask scheduling with concurrent producers and consumers.
//
// The model is the obvious specification: an array queue of at most
// `capacity` values, an array of waiting senders and one of waiting readers,
// and the overflow policy applied with `shift`/`push`. After every command the
// test flushes the microtask queue and compares what each send and each
// next() settled with, the size and `closed`.
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Channel, type ChannelOverflow } from '../src/channel.js';
import { ClosedError, OverflowError } from '../src/errors.js';

type SendOutcome = 'pending' | 'ok' | 'closed' | 'overflow' | 'aborted';
type NextOutcome = 'pending' | 'done' | 'error' | 'overflow' | `value:${number}`;
type TryOutcome = 'true' | 'false' | 'closed' | 'overflow';

interface Model {
  capacity: number;
  overflow: ChannelOverflow;
  state: 'open' | 'closing' | 'closed' | 'returned';
  hasError: boolean;
  buffer: number[];
  senders: Array<{ id: number; value: number }>;
  readers: number[];
  sends: SendOutcome[];
  nexts: NextOutcome[];
  /** Which consumer made each next() call, and what each consumer received. */
  consumerOf: number[];
  tries: TryOutcome[];
  /** Indices (into `sends`) of sends made with a live signal. */
  signalled: number[];
  nextValue: number;
}

interface Real {
  channel: Channel<number>;
  sends: SendOutcome[];
  nexts: NextOutcome[];
  tries: TryOutcome[];
  controllers: Map<number, AbortController>;
  reasons: Map<number, Error>;
  closeError: Error | undefined;
}

const PENDING_CAP = 1024;

// Model transitions: the specification in its plainest form.

function modelTake(m: Model): number {
  const value = m.buffer.shift()!;
  const sender = m.senders.shift();
  if (sender !== undefined) {
    m.buffer.push(sender.value);
    m.sends[sender.id] = 'ok';
  }
  if (m.state === 'closing' && m.buffer.length === 0) m.state = 'closed';
  return value;
}

/** 'ok' when the value was delivered, buffered or (drop policies) handled; otherwise what the policy says. */
function modelOffer(m: Model, value: number): 'accepted' | 'dropped' | 'full' {
  const reader = m.readers.shift();
  if (reader !== undefined) {
    m.nexts[reader] = `value:${value}`;
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

function realOutcome(real: Real, reason: unknown, abortReason?: Error): 'closed' | 'overflow' | 'aborted' | 'error' {
  if (abortReason !== undefined && reason === abortReason) return 'aborted';
  if (reason instanceof ClosedError) return 'closed';
  if (reason instanceof OverflowError) return 'overflow';
  if (reason === real.closeError && reason !== undefined) return 'error';
  throw new Error(`unexpected rejection: ${String(reason)}`);
}

async function compare(m: Model, r: Real): Promise<void> {
  await nextMacrotask();
  expect(r.sends).toEqual(m.sends);
  expect(r.nexts).toEqual(m.nexts);
  expect(r.tries).toEqual(m.tries);
  expect(r.channel.size).toBe(m.buffer.length);
  expect(r.channel.closed).toBe(m.state !== 'open');
}

class SendCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly signal: 'none' | 'live' | 'aborted',
  ) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const value = m.nextValue++;
    const id = m.sends.length;
    // Model.
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
    if (this.signal === 'live') m.signalled.push(id);
    // Real.
    r.sends.push('pending');
    let signal: AbortSignal | undefined;
    let reason: Error | undefined;
    if (this.signal !== 'none') {
      const controller = new AbortController();
      reason = new Error(`abort ${id}`);
      r.reasons.set(id, reason);
      if (this.signal === 'aborted') controller.abort(reason);
      else r.controllers.set(id, controller);
      signal = controller.signal;
    }
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

class NextCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly consumer: number) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    const id = m.nexts.length;
    let expected: NextOutcome;
    if (m.buffer.length > 0) expected = `value:${modelTake(m)}`;
    else if (m.state === 'open') {
      if (m.readers.length >= PENDING_CAP) expected = 'overflow';
      else {
        m.readers.push(id);
        expected = 'pending';
      }
    } else if (m.state === 'closed' && m.hasError) expected = 'error';
    else expected = 'done';
    m.nexts.push(expected);
    m.consumerOf.push(this.consumer);
    r.nexts.push('pending');
    r.channel.next().then(
      (result) => {
        r.nexts[id] = result.done ? 'done' : `value:${result.value}`;
      },
      (error: unknown) => {
        r.nexts[id] = realOutcome(r, error) as NextOutcome;
      },
    );
    await compare(m, r);
  }
  toString(): string {
    return `next(consumer ${this.consumer})`;
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
        for (const id of m.readers) m.nexts[id] = this.withError ? 'error' : 'done';
        m.readers = [];
      }
    }
    if (this.withError) {
      const error = new Error('close');
      // Only the first close counts; later errors are never observed.
      r.closeError ??= error;
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

class ReturnCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly dispose: boolean) {}
  check(): boolean {
    return true;
  }
  async run(m: Model, r: Real): Promise<void> {
    if (m.state !== 'returned') {
      m.state = 'returned';
      m.hasError = false;
      m.buffer = [];
      modelRejectSenders(m);
      for (const id of m.readers) m.nexts[id] = 'done';
      m.readers = [];
    }
    if (this.dispose) await r.channel[Symbol.asyncDispose]();
    else expect(await r.channel.return()).toEqual({ value: undefined, done: true });
    await compare(m, r);
  }
  toString(): string {
    return this.dispose ? 'asyncDispose' : 'return';
  }
}

class AbortCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check(m: Model): boolean {
    return m.signalled.length > 0;
  }
  async run(m: Model, r: Real): Promise<void> {
    // Mostly a send that is still waiting (the interesting case); sometimes any
    // signalled send, settled or not (aborting a settled one must change nothing).
    const waiting = m.signalled.filter((id) => m.senders.some((s) => s.id === id));
    const from = this.pick % 3 !== 0 && waiting.length > 0 ? waiting : m.signalled;
    const id = from[this.pick % from.length]!;
    const index = m.senders.findIndex((s) => s.id === id);
    if (index >= 0) {
      m.senders.splice(index, 1);
      m.sends[id] = 'aborted';
    }
    r.controllers.get(id)!.abort(r.reasons.get(id));
    await compare(m, r);
  }
  toString(): string {
    return `abort(#${this.pick})`;
  }
}

const commandArbitraries = [
  fc.constantFrom('none', 'live', 'live', 'aborted').map((s) => new SendCommand(s as 'none' | 'live' | 'aborted')),
  fc.constant(new TrySendCommand()),
  fc.integer({ min: 0, max: 2 }).map((c) => new NextCommand(c)),
  fc.integer({ min: 0, max: 2 }).map((c) => new NextCommand(c)),
  fc.boolean().map((e) => new CloseCommand(e)),
  fc.boolean().map((d) => new ReturnCommand(d)),
  fc.nat().map((p) => new AbortCommand(p)),
];

// Close and return end the interesting part, so they are rarer than the rest;
// sends outnumber reads so that the buffer fills and senders have to wait.
const weighted = fc.oneof(
  { arbitrary: commandArbitraries[0]!, weight: 24 },
  { arbitrary: commandArbitraries[1]!, weight: 8 },
  { arbitrary: commandArbitraries[2]!, weight: 10 },
  { arbitrary: commandArbitraries[3]!, weight: 4 },
  { arbitrary: commandArbitraries[4]!, weight: 1 },
  { arbitrary: commandArbitraries[5]!, weight: 1 },
  { arbitrary: commandArbitraries[6]!, weight: 10 },
);

function setup(capacity: number, overflow: ChannelOverflow): { model: Model; real: Real } {
  return {
    model: {
      capacity,
      overflow,
      state: 'open',
      hasError: false,
      buffer: [],
      senders: [],
      readers: [],
      sends: [],
      nexts: [],
      consumerOf: [],
      tries: [],
      signalled: [],
      nextValue: 0,
    },
    real: {
      channel: new Channel<number>({ capacity, overflow }),
      sends: [],
      nexts: [],
      tries: [],
      controllers: new Map(),
      reasons: new Map(),
      closeError: undefined,
    },
  };
}

describe('Channel', () => {
  describe('semantics', () => {
    it('matches the array-queue model on random send/trySend/next/close/return/abort sequences', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 3 }),
          // 'wait' has the most states (waiting senders, aborts), so it gets half the runs.
          fc.constantFrom<ChannelOverflow>('wait', 'wait', 'wait', 'drop-oldest', 'drop-newest', 'error'),
          fc.commands([weighted], { maxCommands: 40, size: 'max' }),
          async (capacity, overflow, commands) => {
            await fc.asyncModelRun(() => setup(capacity, overflow), commands);
          },
        ),
        { numRuns: 1000 },
      );
    });

    it('delivers every accepted value to exactly one consumer, in order, under random microtask scheduling', async () => {
      const jitter = fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 64, maxLength: 64 });
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 4 }),
          fc.constantFrom<ChannelOverflow>('wait', 'drop-oldest', 'drop-newest', 'error'),
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 1, max: 3 }),
          jitter,
          async (capacity, overflow, producerCount, consumerCount, delays) => {
            const channel = new Channel<{ producer: number; index: number }>({ capacity, overflow });
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
            const received: Array<Array<{ producer: number; index: number }>> = [];
            const consumers = Array.from({ length: consumerCount }, async (_, c) => {
              const mine: Array<{ producer: number; index: number }> = [];
              received[c] = mine;
              for await (const item of channel) {
                mine.push(item);
                await pause();
              }
            });
            await Promise.all(producers);
            channel.close();
            await Promise.all(consumers);

            const all = received.flat().map((item) => `${item.producer}:${item.index}`);
            // Exactly one consumer per value.
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
              // Backpressure loses nothing.
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
