// Behaviour of Channel, one test per contract row (issue 8 item 4, issue 3
// section 4): bounded buffer and overflow policies; many consumers, each
// detaching alone; receive({ signal }); rendezvous (capacity 0); close drains;
// dispose drops; every signal joined through the shared abort hub.
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { Channel } from '../src/channel.js';
import { ClosedError, OverflowError } from '../src/errors.js';
import { listenerCount } from '../src/testing/index.js';

type Outcome<T> = { status: 'pending' } | { status: 'fulfilled'; value: T } | { status: 'rejected'; reason: unknown };

/** Observes a promise without awaiting it; read `.status` after a flush. */
function observe<T>(promise: Promise<T>): Outcome<T> {
  const outcome = { status: 'pending' } as Outcome<T>;
  promise.then(
    (value) => Object.assign(outcome, { status: 'fulfilled', value }),
    (reason: unknown) => Object.assign(outcome, { status: 'rejected', reason }),
  );
  return outcome;
}

async function flush(): Promise<void> {
  await nextMacrotask();
}

async function drain<T>(channel: Channel<T>): Promise<T[]> {
  const values: T[] = [];
  for await (const value of channel) values.push(value);
  return values;
}

const DONE = { value: undefined, done: true };
const item = <T>(value: T) => ({ value, done: false });

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('did not throw');
}

describe('Channel', () => {
  describe('validation', () => {
    it('throws a TypeError without options or without options.capacity', () => {
      // @ts-expect-error capacity is required: an unbounded channel does not compile
      expect(() => new Channel()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' }));
      // @ts-expect-error capacity is required
      expect(() => new Channel({})).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
      // @ts-expect-error capacity is required
      expect(() => new Channel({ overflow: 'wait' })).toThrow(/"options\.capacity"/);
      // @ts-expect-error options must be an object
      expect(() => new Channel(5)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
      // @ts-expect-error capacity must be a number
      expect(() => new Channel({ capacity: '5' })).toThrow(/"options\.capacity"/);
      expect(() => new Channel(null as never)).toThrow(/"options"/);
    });

    it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])(
      'throws a RangeError naming options.capacity for %s',
      (capacity) => {
        const error = caught(() => new Channel({ capacity }));
        expect(error).toBeInstanceOf(RangeError);
        expect(error).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
        expect((error as Error).message).toContain('"options.capacity"');
      },
    );

    it('accepts capacity 0 (a rendezvous channel)', () => {
      expect(new Channel({ capacity: 0 }).capacity).toBe(0);
      expect(new Channel({ capacity: 0, overflow: 'drop-newest' }).capacity).toBe(0);
      expect(new Channel({ capacity: 0, overflow: 'error' }).capacity).toBe(0);
    });

    it("rejects 'drop-oldest' with capacity 0 with ERR_INVALID_ARG_VALUE naming options.overflow", () => {
      const error = caught(() => new Channel({ capacity: 0, overflow: 'drop-oldest' }));
      expect(error).toBeInstanceOf(TypeError);
      expect(error).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
      expect((error as Error).message).toContain('"options.overflow"');
      expect((error as Error).message).toContain('capacity is 0');
    });

    it('rejects an unknown overflow policy with ERR_INVALID_ARG_VALUE naming options.overflow', () => {
      // @ts-expect-error not a policy
      expect(() => new Channel({ capacity: 1, overflow: 'block' })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', name: 'TypeError' }),
      );
      // @ts-expect-error not a policy
      expect(() => new Channel({ capacity: 1, overflow: 1 })).toThrow(/"options\.overflow"/);
    });

    it('rejects unknown constructor options, naming the option to write instead', () => {
      for (const [key, hint] of [
        ['size', 'capacity'],
        ['highWaterMark', 'capacity'],
        ['capacty', 'capacity'],
        ['policy', 'overflow'],
      ] as const) {
        const error = caught(() => new Channel({ capacity: 1, [key]: 1 } as never));
        expect(error).toBeInstanceOf(TypeError);
        expect(error).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
        expect((error as Error).message).toContain(`"${key}"`);
        expect((error as Error).message).toContain(`Did you mean "${hint}"?`);
      }
    });

    it('rejects a signal passed as the constructor options with a `{ signal }` hint', () => {
      const error = caught(() => new Channel(new AbortController().signal as never));
      expect(error).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' });
      expect((error as Error).message).toContain('{ signal }');
    });

    it('rejects (does not throw) bad send() options and accepts nothing', async () => {
      const channel = new Channel<number>({ capacity: 2 });
      const { signal } = new AbortController();
      // @ts-expect-error options must be an object
      const a = channel.send(1, 'fast');
      // @ts-expect-error signal must be an AbortSignal
      const b = channel.send(2, { signal: {} });
      // @ts-expect-error a signal goes in { signal }
      const c = channel.send(3, signal);
      // @ts-expect-error unknown option
      const d = channel.send(4, { timeout: 10 });
      await expect(a).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"options"') });
      await expect(b).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"options.signal"') });
      await expect(c).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('{ signal }') });
      await expect(d).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('Did you mean "signal"?') });
      expect(channel.size).toBe(0);
    });

    it('rejects (does not throw) bad receive() options and takes nothing', async () => {
      const channel = new Channel<number>({ capacity: 2 });
      await channel.send(1);
      const { signal } = new AbortController();
      // @ts-expect-error a signal goes in { signal }
      const a = channel.receive(signal);
      // @ts-expect-error unknown option
      const b = channel.receive({ sigal: signal });
      // @ts-expect-error signal must be an AbortSignal
      const c = channel.receive({ signal: 'soon' });
      await expect(a).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('{ signal }') });
      await expect(b).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('Did you mean "signal"?') });
      await expect(c).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"options.signal"') });
      expect(channel.size).toBe(1);
    });
  });

  describe('semantics', () => {
    it("defaults to overflow 'wait'", async () => {
      const channel = new Channel<number>({ capacity: 1 });
      await channel.send(1);
      const second = observe(channel.send(2));
      await flush();
      expect(second.status).toBe('pending');
      expect(channel.trySend(3)).toBe(false);
      await channel[Symbol.asyncDispose]();
    });

    it("resolves a send() under 'wait' once its value is accepted, waiting senders in order", async () => {
      const channel = new Channel<string>({ capacity: 2, overflow: 'wait' });
      await channel.send('a');
      await channel.send('b');
      const c = observe(channel.send('c'));
      const d = observe(channel.send('d'));
      await flush();
      expect([c.status, d.status]).toEqual(['pending', 'pending']);
      expect(channel.size).toBe(2);
      expect(await channel.receive()).toEqual(item('a'));
      await flush();
      expect([c.status, d.status]).toEqual(['fulfilled', 'pending']);
      expect(channel.size).toBe(2);
      expect(await channel.receive()).toEqual(item('b'));
      await flush();
      expect(d.status).toBe('fulfilled');
      channel.close();
      expect(await drain(channel)).toEqual(['c', 'd']);
    });

    it('hands a sent value to a waiting receiver at once', async () => {
      const channel = new Channel<number>({ capacity: 1 });
      const received = channel.receive();
      await channel.send(7);
      expect(channel.size).toBe(0);
      expect(await received).toEqual(item(7));
    });

    it('withdraws a waiting send on abort and rejects it with signal.reason', async () => {
      const channel = new Channel<string>({ capacity: 1 });
      await channel.send('a');
      const controller = new AbortController();
      const b = observe(channel.send('b', { signal: controller.signal }));
      const c = observe(channel.send('c'));
      expect(listenerCount(controller.signal, 'abort')).toBe(1);
      const reason = new Error('give up');
      controller.abort(reason);
      await flush();
      expect(b).toEqual({ status: 'rejected', reason });
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
      expect(c.status).toBe('pending');
      expect(await channel.receive()).toEqual(item('a'));
      expect(await channel.receive()).toEqual(item('c'));
      expect(c.status).toBe('fulfilled');
      expect(channel.size).toBe(0);
    });

    it('rejects a send with an already-aborted signal, sending nothing and attaching nothing', async () => {
      const channel = new Channel<string>({ capacity: 1 });
      const reason = new Error('already');
      const signal = AbortSignal.abort(reason);
      await expect(channel.send('x', { signal })).rejects.toBe(reason);
      expect(channel.size).toBe(0);
      expect(listenerCount(signal, 'abort')).toBe(0);
      // Even with a receiver waiting, the value is not delivered.
      const received = observe(channel.receive());
      await expect(channel.send('y', { signal })).rejects.toBe(reason);
      await flush();
      expect(received.status).toBe('pending');
      await channel[Symbol.asyncDispose]();
    });

    it("drops the oldest buffered value under 'drop-oldest'", async () => {
      const channel = new Channel<number>({ capacity: 3, overflow: 'drop-oldest' });
      for (let i = 1; i <= 5; i++) await channel.send(i);
      expect(channel.size).toBe(3);
      expect(channel.trySend(6)).toBe(true);
      channel.close();
      expect(await drain(channel)).toEqual([4, 5, 6]);
    });

    it("drops the value being sent under 'drop-newest'", async () => {
      const channel = new Channel<number>({ capacity: 3, overflow: 'drop-newest' });
      for (let i = 1; i <= 5; i++) await expect(channel.send(i)).resolves.toBeUndefined();
      expect(channel.trySend(6)).toBe(false);
      expect(channel.size).toBe(3);
      channel.close();
      expect(await drain(channel)).toEqual([1, 2, 3]);
    });

    it("rejects send() and throws from trySend() with OverflowError under 'error' when full", async () => {
      const channel = new Channel<number>({ capacity: 1, overflow: 'error' });
      await channel.send(1);
      await expect(channel.send(2)).rejects.toBeInstanceOf(OverflowError);
      expect(() => channel.trySend(3)).toThrow(OverflowError);
      await expect(channel.send(4)).rejects.toMatchObject({ code: 'ERR_LEAKPROOF_OVERFLOW' });
      expect(channel.size).toBe(1);
      channel.close();
      expect(await drain(channel)).toEqual([1]);
    });

    it('trySend() delivers, buffers, or returns false when it would have to wait', async () => {
      const channel = new Channel<number>({ capacity: 1 });
      const received = channel.receive();
      expect(channel.trySend(1)).toBe(true);
      expect(await received).toEqual(item(1));
      expect(channel.trySend(2)).toBe(true);
      expect(channel.trySend(3)).toBe(false);
      expect(channel.size).toBe(1);
      // A waiting sender keeps its place: trySend() does not jump the queue.
      const waiting = observe(channel.send(4));
      expect(await channel.receive()).toEqual(item(2));
      expect(channel.trySend(5)).toBe(false);
      await flush();
      expect(waiting.status).toBe('fulfilled');
      channel.close();
      expect(await drain(channel)).toEqual([4]);
    });

    it('close() rejects waiting sends with ClosedError and delivers the buffer before done', async () => {
      const channel = new Channel<number>({ capacity: 2 });
      await channel.send(1);
      await channel.send(2);
      const waiting = observe(channel.send(3));
      channel.close();
      channel.close(new Error('ignored: the first close counts'));
      await flush();
      expect(waiting.status).toBe('rejected');
      expect((waiting as { reason: unknown }).reason).toBeInstanceOf(ClosedError);
      expect((waiting as { reason: { cause?: unknown } }).reason.cause).toBeUndefined();
      expect(channel.size).toBe(2);
      expect(await channel.receive()).toEqual(item(1));
      expect(await channel.receive()).toEqual(item(2));
      expect(await channel.receive()).toEqual(DONE);
      expect(await channel.receive()).toEqual(DONE);
    });

    it('close(error) delivers the buffer, then rejects every receive with the error until dispose', async () => {
      const channel = new Channel<number>({ capacity: 2 });
      await channel.send(1);
      await channel.send(2);
      const waiting = observe(channel.send(3));
      const error = new Error('upstream failed');
      channel.close(error);
      await flush();
      // Sends refused because of close(error) carry the error as their cause.
      expect(waiting.status).toBe('rejected');
      const refused = (waiting as { reason: Error }).reason;
      expect(refused).toBeInstanceOf(ClosedError);
      expect(refused.cause).toBe(error);
      const late = await channel.send(4).catch((e: unknown) => e);
      expect(late).toBeInstanceOf(ClosedError);
      expect((late as Error).cause).toBe(error);
      expect(await channel.receive()).toEqual(item(1));
      const consumer = channel[Symbol.asyncIterator]();
      expect(await consumer.next()).toEqual(item(2));
      await expect(channel.receive()).rejects.toBe(error);
      await expect(consumer.next()).rejects.toBe(error);
      await expect(channel[Symbol.asyncIterator]().next()).rejects.toBe(error);
      await channel[Symbol.asyncDispose]();
      expect(await channel.receive()).toEqual(DONE);
    });

    it('closing settles every waiting receive: done after close(), the error after close(error)', async () => {
      const plain = new Channel<number>({ capacity: 1 });
      const a = [plain.receive(), plain[Symbol.asyncIterator]().next()];
      plain.close();
      expect(await Promise.all(a)).toEqual([DONE, DONE]);

      const failing = new Channel<number>({ capacity: 1 });
      const b = [observe(failing.receive()), observe(failing[Symbol.asyncIterator]().next())];
      const error = new Error('boom');
      failing.close(error);
      await flush();
      expect(b).toEqual([
        { status: 'rejected', reason: error },
        { status: 'rejected', reason: error },
      ]);
    });

    it('reports size, capacity and closed', async () => {
      const channel = new Channel<number>({ capacity: 3 });
      expect([channel.size, channel.capacity, channel.closed]).toEqual([0, 3, false]);
      await channel.send(1);
      await channel.send(2);
      expect(channel.size).toBe(2);
      await channel.receive();
      expect(channel.size).toBe(1);
      channel.close();
      expect([channel.size, channel.capacity, channel.closed]).toEqual([1, 3, true]);
      await channel.receive();
      expect(channel.size).toBe(0);
    });

    it('[Symbol.asyncDispose] drops the buffer and settles every waiter', async () => {
      const settled: Array<Outcome<unknown>> = [];
      {
        await using channel = new Channel<number>({ capacity: 1 });
        await channel.send(1);
        settled.push(observe(channel.send(2)));
      }
      await flush();
      expect(settled[0]?.status).toBe('rejected');
      expect((settled[0] as { reason: unknown }).reason).toBeInstanceOf(ClosedError);

      const channel = new Channel<number>({ capacity: 1 });
      await channel.send(1);
      await expect(channel[Symbol.asyncDispose]()).resolves.toBeUndefined();
      expect([channel.size, channel.closed]).toEqual([0, true]);
      expect(await channel.receive()).toEqual(DONE);
      await expect(channel.send(2)).rejects.toBeInstanceOf(ClosedError);

      const empty = new Channel<number>({ capacity: 1 });
      const reads = [empty.receive(), empty[Symbol.asyncIterator]().next()];
      await empty[Symbol.asyncDispose]();
      expect(await Promise.all(reads)).toEqual([DONE, DONE]);
    });

    it('allows 1024 waiting sends; the 1025th rejects with OverflowError', async () => {
      const channel = new Channel<number>({ capacity: 1 });
      await channel.send(0);
      const waiting = Array.from({ length: 1024 }, (_, i) => observe(channel.send(i + 1)));
      await expect(channel.send(9999)).rejects.toBeInstanceOf(OverflowError);
      await flush();
      expect(waiting.every((o) => o.status === 'pending')).toBe(true);
      // Room frees up as values are taken.
      await channel.receive();
      const after = observe(channel.send(1025));
      channel.close();
      await flush();
      expect(after.status).toBe('rejected');
      expect((await drain(channel)).length).toBe(1);
    });

    it('allows 1024 waiting receives across receive() and consumers; the 1025th rejects with OverflowError', async () => {
      const channel = new Channel<number>({ capacity: 1 });
      const consumer = channel[Symbol.asyncIterator]();
      const reads = Array.from({ length: 1024 }, (_, i) => (i % 2 ? channel.receive() : consumer.next()));
      await expect(channel.receive()).rejects.toMatchObject({ name: 'OverflowError' });
      await expect(consumer.next()).rejects.toMatchObject({ name: 'OverflowError' });
      await channel.send(1);
      const extra = channel.receive();
      channel.close();
      const results = await Promise.all([...reads, extra]);
      expect(results[0]).toEqual(item(1));
      expect(results.slice(1).every((r) => r.done)).toBe(true);
    });

    it('sending on a closed channel rejects send() and throws from trySend() with ClosedError', async () => {
      const channel = new Channel<number>({ capacity: 1 });
      channel.close();
      await expect(channel.send(1)).rejects.toMatchObject({ code: 'ERR_LEAKPROOF_CLOSED' });
      expect(() => channel.trySend(1)).toThrow(ClosedError);
      const disposed = new Channel<number>({ capacity: 1 });
      await disposed[Symbol.asyncDispose]();
      expect(() => disposed.trySend(1)).toThrow(ClosedError);
    });

    it('grows and shrinks its ring through wrap-around without losing order', async () => {
      const channel = new Channel<number>({ capacity: 100, overflow: 'drop-oldest' });
      const expected: number[] = [];
      let sent = 0;
      // Interleave bursts and partial drains so the ring wraps, doubles and halves.
      for (const [burst, take] of [[37, 20], [90, 85], [3, 1], [150, 60], [10, 45], [64, 64]] as const) {
        for (let i = 0; i < burst; i++) {
          channel.trySend(sent);
          expected.push(sent++);
          if (expected.length > 100) expected.shift();
        }
        for (let i = 0; i < take && expected.length > 0; i++) {
          expect(await channel.receive()).toEqual(item(expected.shift()));
        }
        expect(channel.size).toBe(expected.length);
      }
    });
  });

  describe('consumers', () => {
    it('gives every for-await loop a consumer of its own', () => {
      const channel = new Channel<number>({ capacity: 1 });
      const a = channel[Symbol.asyncIterator]();
      const b = channel[Symbol.asyncIterator]();
      expect(a).not.toBe(channel);
      expect(a).not.toBe(b);
      expect(a[Symbol.asyncIterator]()).toBe(a);
    });

    it('detaches only this consumer on break; the others keep receiving and the channel stays open', async () => {
      const channel = new Channel<number>({ capacity: 4 });
      const quitter: number[] = [];
      const quitting = (async () => {
        for await (const value of channel) {
          quitter.push(value);
          break;
        }
      })();
      const stayer = drain(channel);
      for (let i = 1; i <= 10; i++) await channel.send(i);
      await quitting;
      expect(channel.closed).toBe(false);
      await channel.send(11);
      channel.close();
      const stayed = await stayer;
      expect(quitter).toHaveLength(1);
      expect([...quitter, ...stayed].sort((a, b) => a - b)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    });

    it('detaches only this consumer when its loop body throws; waiting sends are not rejected', async () => {
      const channel = new Channel<number>({ capacity: 1 });
      await channel.send(1);
      const waiting = observe(channel.send(2));
      const failure = new Error('worker failed');
      const failed = (async () => {
        for await (const _ of channel) throw failure;
      })();
      await expect(failed).rejects.toBe(failure);
      await flush();
      expect(waiting.status).toBe('fulfilled');
      expect(channel.closed).toBe(false);
      expect(await channel.receive()).toEqual(item(2));
    });

    it('resolves a detached consumer’s waiting next() done without taking a value', async () => {
      const channel = new Channel<string>({ capacity: 1 });
      const consumer = channel[Symbol.asyncIterator]();
      const other = channel[Symbol.asyncIterator]();
      const abandoned = consumer.next();
      const second = other.next();
      expect(await consumer.return()).toEqual(DONE);
      expect(await abandoned).toEqual(DONE);
      // The value goes to the consumer still waiting, not to the detached one.
      await channel.send('job');
      expect(await second).toEqual(item('job'));
      // With nobody waiting, it is buffered for a later receiver.
      await channel.send('next job');
      expect(channel.size).toBe(1);
      expect(await consumer.next()).toEqual(DONE);
      expect(await channel.receive()).toEqual(item('next job'));
    });

    it('throw() and dispose detach a consumer too; throw() rejects with its argument', async () => {
      const channel = new Channel<number>({ capacity: 2 });
      const thrown = channel[Symbol.asyncIterator]();
      const pending = thrown.next();
      const error = new Error('stop');
      await expect(thrown.throw(error)).rejects.toBe(error);
      expect(await pending).toEqual(DONE);
      {
        await using disposed = channel[Symbol.asyncIterator]();
        void disposed;
      }
      await channel.send(1);
      expect(channel.size).toBe(1);
      expect(await thrown.next()).toEqual(DONE);
      expect(await channel.receive()).toEqual(item(1));
    });

    it('serves waiting consumers and receives first come, first served', async () => {
      const channel = new Channel<number>({ capacity: 1 });
      const a = channel[Symbol.asyncIterator]();
      const b = channel[Symbol.asyncIterator]();
      const order = [a.next(), channel.receive(), b.next(), a.next()];
      for (let i = 1; i <= 4; i++) await channel.send(i);
      expect(await Promise.all(order)).toEqual([1, 2, 3, 4].map(item));
    });

    it('lets every consumer drain the buffered values after close(), then end', async () => {
      const channel = new Channel<number>({ capacity: 20 });
      for (let i = 0; i < 20; i++) await channel.send(i);
      channel.close();
      const received = await Promise.all([drain(channel), drain(channel), drain(channel)]);
      expect(received.flat().sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      for (const values of received) expect(values).toEqual([...values].sort((x, y) => x - y));
    });

    it('does not end when its last consumer detaches', async () => {
      const channel = new Channel<number>({ capacity: 1 });
      await channel.send(0);
      for await (const _ of channel) break;
      expect(channel.closed).toBe(false);
      await channel.send(1);
      expect(await channel.receive()).toEqual(item(1));
    });
  });

  describe('receive({ signal })', () => {
    it('withdraws a waiting receive on abort without taking a value, rejecting with signal.reason', async () => {
      const channel = new Channel<string>({ capacity: 1 });
      const controller = new AbortController();
      const abandoned = observe(channel.receive({ signal: controller.signal }));
      const other = channel.receive();
      const reason = new Error('timeout');
      controller.abort(reason);
      await flush();
      expect(abandoned).toEqual({ status: 'rejected', reason });
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
      await channel.send('a');
      expect(await other).toEqual(item('a'));
      await channel.send('b');
      expect(channel.size).toBe(1);
    });

    it('takes nothing with an already-aborted signal, even when a value is buffered', async () => {
      const channel = new Channel<number>({ capacity: 1 });
      await channel.send(1);
      const reason = new Error('already');
      const signal = AbortSignal.abort(reason);
      await expect(channel.receive({ signal })).rejects.toBe(reason);
      expect(channel.size).toBe(1);
      expect(listenerCount(signal, 'abort')).toBe(0);
    });

    it('resolves with a value at once when one is buffered, attaching nothing', async () => {
      const channel = new Channel<number>({ capacity: 1 });
      await channel.send(1);
      const { signal } = new AbortController();
      expect(await channel.receive({ signal })).toEqual(item(1));
      expect(listenerCount(signal, 'abort')).toBe(0);
    });

    it('leaves the signal once the receive gets its value', async () => {
      const channel = new Channel<number>({ capacity: 1 });
      const { signal } = new AbortController();
      const received = channel.receive({ signal });
      expect(listenerCount(signal, 'abort')).toBe(1);
      await channel.send(5);
      expect(await received).toEqual(item(5));
      expect(listenerCount(signal, 'abort')).toBe(0);
    });

    it('resolves done on a closed, drained channel (Go: "not ok"), not an error', async () => {
      const channel = new Channel<number>({ capacity: 1 });
      await channel.send(1);
      channel.close();
      const { signal } = new AbortController();
      expect(await channel.receive({ signal })).toEqual(item(1));
      expect(await channel.receive({ signal })).toEqual(DONE);
    });
  });

  describe('rendezvous (capacity 0)', () => {
    it('completes a send only when a receiver takes the value', async () => {
      const channel = new Channel<string>({ capacity: 0 });
      const sent = observe(channel.send('hello'));
      await flush();
      expect(sent.status).toBe('pending');
      expect(channel.size).toBe(0);
      expect(await channel.receive()).toEqual(item('hello'));
      await flush();
      expect(sent.status).toBe('fulfilled');
    });

    it('completes a send at once when a receiver is already waiting', async () => {
      const channel = new Channel<string>({ capacity: 0 });
      const received = channel.receive();
      await channel.send('now');
      expect(await received).toEqual(item('now'));
    });

    it('hands values from waiting senders to receivers in order', async () => {
      const channel = new Channel<number>({ capacity: 0 });
      const sends = [1, 2, 3].map((i) => observe(channel.send(i)));
      const consumer = channel[Symbol.asyncIterator]();
      expect(await consumer.next()).toEqual(item(1));
      await flush();
      expect(sends.map((s) => s.status)).toEqual(['fulfilled', 'pending', 'pending']);
      expect(await channel.receive()).toEqual(item(2));
      expect(await consumer.next()).toEqual(item(3));
    });

    it('trySend() succeeds only with a receiver waiting', async () => {
      const channel = new Channel<number>({ capacity: 0 });
      expect(channel.trySend(1)).toBe(false);
      const received = channel.receive();
      expect(channel.trySend(2)).toBe(true);
      expect(await received).toEqual(item(2));
    });

    it("drops a value nobody waits for under 'drop-newest', and rejects it under 'error'", async () => {
      const dropping = new Channel<number>({ capacity: 0, overflow: 'drop-newest' });
      await expect(dropping.send(1)).resolves.toBeUndefined();
      const received = dropping.receive();
      await dropping.send(2);
      expect(await received).toEqual(item(2));

      const strict = new Channel<number>({ capacity: 0, overflow: 'error' });
      await expect(strict.send(1)).rejects.toBeInstanceOf(OverflowError);
      expect(() => strict.trySend(1)).toThrow(OverflowError);
      const waiting = strict.receive();
      await strict.send(3);
      expect(await waiting).toEqual(item(3));
    });

    it('withdraws a waiting rendezvous send on abort, so no receiver gets its value', async () => {
      const channel = new Channel<number>({ capacity: 0 });
      const controller = new AbortController();
      const reason = new Error('late');
      const withdrawn = observe(channel.send(1, { signal: controller.signal }));
      const kept = observe(channel.send(2));
      controller.abort(reason);
      expect(await channel.receive()).toEqual(item(2));
      await flush();
      expect(withdrawn).toEqual({ status: 'rejected', reason });
      expect(kept.status).toBe('fulfilled');
    });

    it('rejects waiting rendezvous sends on close() and then ends receives', async () => {
      const channel = new Channel<number>({ capacity: 0 });
      const waiting = observe(channel.send(1));
      channel.close();
      await flush();
      expect((waiting as { reason: unknown }).reason).toBeInstanceOf(ClosedError);
      expect(await channel.receive()).toEqual(DONE);
    });
  });

  describe('cleanup', () => {
    afterEach(() => {
      delete (globalThis as { reportError?: unknown }).reportError;
    });

    it('removes waiting sends’ and receives’ abort listener on close() and dispose', async () => {
      const { signal } = new AbortController();
      for (const end of ['close', 'dispose'] as const) {
        const full = new Channel<number>({ capacity: 1 });
        await full.send(0, { signal });
        const waits = [1, 2, 3].map((i) => full.send(i, { signal }).catch((e: unknown) => e));
        const empty = new Channel<number>({ capacity: 1 });
        const reads = [1, 2, 3].map(() => empty.receive({ signal }));
        expect(listenerCount(signal, 'abort')).toBe(1);
        if (end === 'close') {
          full.close();
          empty.close();
        } else {
          await full[Symbol.asyncDispose]();
          await empty[Symbol.asyncDispose]();
        }
        expect(listenerCount(signal, 'abort')).toBe(0);
        for (const error of await Promise.all(waits)) expect(error).toBeInstanceOf(ClosedError);
        expect(await Promise.all(reads)).toEqual([DONE, DONE, DONE]);
      }
    });

    it('never attaches a listener for sends that do not wait', async () => {
      const { signal } = new AbortController();
      for (const overflow of ['drop-oldest', 'drop-newest', 'error'] as const) {
        const channel = new Channel<number>({ capacity: 1, overflow });
        await channel.send(1, { signal });
        await channel.send(2, { signal }).catch(() => {});
        expect(listenerCount(signal, 'abort')).toBe(0);
      }
    });

    it('keeps one abort listener for 10,000 waiting sends and 10,000 waiting receives on one signal, without a warning, and rejects them all with signal.reason', async () => {
      const warnings: Error[] = [];
      const onWarning = (warning: Error): void => void warnings.push(warning);
      process.on('warning', onWarning);
      try {
        const controller = new AbortController();
        const { signal } = controller;
        // At most 1024 of each may wait on one channel, so they are spread
        // over ten channels of each kind, 1,000 waiters each.
        const outcomes: Array<Promise<unknown>> = [];
        const channels: Array<Channel<number>> = [];
        for (let c = 0; c < 10; c++) {
          const full = new Channel<number>({ capacity: 1 });
          full.trySend(-1);
          const empty = new Channel<number>({ capacity: 1 });
          channels.push(full, empty);
          for (let i = 0; i < 1000; i++) {
            outcomes.push(full.send(i, { signal }).then(() => 'sent', (e: unknown) => e));
            outcomes.push(empty.receive({ signal }).then(() => 'received', (e: unknown) => e));
          }
        }
        expect(outcomes).toHaveLength(20_000);
        expect(listenerCount(signal, 'abort')).toBe(1);
        const reason = new Error('shutdown');
        controller.abort(reason);
        const settled = await Promise.all(outcomes);
        expect(settled.every((outcome) => outcome === reason)).toBe(true);
        expect(listenerCount(signal, 'abort')).toBe(0);
        // Nothing was taken or sent: each full channel still holds its one value.
        expect(channels.map((channel) => channel.size)).toEqual(channels.map((_, i) => (i % 2 === 0 ? 1 : 0)));
        await flush();
        expect(warnings.map((warning) => warning.name)).toEqual([]);
      } finally {
        process.off('warning', onWarning);
      }
    });

    it('withdraws nothing on a synthetic abort event while the signal is not aborted', async () => {
      const controller = new AbortController();
      const { signal } = controller;
      const full = new Channel<number>({ capacity: 1 });
      await full.send(0);
      const sending = observe(full.send(1, { signal }));
      const empty = new Channel<number>({ capacity: 1 });
      const receiving = observe(empty.receive({ signal }));
      signal.dispatchEvent(new Event('abort'));
      await flush();
      expect([sending.status, receiving.status]).toEqual(['pending', 'pending']);
      expect(listenerCount(signal, 'abort')).toBe(1);
      expect(await full.receive()).toEqual(item(0));
      await empty.send(2);
      await flush();
      expect(sending.status).toBe('fulfilled');
      expect(receiving).toEqual({ status: 'fulfilled', value: item(2) });
      expect(listenerCount(signal, 'abort')).toBe(0);
    });

    it('rejects with the error, queueing nothing, when a duck-typed signal’s addEventListener throws', async () => {
      const failure = new Error('addEventListener failed');
      const signal = {
        aborted: false,
        reason: undefined,
        addEventListener() {
          throw failure;
        },
        removeEventListener() {},
      } as unknown as AbortSignal;
      const channel = new Channel<number>({ capacity: 1 });
      await expect(channel.receive({ signal })).rejects.toBe(failure);
      await channel.send(1);
      await expect(channel.send(2, { signal })).rejects.toBe(failure);
      expect(await channel.receive()).toEqual(item(1));
      expect(channel.size).toBe(0);
    });

    it('still settles a receive, and reports the error, when a duck-typed signal’s removeEventListener throws', async () => {
      const reported: unknown[] = [];
      (globalThis as { reportError?: (error: unknown) => void }).reportError = (error) => reported.push(error);
      const failure = new Error('removeEventListener failed');
      const target = new EventTarget();
      const signal = {
        aborted: false,
        reason: undefined,
        addEventListener: target.addEventListener.bind(target),
        removeEventListener() {
          throw failure;
        },
      } as unknown as AbortSignal;
      const channel = new Channel<number>({ capacity: 1 });
      const received = observe(channel.receive({ signal }));
      const other = observe(channel.receive({ signal }));
      channel.close();
      await flush();
      expect([received, other]).toEqual([
        { status: 'fulfilled', value: DONE },
        { status: 'fulfilled', value: DONE },
      ]);
      expect(reported.length).toBeGreaterThan(0);
      expect(reported.every((error) => error === failure)).toBe(true);
    });
  });
});
