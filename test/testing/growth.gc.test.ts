// What grew (issue 9 §2): a failing heap-slope check names the growing types
// and who keeps one instance of the top one.
import { describe, expect, it } from 'vitest';
import { expectFlatHeap, LeakError } from '../../src/testing/index.js';

class Session {
  readonly id: number;
  readonly scratch = new Array<number>(16).fill(0);
  constructor(id: number) {
    this.id = id;
  }
}

const sessions: Session[] = [];

function openSession(i: number): void {
  sessions.push(new Session(i));
}

describe('growth explanations', () => {
  it('names Session, +1 per iteration, via the module-level array `sessions`', async () => {
    const error: unknown = await expectFlatHeap(openSession, {
      iterations: 2000,
      // A Session with its array is ~200 B; 50 B/iteration is well below it.
      maxBytesPerIteration: 50,
      explain: true,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeakError);
    const leak = error as LeakError;
    expect(leak.message).toMatch(/`Session`: \+1 per iteration, \+\d+ B per iteration, via module-level variable `sessions` of .*growth\.gc\.test\.ts/);
    expect(leak.growth?.top[0]).toMatchObject({ type: 'Session', countPerIteration: 1 });
    expect(leak.growth?.top.length).toBeLessThanOrEqual(5);
    const example = leak.growth?.example;
    expect(example?.steps.some((s) => s.edge === 'module-level variable `sessions`')).toBe(true);
    expect(leak.retainers).toHaveLength(1);
    sessions.length = 0;
  });
});
