import { describe, expect, it } from 'vitest';
import { race } from '../src/race.js';
import { expectCollectable, LeakError, track } from '../src/testing/index.js';

const forever = new Promise<never>(() => {});

function raceOnce(): object {
  const payload = { data: new Array(1000).fill(1) };
  void race([Promise.resolve(payload), forever]);
  return payload;
}

function nativeOnce(): object {
  const payload = { data: new Array(1000).fill(1) };
  void Promise.race([Promise.resolve(payload), forever]);
  return payload;
}

describe('race', () => {
  it('smoke', async () => {
    await expectCollectable(raceOnce);
    await expect(expectCollectable(nativeOnce, { rounds: 3 })).rejects.toBeInstanceOf(LeakError);
    const t = track();
    expect(t.size).toBe(0);
  });
});
