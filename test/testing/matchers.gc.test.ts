// The expect.extend matchers under vitest (forks pool, --expose-gc: the
// set-up the README documents), and explainRetention called directly.
import { describe, expect, it } from 'vitest';
import {
  explainRetention,
  type LeakproofMatchers,
  matchers,
  track,
} from '../../src/testing/index.js';

declare module 'vitest' {
  // The matcher types merge into vitest's Assertion (the set-up users copy).
  interface Assertion<T = any> extends LeakproofMatchers<T> {}
}

expect.extend(matchers);

const registry = new Set<object>();

function registered(): object {
  const value = { registered: true };
  registry.add(value);
  return value;
}

describe('matchers', () => {
  it('toBeCollectable passes for garbage and fails with the retainer path in its message', async () => {
    await expect(() => ({ garbage: true })).toBeCollectable();
    const failure: unknown = await expect(registered)
      .toBeCollectable({ rounds: 2, explain: true })
      .then(() => undefined, (e: unknown) => e);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/expected the object to be collectable, but 1 of 1/);
    expect((failure as Error).message).toMatch(/module-level variable `registry` of .*matchers\.gc\.test\.ts/);
    expect((failure as Error).message).toMatch(/Set → Set entry/);
    registry.clear();
  });

  it('toBeRetained passes for what stays and fails for garbage', async () => {
    await expect(registered).toBeRetained({ rounds: 2 });
    registry.clear();
    const failure: unknown = await expect(() => ({ garbage: true }))
      .toBeRetained({ rounds: 2 })
      .then(() => undefined, (e: unknown) => e);
    expect((failure as Error).message).toMatch(/expected the object to stay reachable, but 1 of 1/);
  });

  it('inverts with .not and accepts a Tracker', async () => {
    await expect(registered).not.toBeCollectable({ rounds: 2 });
    registry.clear();
    const tracker = track();
    tracker.add({ garbage: true });
    await expect(tracker).toBeCollectable();
  });
});

describe('explainRetention', () => {
  it('explains an object passed through a WeakRef, and undefined once it is gone', async () => {
    const ref = new WeakRef(registered());
    const path = await explainRetention(ref, { label: 'registered' });
    expect(path?.label).toBe('registered');
    expect(path?.root).toMatch(/module .*matchers\.gc\.test\.ts/);
    expect(path?.steps[0]).toEqual({ holder: expect.stringMatching(/^module /), edge: 'module-level variable `registry`' });
    registry.clear();
    expect(await explainRetention(ref)).toBeUndefined();
  });

  it('rejects with ExplanationUnavailableError above the heap cap', async () => {
    await expect(explainRetention({}, { maxHeapBytes: 1 })).rejects.toMatchObject({
      name: 'ExplanationUnavailableError',
      code: 'ERR_LEAKPROOF_NO_EXPLANATION',
      message: expect.stringMatching(/above the explanation cap/),
    });
  });
});
