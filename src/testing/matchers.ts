// Matchers for the `expect.extend` protocol shared by vitest and jest, built
// on the kit's assertions, with no dependency on either runner: a matcher is a
// function `(received, ...args) => { pass, message }` called with `this`
// carrying `isNot`.

import { type ExpectCollectableOptions, type ExpectRetainedOptions, expectCollectable, expectRetained, type Factory } from './expect-collectable.js';
import { CollectedError, LeakError } from './errors.js';
import type { Tracker } from './track.js';

/** What `expect.extend` calls a matcher with as `this` (the part we read). */
interface MatcherContext {
  isNot?: boolean;
}

/** What a matcher returns under the `expect.extend` protocol. */
export interface MatcherResult {
  pass: boolean;
  message: () => string;
}

/**
 * Collectability matchers for `expect.extend` (vitest and jest).
 *
 * - `await expect(factory).toBeCollectable(options?)`: what `factory` returns
 *   (or resolves to) is collected; on failure the message carries the
 *   retainer path, as {@link expectCollectable}'s `LeakError` does.
 * - `await expect(factory).toBeRetained(options?)`: it stays alive.
 *
 * Both accept a `Tracker` instead of a factory and are asynchronous: `await`
 * them. `.not` inverts the result, without an explanation.
 *
 * @example
 * ```ts
 * import { expect } from 'vitest';
 * import { matchers } from 'leakproof/testing';
 * expect.extend(matchers);
 * await expect(() => makeThing()).toBeCollectable();
 * ```
 */
export const matchers = {
  async toBeCollectable(
    this: MatcherContext | undefined,
    received: Factory | Tracker,
    options?: ExpectCollectableOptions,
  ): Promise<MatcherResult> {
    // Under `.not` a survivor is the expected outcome: explaining it is wasted work.
    const opts = this?.isNot === true ? { explain: false, ...options } : options;
    try {
      await expectCollectable(received, opts);
    } catch (error) {
      if (!(error instanceof LeakError)) throw error;
      const message = error.message;
      return { pass: false, message: () => `expected the object to be collectable, but ${message}` };
    }
    return { pass: true, message: () => 'expected the object to stay reachable, but it was collected' };
  },

  async toBeRetained(
    this: MatcherContext | undefined,
    received: Factory | Tracker,
    options?: ExpectRetainedOptions,
  ): Promise<MatcherResult> {
    try {
      await expectRetained(received, options);
    } catch (error) {
      if (!(error instanceof CollectedError)) throw error;
      const message = error.message;
      return { pass: false, message: () => `expected the object to stay reachable, but ${message}` };
    }
    return { pass: true, message: () => 'expected the object to be collectable, but it stayed reachable' };
  },
};

/** The matchers' types, for `declare module 'vitest' { interface Assertion<T> extends LeakproofMatchers<T> {} }`. */
export interface LeakproofMatchers<R = unknown> {
  toBeCollectable(options?: ExpectCollectableOptions): Promise<R>;
  toBeRetained(options?: ExpectRetainedOptions): Promise<R>;
}
