// on() under random interleavings of emits, next() calls, microtask jitter and
// one terminal path, against a reference model (an array buffer of at most
// `capacity` events and a list of waiting reads). Every read must settle as
// the model says (which event, done, or rejected); after any terminal path no
// listener is left on the emitter or the signal and no read is pending;
// without one, the subscription is still in place.
import { EventEmitter } from 'node:events';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type EventOverflow, on } from '../src/on.js';
import { listenerCount } from '../src/testing/index.js';

// Well under 5 s on an idle machine; the margin is for a loaded one (CI, or
// several suites at once), where the default 5 s timeout fails a correct run.
const PROPERTY_TIMEOUT = 60_000;

type Op = { kind: 'emit'; count: number } | { kind: 'next' } | { kind: 'jitter'; ticks: number };
type End = 'none' | 'return' | 'throw' | 'dispose' | 'abort' | 'error' | 'close' | 'break';

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.integer({ min: 1, max: 4 }).map((count) => ({ kind: 'emit', count }) as const),
  fc.constant({ kind: 'next' } as const),
  fc.integer({ min: 0, max: 3 }).map((ticks) => ({ kind: 'jitter', ticks }) as const),
);

/**
 * The reference: an array buffer of at most `capacity` events and a count of
 * waiting reads. Returns what each read (in call order) must settle with.
 */
class Model {
  buffer: number[] = [];
  waiting: number[] = [];
  outcomes: Array<'pending' | `value:${number}` | 'done' | 'rejected'> = [];
  subscribed = true;
  /** After the subscription ended: 'done' or 'rejected' once the buffer is drained. */
  ending: 'open' | 'done' | 'rejected' = 'open';
  overflowed = false;

  constructor(
    readonly capacity: number,
    readonly overflow: EventOverflow,
  ) {}

  emit(n: number): void {
    if (!this.subscribed) return;
    const read = this.waiting.shift();
    if (read !== undefined) this.outcomes[read] = `value:${n}`;
    else if (this.buffer.length < this.capacity) this.buffer.push(n);
    else if (this.overflow === 'drop-oldest') {
      this.buffer.shift();
      this.buffer.push(n);
    } else if (this.overflow === 'error') {
      this.overflowed = true;
      this.finish('rejected', false);
    }
  }

  read(): void {
    const index = this.outcomes.push('pending') - 1;
    const n = this.buffer.shift();
    if (n !== undefined) this.outcomes[index] = `value:${n}`;
    else if (this.ending === 'open') this.waiting.push(index);
    else this.outcomes[index] = this.ending;
  }

  /** return(), throw(), dispose, break: whatever happened before, the rest is dropped and reads are done. */
  returned(): void {
    this.finish('done', true);
    this.buffer = [];
    this.ending = 'done';
  }

  /** Ends the subscription: `drop` discards the buffer (abort), else it drains first (error, close, overflow). */
  finish(outcome: 'done' | 'rejected', drop: boolean): void {
    if (this.ending !== 'open') return;
    this.subscribed = false;
    this.ending = outcome;
    if (drop) this.buffer = [];
    for (const index of this.waiting) this.outcomes[index] = outcome;
    this.waiting = [];
  }
}

describe('on', () => {
  describe('semantics', () => {
    it('matches a bounded-buffer model under random emits, reads, jitter and terminal paths', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 4 }),
          fc.constantFrom<EventOverflow>('drop-oldest', 'drop-newest', 'error'),
          fc.array(op, { maxLength: 30 }),
          fc.constantFrom<End>('none', 'return', 'throw', 'dispose', 'abort', 'error', 'close', 'break'),
          async (capacity, overflow, ops, end) => {
            const emitter = new EventEmitter();
            const controller = new AbortController();
            const events = on<[number]>(emitter, 'n', { capacity, overflow, signal: controller.signal, close: ['end'] });
            const model = new Model(capacity, overflow);
            let emitted = 0;
            const outcomes: Model['outcomes'] = [];
            const read = (): void => {
              model.read();
              const index = outcomes.push('pending') - 1;
              events.next().then(
                (result) => {
                  outcomes[index] = result.done ? 'done' : `value:${result.value[0]}`;
                },
                () => {
                  outcomes[index] = 'rejected';
                },
              );
            };
            for (const step of ops) {
              if (step.kind === 'emit') {
                for (let i = 0; i < step.count; i++) {
                  model.emit(emitted);
                  emitter.emit('n', emitted++);
                }
              } else if (step.kind === 'next') read();
              else for (let i = 0; i < step.ticks; i++) await Promise.resolve();
            }
            await nextMacrotask();
            expect(outcomes).toEqual(model.outcomes);
            // An overflow under 'error' ends the subscription at once.
            expect(emitter.listenerCount('n')).toBe(model.subscribed ? 1 : 0);
            expect(model.buffer.length).toBeLessThanOrEqual(capacity);

            switch (end) {
              case 'return':
                model.returned();
                await events.return();
                break;
              case 'throw':
                model.returned();
                await events.throw(new Error('throw')).catch(() => {});
                break;
              case 'dispose':
                model.returned();
                await events[Symbol.asyncDispose]();
                break;
              case 'break': {
                // Feed every waiting read and one more, so that for-await finds
                // a value (or the end) at once; it takes it and returns.
                for (let i = model.waiting.length; i >= 0; i--) {
                  model.emit(emitted);
                  emitter.emit('n', emitted++);
                }
                model.read();
                // for-await calls return() only when it leaves the loop early,
                // after a value: not after done, not when next() rejects.
                if (model.outcomes.pop()!.startsWith('value:')) model.returned();
                try {
                  for await (const _ of events) break;
                } catch {
                  // The subscription had already failed (overflow): for-await rethrows.
                }
                break;
              }
              case 'abort':
                controller.abort(new Error('abort'));
                if (model.ending === 'open') model.finish('rejected', true);
                else {
                  // Ended by an overflow: the abort drops what is left of the drain.
                  model.buffer = [];
                }
                break;
              case 'error':
                // With no listener left (after an overflow) an 'error' emit would throw.
                if (emitter.listenerCount('error') > 0) emitter.emit('error', new Error('error event'));
                model.finish('rejected', false);
                break;
              case 'close':
                model.finish('done', false);
                emitter.emit('end');
                break;
              case 'none':
                break;
            }
            // Read whatever is left (at most `capacity`), then one more.
            for (let i = 0; i <= capacity + 1; i++) read();
            await nextMacrotask();
            expect(outcomes).toEqual(model.outcomes);

            if (end === 'none' && model.subscribed) {
              expect(emitter.listenerCount('n')).toBe(1);
              expect(listenerCount(controller.signal, 'abort')).toBe(1);
              await events.return();
              await nextMacrotask();
            }
            expect(emitter.eventNames()).toEqual([]);
            expect(listenerCount(controller.signal, 'abort')).toBe(0);
            expect(outcomes.includes('pending')).toBe(false);
          },
        ),
        { numRuns: 1000 },
      );
    }, PROPERTY_TIMEOUT);
  });
});
