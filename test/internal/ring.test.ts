import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Ring } from '../../src/internal/ring.js';

// Well under 5 s on an idle machine; the margin is for a loaded one (CI, or
// several suites at once), where the default 5 s timeout fails a correct run.
const PROPERTY_TIMEOUT = 60_000;

/** The queue this replaces: a head index, reset only when the queue is fully drained. */
class DrainResetQueue<T> {
  items: Array<T | undefined> = [];
  head = 0;
  get size(): number {
    return this.items.length - this.head;
  }
  get slotCount(): number {
    return this.items.length;
  }
  push(value: T): void {
    this.items.push(value);
  }
  shift(): T {
    const value = this.items[this.head] as T;
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    }
    return value;
  }
}

/** A producer slightly ahead of its consumer: the queue holds 1–5 items and never drains. */
function neverDrainingRun(queue: { push(value: object): void; shift(): unknown; readonly size: number; readonly slotCount: number }): {
  maxSlots: number;
  drained: number;
} {
  queue.push({});
  let maxSlots = 0;
  let drained = 0;
  for (let i = 0; i < 300_000; i++) {
    queue.push({});
    if (i % 3 === 0) queue.push({});
    queue.shift();
    if (i % 3 === 1) queue.shift();
    if (queue.size > 4) queue.shift();
    if (queue.size === 0) drained++;
    maxSlots = Math.max(maxSlots, queue.slotCount);
  }
  return { maxSlots, drained };
}

describe('Ring', () => {
  describe('semantics', () => {
    it('behaves as a FIFO array queue under any sequence of pushes and shifts', () => {
      fc.assert(
        fc.property(fc.array(fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constant(-1), fc.constant(0)), { maxLength: 200 }), (ops) => {
          const ring = new Ring<number>();
          const model: number[] = [];
          let next = 0;
          for (const op of ops) {
            if (op > 0) {
              for (let i = 0; i < op; i++) {
                ring.push(next);
                model.push(next++);
              }
            } else if (op === 0) {
              ring.clear();
              model.length = 0;
            } else if (model.length > 0) {
              expect(ring.shift()).toBe(model.shift());
            }
            expect(ring.size).toBe(model.length);
            // The storage bound: at most four slots per live item, or the minimum of 8.
            expect(ring.slotCount).toBeLessThanOrEqual(Math.max(8, 4 * ring.size));
          }
          while (model.length > 0) expect(ring.shift()).toBe(model.shift());
        }),
        { numRuns: 500 },
      );
    }, PROPERTY_TIMEOUT);
  });

  describe('storage', () => {
    it('stays bounded by the live length over a long run that never fully drains', () => {
      const { maxSlots, drained } = neverDrainingRun(new Ring<object>());
      expect(drained).toBe(0);
      expect(maxSlots).toBeLessThanOrEqual(16);
    }, PROPERTY_TIMEOUT);

    it('positive control: the same run grows a queue that resets its head only when drained', () => {
      const { maxSlots, drained } = neverDrainingRun(new DrainResetQueue<object>());
      expect(drained).toBe(0);
      expect(maxSlots).toBeGreaterThan(100_000);
    }, PROPERTY_TIMEOUT);

    it('gives back storage after a burst once the backlog is read', () => {
      const ring = new Ring<number>();
      for (let i = 0; i < 4096; i++) ring.push(i);
      expect(ring.slotCount).toBe(4096);
      while (ring.size > 1) ring.shift();
      expect(ring.slotCount).toBeLessThanOrEqual(8);
      expect(ring.shift()).toBe(4095);
    });
  });
});
