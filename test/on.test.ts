// Behaviour of on(), one test per contract row (issue 3, section 4):
//  1. Bad input throws synchronously (TypeError / RangeError naming the parameter); 'wait' is refused.
//  2. Values are the listener's arguments as an array (EventEmitter), [event] (EventTarget), in order.
//  3. Bounded by default: 1024 events, overflow 'error' (buffered events delivered, then OverflowError).
//  4. 'drop-oldest' and 'drop-newest' keep at most `capacity` events.
//  5. return() / break removes every listener and drops the buffered events.
//  6. throw() removes every listener, drops the buffered events and rejects with the error.
//  7. Abort rejects a waiting or later next() with signal.reason, removes every listener, drops the buffer.
//  8. An already-aborted signal attaches nothing; the first next() rejects with signal.reason.
//  9. An EventEmitter 'error' event ends the iteration after the buffered events, listeners removed.
// 10. `close` events end the iteration normally after the buffered events, listeners removed.
// 11. [Symbol.asyncDispose] is return().
// 12. Concurrent next() calls each receive one event, in order.
import { EventEmitter, setMaxListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { OverflowError } from '../src/errors.js';
import { on } from '../src/on.js';
import { listenerCount } from '../src/testing/index.js';
import { captureWarnings, macrotask, settlesWithin } from './helpers/iterables.js';

const DONE = { value: undefined, done: true };

function listeners(emitter: EventEmitter): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of emitter.eventNames()) counts[String(name)] = emitter.listenerCount(name);
  return counts;
}

async function collect<T>(iterator: AsyncIterable<T>): Promise<T[]> {
  const values: T[] = [];
  for await (const value of iterator) values.push(value);
  return values;
}

describe('on', () => {
  describe('validation', () => {
    it('throws a TypeError naming target for something that is neither emitter nor target', () => {
      for (const target of [undefined, null, 1, 'x', {}, { on() {} }, { addEventListener() {} }]) {
        // @ts-expect-error not an emitter
        expect(() => on(target, 'x')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
        // @ts-expect-error not an emitter
        expect(() => on(target, 'x')).toThrow(/"target"/);
      }
    });

    it('throws a TypeError naming event for a bad event name', () => {
      // @ts-expect-error event must be a string or symbol
      expect(() => on(new EventEmitter(), 1)).toThrow(/"event"/);
      // @ts-expect-error an EventTarget takes string event names only
      expect(() => on(new EventTarget(), Symbol('x'))).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"event"') }),
      );
      expect(() => on(new EventEmitter(), Symbol('x'))).not.toThrow();
    });

    it('throws naming the option for bad options', () => {
      const emitter = new EventEmitter();
      // @ts-expect-error options must be an object
      expect(() => on(emitter, 'x', 5)).toThrow(/"options"/);
      // @ts-expect-error signal must be an AbortSignal
      expect(() => on(emitter, 'x', { signal: 'no' })).toThrow(/"options\.signal"/);
      // @ts-expect-error capacity must be a number
      expect(() => on(emitter, 'x', { capacity: '5' })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"options.capacity"') }),
      );
      for (const capacity of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        let caught: unknown;
        try {
          on(emitter, 'x', { capacity });
        } catch (error) {
          caught = error;
        }
        expect(caught).toBeInstanceOf(RangeError);
        expect(caught).toMatchObject({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('"options.capacity"') });
      }
      // @ts-expect-error an event source cannot wait: 'wait' is not an option
      expect(() => on(emitter, 'x', { overflow: 'wait' })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('"options.overflow"') }),
      );
      // @ts-expect-error close must be an array
      expect(() => on(emitter, 'x', { close: 'end' })).toThrow(/"options\.close"/);
      // @ts-expect-error close must hold event names
      expect(() => on(emitter, 'x', { close: ['end', 3] })).toThrow(/"options\.close\[1\]"/);
      expect(() => on(new EventTarget(), 'x', { close: [Symbol('end')] })).toThrow(/"options\.close\[0\]"/);
      // Nothing was attached by any failed call.
      expect(emitter.eventNames()).toEqual([]);
    });

    it('throws ERR_INVALID_ARG_TYPE saying { signal } for a signal passed in place of options', () => {
      const emitter = new EventEmitter();
      const controller = new AbortController();
      let caught: unknown;
      try {
        on(emitter, 'x', controller.signal as never);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(TypeError);
      expect(caught).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"options" argument') });
      expect((caught as Error).message).toContain('{ signal }');
      expect(emitter.eventNames()).toEqual([]);
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
    });

    it.each([
      ["events.on's highWaterMark", { highWaterMark: 10 }, 'highWaterMark', 'capacity'],
      ["events.on's lowWaterMark", { lowWaterMark: 1 }, 'lowWaterMark', 'capacity'],
      ['a typo', { capacty: 10 }, 'capacty', 'capacity'],
      ['a wrong case', { Signal: undefined }, 'Signal', 'signal'],
    ])('throws ERR_INVALID_ARG_VALUE naming options and the unknown option for %s', (_, options, key, hint) => {
      const emitter = new EventEmitter();
      let caught: unknown;
      try {
        on(emitter, 'x', options as never);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(TypeError);
      expect(caught).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining('"options" argument') });
      expect((caught as Error).message).toContain(`"${key}"`);
      expect((caught as Error).message).toContain(`Did you mean "${hint}"?`);
      expect(emitter.eventNames()).toEqual([]);
    });
  });

  describe('semantics', () => {
    it('yields the emitted arguments as an array for an EventEmitter, in order', async () => {
      const emitter = new EventEmitter();
      const events = on(emitter, 'data');
      emitter.emit('data', 1, 'a');
      emitter.emit('data');
      emitter.emit('other', 'ignored');
      emitter.emit('data', { x: 1 });
      expect(await events.next()).toEqual({ value: [1, 'a'], done: false });
      expect(await events.next()).toEqual({ value: [], done: false });
      expect(await events.next()).toEqual({ value: [{ x: 1 }], done: false });
      await events.return();
    });

    it('yields [event] for an EventTarget, like events.on', async () => {
      const target = new EventTarget();
      const events = on(target, 'ping');
      const first = new Event('ping');
      const second = new CustomEvent('ping', { detail: 2 });
      target.dispatchEvent(first);
      target.dispatchEvent(second);
      expect(await events.next()).toEqual({ value: [first], done: false });
      const next = await events.next();
      expect(next.value?.[0]).toBe(second);
      await events.return();
      expect(listenerCount(target, 'ping')).toBe(0);
    });

    it("defaults to 1024 events and overflow 'error': the buffer is delivered, then OverflowError", async () => {
      const emitter = new EventEmitter();
      const events = on(emitter, 'n');
      for (let i = 0; i < 1024; i++) emitter.emit('n', i);
      expect(listeners(emitter)).toEqual({ n: 1, error: 1 });
      emitter.emit('n', 1024); // one too many: the subscription ends here
      expect(listeners(emitter)).toEqual({});
      emitter.emit('n', 1025);
      const received: number[] = [];
      const error = await (async () => {
        try {
          for await (const [n] of events) received.push(n as number);
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(received).toEqual(Array.from({ length: 1024 }, (_, i) => i));
      expect(error).toBeInstanceOf(OverflowError);
    });

    it("'drop-oldest' keeps the latest events, 'drop-newest' the earliest", async () => {
      const emitter = new EventEmitter();
      const latest = on(emitter, 'n', { capacity: 2, overflow: 'drop-oldest' });
      const earliest = on(emitter, 'n', { capacity: 2, overflow: 'drop-newest' });
      for (let i = 0; i < 5; i++) emitter.emit('n', i);
      expect([await latest.next(), await latest.next()].map((r) => r.value)).toEqual([[3], [4]]);
      expect([await earliest.next(), await earliest.next()].map((r) => r.value)).toEqual([[0], [1]]);
      // Still subscribed: dropping is not an end.
      expect(emitter.listenerCount('n')).toBe(2);
      await latest.return();
      await earliest.return();
      expect(listeners(emitter)).toEqual({});
    });

    it('return() removes every listener and drops the buffered events', async () => {
      const emitter = new EventEmitter();
      const controller = new AbortController();
      const events = on(emitter, 'n', { signal: controller.signal, close: ['end'] });
      expect(listeners(emitter)).toEqual({ n: 1, error: 1, end: 1 });
      expect(listenerCount(controller.signal, 'abort')).toBe(1);
      emitter.emit('n', 1);
      emitter.emit('n', 2);
      expect(await events.return()).toEqual(DONE);
      expect(listeners(emitter)).toEqual({});
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
      // Node's events.on would still yield [1] and [2] here.
      expect(await events.next()).toEqual(DONE);
      expect(await events.return()).toEqual(DONE);
    });

    it('break out of for-await removes every listener', async () => {
      const target = new EventTarget();
      const events = on(target, 'tick', { close: ['stop'] });
      for (let i = 0; i < 3; i++) target.dispatchEvent(new Event('tick'));
      let seen = 0;
      for await (const [event] of events) {
        expect(event).toBeInstanceOf(Event);
        if (++seen === 1) break;
      }
      expect(listenerCount(target, 'tick')).toBe(0);
      expect(listenerCount(target, 'stop')).toBe(0);
      expect(await events.next()).toEqual(DONE);
    });

    it('return() settles waiting next() calls with done', async () => {
      const emitter = new EventEmitter();
      const events = on(emitter, 'n');
      const waiting = [events.next(), events.next()];
      await events.return();
      expect(await Promise.all(waiting)).toEqual([DONE, DONE]);
    });

    it('throw() removes every listener, drops the buffer and rejects with the error', async () => {
      const emitter = new EventEmitter();
      const events = on(emitter, 'n');
      emitter.emit('n', 1);
      const error = new Error('consumer failed');
      await expect(events.throw(error)).rejects.toBe(error);
      expect(listeners(emitter)).toEqual({});
      expect(await events.next()).toEqual(DONE);
    });

    it('a throw in the for-await body removes every listener', async () => {
      const emitter = new EventEmitter();
      const events = on(emitter, 'n');
      emitter.emit('n', 1);
      const error = new Error('body failed');
      await expect(
        (async () => {
          for await (const _ of events) throw error;
        })(),
      ).rejects.toBe(error);
      expect(listeners(emitter)).toEqual({});
    });

    it('abort rejects a waiting next() with signal.reason and removes every listener', async () => {
      const emitter = new EventEmitter();
      const controller = new AbortController();
      const events = on(emitter, 'n', { signal: controller.signal, close: ['end'] });
      const waiting = events.next();
      const reason = new Error('stop');
      controller.abort(reason);
      await expect(waiting).rejects.toBe(reason);
      expect(listeners(emitter)).toEqual({});
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
      await expect(events.next()).rejects.toBe(reason);
      expect(await events.return()).toEqual(DONE);
      expect(await events.next()).toEqual(DONE);
    });

    it('abort drops the buffered events: the next next() rejects', async () => {
      const target = new EventTarget();
      const controller = new AbortController();
      const events = on(target, 'n', { signal: controller.signal });
      target.dispatchEvent(new Event('n'));
      target.dispatchEvent(new Event('n'));
      controller.abort();
      await expect(events.next()).rejects.toMatchObject({ name: 'AbortError' });
      expect(listenerCount(target, 'n')).toBe(0);
    });

    it('abort after a close event stops the remaining buffered events too', async () => {
      const emitter = new EventEmitter();
      const controller = new AbortController();
      const events = on(emitter, 'n', { signal: controller.signal, close: ['end'] });
      emitter.emit('n', 1);
      emitter.emit('n', 2);
      emitter.emit('end');
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
      expect(await events.next()).toEqual({ value: [1], done: false });
      const reason = new Error('late abort');
      controller.abort(reason);
      await expect(events.next()).rejects.toBe(reason);
    });

    it('an already-aborted signal attaches nothing and the first next() rejects with its reason', async () => {
      const emitter = new EventEmitter();
      const target = new EventTarget();
      const reason = new Error('before');
      const signal = AbortSignal.abort(reason);
      const fromEmitter = on(emitter, 'n', { signal });
      const fromTarget = on(target, 'n', { signal, close: ['end'] });
      expect(listeners(emitter)).toEqual({});
      expect(listenerCount(target, 'n')).toBe(0);
      expect(listenerCount(signal, 'abort')).toBe(0);
      emitter.emit('n', 1);
      await expect(fromEmitter.next()).rejects.toBe(reason);
      await expect(fromTarget.next()).rejects.toBe(reason);
    });

    it("an 'error' event ends the iteration after the buffered events, listeners removed", async () => {
      const emitter = new EventEmitter();
      const events = on(emitter, 'n', { close: ['end'] });
      emitter.emit('n', 1);
      const error = new Error('socket hang up');
      emitter.emit('error', error);
      expect(listeners(emitter)).toEqual({});
      expect(await events.next()).toEqual({ value: [1], done: false });
      await expect(events.next()).rejects.toBe(error);
    });

    it("an 'error' event rejects waiting next() calls; emit('error') without an argument is still an error", async () => {
      const emitter = new EventEmitter();
      const events = on(emitter, 'n');
      const waiting = events.next();
      emitter.emit('error');
      await expect(waiting).rejects.toBeInstanceOf(Error);
      expect(listeners(emitter)).toEqual({});
    });

    it("iterating 'error' itself yields the errors", async () => {
      const emitter = new EventEmitter();
      const events = on(emitter, 'error');
      const error = new Error('e');
      emitter.emit('error', error);
      expect(listeners(emitter)).toEqual({ error: 1 });
      expect(await events.next()).toEqual({ value: [error], done: false });
      await events.return();
      expect(listeners(emitter)).toEqual({});
    });

    it('a close event ends the iteration after the buffered events, listeners removed', async () => {
      const emitter = new EventEmitter();
      const waiting = on(emitter, 'n', { close: ['end', 'close'] });
      const pending = waiting.next();
      const events = on(emitter, 'n', { close: ['end', 'close'] });
      emitter.emit('n', 1);
      expect(await pending).toEqual({ value: [1], done: false });
      emitter.emit('n', 2);
      emitter.emit('close');
      expect(listeners(emitter)).toEqual({});
      expect(await collect(events)).toEqual([[1], [2]]);
      expect(await waiting.next()).toEqual({ value: [2], done: false });
      expect(await waiting.next()).toEqual(DONE);

      const target = new EventTarget();
      const fromTarget = on(target, 'n', { close: ['done'] });
      const read = fromTarget.next();
      target.dispatchEvent(new Event('done'));
      expect(await read).toEqual(DONE);
      expect(listenerCount(target, 'n')).toBe(0);
      expect(listenerCount(target, 'done')).toBe(0);
    });

    it('[Symbol.asyncDispose] removes every listener and drops the buffer', async () => {
      const emitter = new EventEmitter();
      {
        await using events = on(emitter, 'n');
        emitter.emit('n', 1);
        expect(listeners(emitter)).toEqual({ n: 1, error: 1 });
        expect(events[Symbol.asyncIterator]()).toBe(events);
      }
      expect(listeners(emitter)).toEqual({});
    });

    it('concurrent next() calls each receive one event, in order', async () => {
      const emitter = new EventEmitter();
      const events = on(emitter, 'n');
      const reads = [events.next(), events.next(), events.next()];
      for (let i = 0; i < 3; i++) emitter.emit('n', i);
      expect((await Promise.all(reads)).map((r) => r.value)).toEqual([[0], [1], [2]]);
      await events.return();
    });

    it('rejects a next() beyond 1024 waiting calls with OverflowError, leaving the waiting ones intact', async () => {
      const emitter = new EventEmitter();
      const events = on(emitter, 'n');
      const waiting = Array.from({ length: 1024 }, () => events.next());
      await expect(events.next()).rejects.toBeInstanceOf(OverflowError);
      emitter.emit('n', 'first');
      expect(await waiting[0]).toEqual({ value: ['first'], done: false });
      await events.return();
      expect(await waiting[1023]).toEqual(DONE);
    });

    it('ignores an event delivered by an emit that began before the iteration ended', async () => {
      const emitter = new EventEmitter();
      const events = on(emitter, 'n');
      // EventEmitter#emit calls every listener it saw when it began, even one
      // removed meanwhile: here the first listener ends the iteration.
      emitter.prependListener('n', () => void events.return());
      expect(() => emitter.emit('n', 1)).not.toThrow();
      expect(await events.next()).toEqual(DONE);
    });

    it("takes back every listener when a duck-typed signal's addEventListener throws", () => {
      const emitter = new EventEmitter();
      const boom = new Error('addEventListener failed');
      const signal = {
        aborted: false,
        reason: undefined,
        addEventListener() {
          throw boom;
        },
        removeEventListener() {},
      } as unknown as AbortSignal;
      expect(() => on(emitter, 'n', { signal, close: ['end'] })).toThrow(boom);
      expect(listeners(emitter)).toEqual({});
    });

    it('takes back what it attached when the target throws while subscribing', () => {
      const emitter = new EventEmitter();
      const controller = new AbortController();
      emitter.on('newListener', (name) => {
        if (name === 'end') throw new Error('no end listeners here');
      });
      expect(() => on(emitter, 'n', { signal: controller.signal, close: ['end'] })).toThrow(/no end listeners/);
      expect(emitter.listenerCount('n')).toBe(0);
      expect(emitter.listenerCount('error')).toBe(0);
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
    });
  });

  describe('cleanup', () => {
    it('leaves no listener on the emitter or the signal after any terminal path', async () => {
      const { signal } = new AbortController();
      setMaxListeners(20, signal);
      const paths: Record<string, (emitter: EventEmitter, events: AsyncIterator<unknown>) => Promise<unknown>> = {
        return: async (_, events) => events.return!(),
        throw: async (_, events) => events.throw!(new Error('x')).catch(() => {}),
        error: async (emitter, events) => {
          emitter.emit('error', new Error('x'));
          return events.next().catch(() => {});
        },
        close: async (emitter, events) => {
          emitter.emit('end');
          return events.next();
        },
        overflow: async (emitter, events) => {
          emitter.emit('n', 1);
          emitter.emit('n', 2);
          await events.next();
          return events.next().catch(() => {});
        },
      };
      for (const [name, end] of Object.entries(paths)) {
        const emitter = new EventEmitter();
        const events = on(emitter, 'n', { signal, capacity: 1, close: ['end'] });
        expect(listenerCount(signal, 'abort'), name).toBe(1);
        await end(emitter, events);
        expect(listeners(emitter), name).toEqual({});
        expect(listenerCount(signal, 'abort'), name).toBe(0);
      }
      // And abort, on a signal of its own.
      const controller = new AbortController();
      const emitter = new EventEmitter();
      const events = on(emitter, 'n', { signal: controller.signal, close: ['end'] });
      controller.abort();
      await events.next().catch(() => {});
      expect(listeners(emitter)).toEqual({});
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
    });

    it('10,000 iterators waiting on one signal hold one listener, warn nothing and all reject with the reason', async () => {
      const controller = new AbortController();
      const { signal } = controller;
      const emitter = new EventEmitter();
      emitter.setMaxListeners(0);
      const capture = captureWarnings();
      try {
        const iterators = Array.from({ length: 10_000 }, () => on(emitter, 'n', { signal }));
        const pending = iterators.map((events) =>
          events.next().then(
            () => 'resolved',
            (error: unknown) => error,
          ),
        );
        expect(listenerCount(signal, 'abort')).toBe(1);
        // A synthetic abort event on a live signal is not an abort.
        signal.dispatchEvent(new Event('abort'));
        expect(await settlesWithin(Promise.race(pending), 2)).toBe(false);
        expect(listenerCount(signal, 'abort')).toBe(1);
        expect(emitter.listenerCount('n')).toBe(10_000);
        controller.abort();
        const outcomes = await Promise.all(pending);
        expect(outcomes.every((outcome) => outcome === signal.reason)).toBe(true);
        expect(listenerCount(signal, 'abort')).toBe(0);
        expect(listeners(emitter)).toEqual({});
        await macrotask();
        expect(capture.warnings.map((warning) => warning.name)).toEqual([]);
      } finally {
        capture.stop();
      }
    }, 30_000); // 10,000 of everything: the margin is for a loaded machine

    it('keeps delivering events after a synthetic abort event on its live signal', async () => {
      const controller = new AbortController();
      const emitter = new EventEmitter();
      const events = on(emitter, 'n', { signal: controller.signal });
      controller.signal.dispatchEvent(new Event('abort'));
      emitter.emit('n', 1);
      expect(await events.next()).toEqual({ value: [1], done: false });
      expect(emitter.listenerCount('n')).toBe(1);
      await events.return();
    });

    it('ends consistently and removes the other listeners when the emitter\'s removeListener throws', async () => {
      const emitter = new EventEmitter();
      const boom = new Error('removeListener failed');
      const removeListener = emitter.removeListener.bind(emitter);
      emitter.removeListener = ((name: string | symbol, listener: (...args: unknown[]) => void) => {
        removeListener(name, listener);
        if (name === 'n') throw boom;
        return emitter;
      }) as typeof emitter.removeListener;
      const events = on(emitter, 'n', { close: ['end'] });
      const waiting = events.next();
      await expect(events.return()).rejects.toBe(boom);
      expect(await waiting).toEqual(DONE);
      expect(await events.next()).toEqual(DONE);
      expect(listeners(emitter)).toEqual({});
    });

    it('does not accumulate listeners on a long-lived signal or emitter across many iterations', async () => {
      const { signal } = new AbortController();
      const emitter = new EventEmitter();
      for (let i = 0; i < 200; i++) {
        const events = on(emitter, 'n', { signal });
        emitter.emit('n', i);
        for await (const [n] of events) {
          if (n === i) break;
        }
      }
      expect(listenerCount(signal, 'abort')).toBe(0);
      expect(listeners(emitter)).toEqual({});
    });
  });
});
