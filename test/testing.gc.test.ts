import { describe, expect, it } from 'vitest';
import {
  CollectedError,
  collectGarbage,
  expectCollectable,
  expectFlatHeap,
  expectRetained,
  gcUntil,
  LeakError,
  measureHeapSlope,
  type Tracker,
  track,
} from '../src/testing/index.js';

const retained: object[] = [];

function fill(tracker: Tracker, n: number, keepEvery = 0): void {
  for (let i = 0; i < n; i++) {
    const item = { i, data: new Array<number>(100).fill(i) };
    tracker.add(item, `item ${i}`);
    if (keepEvery && i % keepEvery === 0) retained.push(item);
  }
}

/** The flat-heap check of the allocate-only loop, and of the growing loop that must fail it. */
const FLAT = { iterations: 20_000, maxBytesPerIteration: 8 };

describe('leakproof/testing', () => {
  describe('leaks', () => {
    it('collectGarbage runs a full, finalizing collection', async () => {
      const tracker = track();
      fill(tracker, 10);
      expect(await gcUntil(() => tracker.collected() === 10)).toBe(true);
      // Finalization callbacks are a task of their own: poll for them.
      expect(await gcUntil(() => tracker.finalized() === 10)).toBe(true);
      collectGarbage();
    });

    it('gcUntil resolves false (and does not throw) when the condition never holds', async () => {
      expect(await gcUntil(() => false, { rounds: 2, heapSnapshot: false })).toBe(false);
      expect(await gcUntil(() => false, { rounds: 1 })).toBe(false);
    });

    it('expectCollectable passes for garbage and fails with LeakError for retained objects', async () => {
      await expectCollectable(() => ({ garbage: true }));
      const error: unknown = await expectCollectable(
        () => {
          const kept = { kept: true };
          retained.push(kept);
          return kept;
        },
        { rounds: 2, label: 'kept object' },
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LeakError);
      expect((error as LeakError).alive).toBe(1);
      expect((error as LeakError).labels).toEqual(['kept object']);
      expect((error as LeakError).code).toBe('ERR_LEAKPROOF_LEAK');
    });

    it('expectCollectable accepts an async factory', async () => {
      await expectCollectable(async () => {
        await new Promise((r) => setImmediate(r));
        return { async: true };
      });
    });

    it('expectCollectable counts a Tracker with atLeast and names the survivors', async () => {
      const tracker = track();
      fill(tracker, 20, 10); // items 0 and 10 are kept
      await expectCollectable(tracker, { atLeast: 18 });
      const error: unknown = await expectCollectable(tracker, { rounds: 2 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LeakError);
      expect((error as LeakError).alive).toBe(2);
      expect((error as LeakError).labels).toEqual(['item 0', 'item 10']);
    });

    it('expectRetained passes for live objects and fails with CollectedError otherwise', async () => {
      await expectRetained(() => {
        const kept = { kept: true };
        retained.push(kept);
        return kept;
      });
      await expect(expectRetained(() => ({ garbage: true }), { rounds: 3 })).rejects.toBeInstanceOf(CollectedError);
    });

    it('the error of a failed check holds no reference to the tracked object', async () => {
      const tracker = track();
      const errors: unknown[] = [];
      const attempt = async (): Promise<void> => {
        const kept = { kept: true };
        retained.push(kept);
        tracker.add(kept);
        errors.push(await expectCollectable(tracker, { rounds: 1, heapSnapshot: false }).catch((e: unknown) => e));
      };
      await attempt();
      expect(errors[0]).toBeInstanceOf(LeakError);
      retained.length = 0;
      await expectCollectable(tracker);
    });

    it('measureHeapSlope sees growth and expectFlatHeap fails with LeakError on it', async () => {
      const sink: unknown[] = [];
      const grow = (): void => {
        sink.push(new Array<number>(64).fill(1)); // ~ 550 bytes per iteration
      };
      const { bytesPerIteration, samples } = await measureHeapSlope(grow, { iterations: 5000 });
      expect(samples).toHaveLength(10);
      expect(bytesPerIteration).toBeGreaterThan(400);
      // The identical check that passes for the allocate-only loop below.
      await expect(expectFlatHeap(grow, FLAT)).rejects.toBeInstanceOf(LeakError);
      sink.length = 0;
    });

    it('expectFlatHeap counts Buffers (off-heap memory) too', async () => {
      const sink: Buffer[] = [];
      const error: unknown = await expectFlatHeap(
        () => {
          sink.push(Buffer.alloc(64 * 1024));
        },
        { iterations: 200, maxBytesPerIteration: 1024 },
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LeakError);
      expect((error as LeakError).bytesPerIteration).toBeGreaterThan(60 * 1024);
      sink.length = 0;
    });

    it('expectFlatHeap passes for a loop that allocates but retains nothing', async () => {
      // The loop's own code and feedback add ~30 KB once, within its first
      // ~2,000 iterations (Node 20): 4–5 B/iteration over 5,000 iterations,
      // ~0.1 over 20,000, where the check belongs.
      await expectFlatHeap(() => new Array<number>(64).fill(1), FLAT);
    });
  });
});
