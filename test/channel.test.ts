// Behaviour of Channel, one test per contract row (issue 3, section 4):
//  1. `capacity` is required and validated; `overflow` is one of four policies, default 'wait'.
//  2. 'wait': send() resolves once the value is accepted (backpressure), waiting senders in order.
//  3. A waiting send's signal withdraws the value and rejects with signal.reason; already aborted sends nothing.
//  4. 'drop-oldest' drops the oldest buffered value.
//  5. 'drop-newest' drops the value being sent.
//  6. 'error' rejects send() and throws from trySend() with OverflowError.
//  7. trySend() accepts without waiting or reports false.
//  8. close() is idempotent, rejects waiting sends with ClosedError and drains the buffer before done.
//  9. close(error) delivers the buffer, then rejects every next() with the error until return().
// 10. Concurrent next() calls: each value to exactly one call, in order.
// 11. Closing settles every waiting next() (done, or the error).
// 12. return() drops the buffer and settles every waiting send and next; for-await break calls it.
// 13. size, capacity, closed.
// 14. [Symbol.asyncDispose] is return().
// 15. At most 1024 waiting sends and 1024 waiting next() calls; one more is an OverflowError.
// 16. Sending on a closed channel: send() rejects, trySend() throws, with ClosedError.
import { setMaxListeners } from 'node:events';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
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

describe('Channel', () => {
  describe('validation', () => {
    it('1. throws a TypeError without options or without options.capacity', () => {
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

    it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])(
      '1. throws a RangeError naming options.capacity for %s',
      (capacity) => {
        let caught: unknown;
        try {
          new Channel({ capacity });
        } catch (error) {
          caught = error;
        }
        expect(caught).toBeInstanceOf(RangeError);
        expect(caught).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
        expect((caught as Error).message).toContain('"options.capacity"');
      },
    );

    it('1. rejects an unknown overflow policy with ERR_INVALID_ARG_VALUE naming options.overflow', () => {
      // @ts-expect-error not a policy
      expect(() => new Channel({ capacity: 1, overflow: 'block' })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', name: 'TypeError' }),
      );
      // @ts-expect-error not a policy
      expect(() => new Channel({ capacity: 1, overflow: 1 })).toThrow(/"options\.overflow"/);
    });

    it('rejects (does not throw) bad send() options and accepts nothing', async () => {
      const channel = new Channel<number>({ capacity: 2 });
      // @ts-expect-error options must be an object
      const a = channel.send(1, 'fast');
      // @ts-expect-error signal must be an AbortSignal
      const b = channel.send(2, { signal: {} });
      await expect(a).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"options"') });
      await expect(b).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"options.signal"') });
      expect(channel.size).toBe(0);
    });
  });

  describe('semantics', () => {
    it("1. defaults to overflow 'wait'", async () => {
      const channel = new Channel<number>({ capacity: 1 });
      await channel.send(1);
      const second = observe(channel.send(2));
      await flush();
      expect(second.status).toBe('pending');
      expect(channel.trySend(3)).toBe(false);
      await channel.return();
    });

    it("2. 'wait': send() resolves once its value is accepted, waiting senders in order", async () => {
      const channel = new Channel<string>({ capacity: 2, overflow: 'wait' });
      await channel.send('a');
      await channel.send('b');
      const c = observe(channel.send('c'));
      const d = observe(channel.send('d'));
      await flush();
      expect([c.status, d.status]).toEqual(['pending', 'pending']);
      expect(channel.size).toBe(2);
      expect(await channel.next()).toEqual({ value: 'a', done: false });
      await flush();
      expect([c.status, d.status]).toEqual(['fulfilled', 'pending']);
      expect(channel.size).toBe(2);
      expect(await channel.next()).toEqual({ value: 'b', done: false });
      await flush();
      expect(d.status).toBe('fulfilled');
      channel.close();
      expect(await drain(channel)).toEqual(['c', 'd']);
    });

    it('2. a send() with a waiting consumer hands the value over at once', async () => {
      const channel = new Channel<number>({ capacity: 1 });
      const next = channel.next();
      await channel.send(7);
      expect(channel.size).toBe(0);
      expect(await next).toEqual({ value: 7, done: false });
    });

    it('3. aborting a waiting send withdraws its value and rejects with signal.reason', async () => {
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
      expect(await channel.next()).toEqual({ value: 'a', done: false });
      expect(await channel.next()).toEqual({ value: 'c', done: false });
      expect(c.status).toBe('fulfilled');
      expect(channel.size).toBe(0);
    });

    it('3. an already-aborted signal rejects with its reason, sends nothing and attaches nothing', async () => {
      const channel = new Channel<string>({ capacity: 1 });
      const reason = new Error('already');
      const signal = AbortSignal.abort(reason);
      await expect(channel.send('x', { signal })).rejects.toBe(reason);
      expect(channel.size).toBe(0);
      expect(listenerCount(signal, 'abort')).toBe(0);
      // Even with a consumer waiting, the value is not delivered.
      const next = observe(channel.next());
      await expect(channel.send('y', { signal })).rejects.toBe(reason);
      await flush();
      expect(next.status).toBe('pending');
      await channel.return();
    });

    it("4. 'drop-oldest' drops the oldest buffered value", async () => {
      const channel = new Channel<number>({ capacity: 3, overflow: 'drop-oldest' });
      for (let i = 1; i <= 5; i++) await channel.send(i);
      expect(channel.size).toBe(3);
      expect(channel.trySend(6)).toBe(true);
      channel.close();
      expect(await drain(channel)).toEqual([4, 5, 6]);
    });

    it("5. 'drop-newest' drops the value being sent", async () => {
      const channel = new Channel<number>({ capacity: 3, overflow: 'drop-newest' });
      for (let i = 1; i <= 5; i++) await expect(channel.send(i)).resolves.toBeUndefined();
      expect(channel.trySend(6)).toBe(false);
      expect(channel.size).toBe(3);
      channel.close();
      expect(await drain(channel)).toEqual([1, 2, 3]);
    });

    it("6. 'error' rejects send() and throws from trySend() with OverflowError when full", async () => {
      const channel = new Channel<number>({ capacity: 1, overflow: 'error' });
      await channel.send(1);
      await expect(channel.send(2)).rejects.toBeInstanceOf(OverflowError);
      expect(() => channel.trySend(3)).toThrow(OverflowError);
      await expect(channel.send(4)).rejects.toMatchObject({ code: 'ERR_LEAKPROOF_OVERFLOW' });
      expect(channel.size).toBe(1);
      channel.close();
      expect(await drain(channel)).toEqual([1]);
    });

    it('7. trySend() delivers, buffers, or returns false when it would have to wait', async () => {
      const channel = new Channel<number>({ capacity: 1 });
      const next = channel.next();
      expect(channel.trySend(1)).toBe(true);
      expect(await next).toEqual({ value: 1, done: false });
      expect(channel.trySend(2)).toBe(true);
      expect(channel.trySend(3)).toBe(false);
      expect(channel.size).toBe(1);
      // A waiting sender keeps its place: trySend() does not jump the queue.
      const waiting = observe(channel.send(4));
      expect(await channel.next()).toEqual({ value: 2, done: false });
      expect(channel.trySend(5)).toBe(false);
      await flush();
      expect(waiting.status).toBe('fulfilled');
      channel.close();
      expect(await drain(channel)).toEqual([4]);
    });

    it('8. close() rejects waiting sends with ClosedError and delivers the buffer before done', async () => {
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
      expect(await channel.next()).toEqual({ value: 1, done: false });
      expect(await channel.next()).toEqual({ value: 2, done: false });
      expect(await channel.next()).toEqual({ value: undefined, done: true });
      expect(await channel.next()).toEqual({ value: undefined, done: true });
    });

    it('9. close(error) delivers the buffer, then rejects every next() with the error until return()', async () => {
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
      expect(await channel.next()).toEqual({ value: 1, done: false });
      expect(await channel.next()).toEqual({ value: 2, done: false });
      await expect(channel.next()).rejects.toBe(error);
      await expect(channel.next()).rejects.toBe(error);
      expect(await channel.return()).toEqual({ value: undefined, done: true });
      expect(await channel.next()).toEqual({ value: undefined, done: true });
    });

    it('10. concurrent next() calls each receive one value, in order', async () => {
      const channel = new Channel<number>({ capacity: 4 });
      const nexts = [channel.next(), channel.next(), channel.next()];
      await channel.send(1);
      expect(channel.trySend(2)).toBe(true);
      await channel.send(3);
      await channel.send(4);
      expect(await Promise.all(nexts)).toEqual([1, 2, 3].map((value) => ({ value, done: false })));
      expect(channel.size).toBe(1);
      // Several for-await consumers share the values between them.
      const consumers = [drain(channel), drain(channel), drain(channel)];
      for (let i = 5; i <= 20; i++) await channel.send(i);
      channel.close();
      const received = await Promise.all(consumers);
      const all = received.flat().sort((a, b) => a - b);
      expect(all).toEqual(Array.from({ length: 17 }, (_, i) => i + 4));
      for (const values of received) expect(values).toEqual([...values].sort((a, b) => a - b));
    });

    it('11. closing settles every waiting next(): done after close(), the error after close(error)', async () => {
      const plain = new Channel<number>({ capacity: 1 });
      const a = [plain.next(), plain.next()];
      plain.close();
      expect(await Promise.all(a)).toEqual([
        { value: undefined, done: true },
        { value: undefined, done: true },
      ]);

      const failing = new Channel<number>({ capacity: 1 });
      const b = [observe(failing.next()), observe(failing.next())];
      const error = new Error('boom');
      failing.close(error);
      await flush();
      expect(b).toEqual([
        { status: 'rejected', reason: error },
        { status: 'rejected', reason: error },
      ]);
    });

    it('12. return() drops the buffer, rejects waiting sends and resolves waiting next() calls', async () => {
      const full = new Channel<number>({ capacity: 1 });
      await full.send(1);
      const waiting = observe(full.send(2));
      expect(await full.return()).toEqual({ value: undefined, done: true });
      await flush();
      expect(waiting.status).toBe('rejected');
      expect((waiting as { reason: unknown }).reason).toBeInstanceOf(ClosedError);
      expect(full.size).toBe(0);
      expect(full.closed).toBe(true);
      expect(await full.next()).toEqual({ value: undefined, done: true });
      await expect(full.return()).resolves.toEqual({ value: undefined, done: true });

      const empty = new Channel<number>({ capacity: 1 });
      const reads = [empty.next(), empty.next()];
      await empty.return();
      expect(await Promise.all(reads)).toEqual([
        { value: undefined, done: true },
        { value: undefined, done: true },
      ]);
    });

    it('12. for-await break returns the channel: later sends are refused', async () => {
      const channel = new Channel<number>({ capacity: 4 });
      for (let i = 0; i < 4; i++) await channel.send(i);
      for await (const value of channel) {
        if (value === 1) break;
      }
      expect(channel.closed).toBe(true);
      expect(channel.size).toBe(0);
      await expect(channel.send(9)).rejects.toBeInstanceOf(ClosedError);
    });

    it('13. reports size, capacity and closed', async () => {
      const channel = new Channel<number>({ capacity: 3 });
      expect([channel.size, channel.capacity, channel.closed]).toEqual([0, 3, false]);
      await channel.send(1);
      await channel.send(2);
      expect(channel.size).toBe(2);
      await channel.next();
      expect(channel.size).toBe(1);
      channel.close();
      expect([channel.size, channel.capacity, channel.closed]).toEqual([1, 3, true]);
      await channel.next();
      expect(channel.size).toBe(0);
    });

    it('14. [Symbol.asyncDispose] drops the buffer and settles waiters, like return()', async () => {
      const settled: Array<Outcome<void>> = [];
      {
        await using channel = new Channel<number>({ capacity: 1 });
        await channel.send(1);
        settled.push(observe(channel.send(2)));
      }
      await flush();
      expect(settled[0]?.status).toBe('rejected');

      const channel = new Channel<number>({ capacity: 1 });
      await channel.send(1);
      await expect(channel[Symbol.asyncDispose]()).resolves.toBeUndefined();
      expect(channel.size).toBe(0);
      expect(await channel.next()).toEqual({ value: undefined, done: true });
    });

    it('15. allows 1024 waiting sends; the 1025th rejects with OverflowError', async () => {
      const channel = new Channel<number>({ capacity: 1 });
      await channel.send(0);
      const waiting = Array.from({ length: 1024 }, (_, i) => observe(channel.send(i + 1)));
      await expect(channel.send(9999)).rejects.toBeInstanceOf(OverflowError);
      await flush();
      expect(waiting.every((o) => o.status === 'pending')).toBe(true);
      // Room frees up as values are taken.
      await channel.next();
      const after = observe(channel.send(1025));
      channel.close();
      await flush();
      expect(after.status).toBe('rejected');
      expect((await drain(channel)).length).toBe(1);
    });

    it('15. allows 1024 waiting next() calls; the 1025th rejects with OverflowError', async () => {
      const channel = new Channel<number>({ capacity: 1 });
      const reads = Array.from({ length: 1024 }, () => channel.next());
      await expect(channel.next()).rejects.toMatchObject({ name: 'OverflowError' });
      await channel.send(1);
      const extra = channel.next();
      channel.close();
      const results = await Promise.all([...reads, extra]);
      expect(results[0]).toEqual({ value: 1, done: false });
      expect(results.slice(1).every((r) => r.done)).toBe(true);
    });

    it('16. sending on a closed channel rejects send() and throws from trySend() with ClosedError', async () => {
      const channel = new Channel<number>({ capacity: 1 });
      channel.close();
      await expect(channel.send(1)).rejects.toMatchObject({ code: 'ERR_LEAKPROOF_CLOSED' });
      expect(() => channel.trySend(1)).toThrow(ClosedError);
      const returned = new Channel<number>({ capacity: 1 });
      await returned.return();
      expect(() => returned.trySend(1)).toThrow(ClosedError);
    });

    it('is its own async iterator', () => {
      const channel = new Channel<number>({ capacity: 1 });
      expect(channel[Symbol.asyncIterator]()).toBe(channel);
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
          expect(await channel.next()).toEqual({ value: expected.shift(), done: false });
        }
        expect(channel.size).toBe(expected.length);
      }
    });
  });

  describe('cleanup', () => {
    it('removes a waiting send’s abort listener when the send is accepted', async () => {
      const channel = new Channel<number>({ capacity: 1 });
      const { signal } = new AbortController();
      await channel.send(1, { signal });
      expect(listenerCount(signal, 'abort')).toBe(0);
      const waiting = channel.send(2, { signal });
      expect(listenerCount(signal, 'abort')).toBe(1);
      await channel.next();
      await waiting;
      expect(listenerCount(signal, 'abort')).toBe(0);
    });

    it('removes waiting sends’ abort listeners on close(), return() and dispose', async () => {
      const { signal } = new AbortController();
      for (const end of ['close', 'return', 'dispose'] as const) {
        const channel = new Channel<number>({ capacity: 1 });
        await channel.send(0, { signal });
        const waits = [1, 2, 3].map((i) => channel.send(i, { signal }).catch((e: unknown) => e));
        expect(listenerCount(signal, 'abort')).toBe(3);
        if (end === 'close') channel.close();
        else if (end === 'return') await channel.return();
        else await channel[Symbol.asyncDispose]();
        expect(listenerCount(signal, 'abort')).toBe(0);
        for (const error of await Promise.all(waits)) expect(error).toBeInstanceOf(ClosedError);
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

    it('holds one listener per waiting send on a long-lived signal, and none once they are accepted', async () => {
      const channel = new Channel<number>({ capacity: 1 });
      await channel.send(0);
      const { signal } = new AbortController();
      setMaxListeners(100, signal);
      const waits = Array.from({ length: 50 }, (_, i) => channel.send(i + 1, { signal }));
      expect(listenerCount(signal, 'abort')).toBe(50);
      for (let i = 0; i < 25; i++) await channel.next();
      expect(listenerCount(signal, 'abort')).toBe(25);
      for (let i = 0; i < 25; i++) await channel.next();
      await Promise.all(waits);
      expect(listenerCount(signal, 'abort')).toBe(0);
      expect(channel.size).toBe(1);
    });
  });
});
