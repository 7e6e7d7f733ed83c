// Collectability assertions: "this must be released" and its counterpart,
// "this must stay alive". Both accept either a factory (run in a frame of its
// own, its result tracked) or a Tracker filled by the caller.

import { validateFunction, validateInteger, validateNumber, validateOptions, validateOptionsBag } from '../internal/validate.js';
import { CollectedError, LeakError } from './errors.js';
import { DEFAULT_MAX_HEAP_BYTES, explainWeak } from './explain.js';
import { renderExplanation } from './retainer-path.js';
import { type GcUntilOptions, ROUND_OPTION_NAMES, readRoundOptions, runRounds } from './gc.js';
import { Tracker } from './track.js';

/** A function whose result (or resolved value) is the object to track. */
export type Factory = () => object | PromiseLike<object>;

/** Options of {@link expectCollectable}. */
export interface ExpectCollectableOptions extends GcUntilOptions {
  /**
   * With a Tracker: how many objects must have been collected. In a loop that
   * is still running, the latest item may legitimately be in flight, so
   * `tracker.size - 1` is the honest bound there.
   * @default tracker.size
   */
  atLeast?: number;
  /** Names the object in the failure message (factory form). @default 'object' */
  label?: string;
  /**
   * On failure, explain why (up to `maxObjects`) survivors are reachable, from
   * a heap snapshot: `false` turns it off (the environment variable
   * `LEAKPROOF_EXPLAIN=0` turns it off by default). Passing checks never take
   * a snapshot for it.
   * @default true
   */
  explain?: boolean | ExplainFailureOptions;
}

/** How a failing check explains itself (see `ExpectCollectableOptions.explain`). */
export interface ExplainFailureOptions {
  /** Survivors explained, at most. @default 3 */
  maxObjects?: number;
  /** No snapshot above this V8 heap size (`heapUsed`). @default 1 GiB */
  maxHeapBytes?: number;
}

/** Options of {@link expectRetained}. */
export interface ExpectRetainedOptions extends GcUntilOptions {
  /** Names the object in the failure message (factory form). @default 'object' */
  label?: string;
}

const MAX_LABELS = 20;
const COLLECTABLE_OPTION_NAMES = [...ROUND_OPTION_NAMES, 'atLeast', 'label', 'explain'];
const RETAINED_OPTION_NAMES = [...ROUND_OPTION_NAMES, 'label'];

/**
 * Asserts that objects become unreachable: runs GC rounds until they are
 * collected and throws a {@link LeakError} if they never are.
 *
 * - `expectCollectable(factory)`: calls `factory` in its own frame, tracks what
 *   it returns (or resolves to), and expects it to be collected. Do not keep a
 *   reference to the result yourself.
 * - `expectCollectable(tracker, { atLeast })`: expects at least `atLeast` of
 *   the tracker's objects to be collected.
 *
 * @throws {LeakError} (rejects) naming how many survived and their labels;
 * the error holds no reference to any tracked object.
 *
 * @example
 * ```ts
 * import { expectCollectable } from 'leakproof/testing';
 * await expectCollectable(() => {
 *   const payload = Buffer.alloc(1 << 20);
 *   void race([Promise.resolve(payload), longLived]);
 *   return payload;
 * });
 * ```
 */
export async function expectCollectable(
  target: Factory | Tracker,
  options?: ExpectCollectableOptions,
): Promise<void> {
  const opts = readRoundOptions(options, 'options', COLLECTABLE_OPTION_NAMES);
  const explain = readExplainOptions(options?.explain, 'options.explain');
  const tracker = await resolveTarget(target, options);
  const atLeast = options?.atLeast ?? tracker.size;
  validateInteger(atLeast, 'options.atLeast', 0, tracker.size);
  const rounds = await runRounds(() => tracker.collected() >= atLeast, opts);
  if (rounds >= 0) return;
  const labels = tracker.aliveLabels();
  const alive = labels.length;
  const shown = labels.slice(0, MAX_LABELS);
  let message =
    `${alive} of ${tracker.size} tracked object(s) still reachable after ${opts.rounds} GC round(s)` +
    `${opts.heapSnapshot ? ' and a heap snapshot' : ''}` +
    ` (expected at least ${atLeast} collected): ${shown.join(', ')}${alive > shown.length ? ', ...' : ''}`;
  // Only now, about to fail, is a snapshot worth its cost.
  const explained = explain
    ? await explainWeak(tracker.aliveRefs(explain.maxObjects), explain.maxObjects, explain.maxHeapBytes)
    : { retainers: [], unavailable: 'explanations turned off (options.explain or LEAKPROOF_EXPLAIN=0)' };
  if (explained.retainers.length === 0 && explained.unavailable === undefined) {
    // Survivors of the GC rounds can still fall to the snapshot's own full
    // collection, which also clears inline caches: nothing left to explain.
    explained.unavailable = 'no retainer path: the survivors were collected while the heap snapshot was taken';
  }
  if (explained.retainers.length > 0) {
    message += `\n\nWhy (shortest path of strong references from a GC root):\n${explained.retainers.map((r) => renderExplanation(r)).join('\n')}`;
  } else if (explained.unavailable !== undefined && explain) {
    message += `\n(${explained.unavailable})`;
  }
  throw new LeakError(message, {
    alive,
    total: tracker.size,
    labels: shown,
    rounds: opts.rounds,
    retainers: explained.retainers,
    ...(explained.unavailable === undefined ? {} : { explanationUnavailable: explained.unavailable }),
  });
}

/** @internal Normalised `explain` option, or false when explanations are off. */
export function readExplainOptions(
  value: boolean | ExplainFailureOptions | undefined,
  name: string,
): { maxObjects: number; maxHeapBytes: number } | false {
  const fallback = process.env.LEAKPROOF_EXPLAIN !== '0';
  const on = value === undefined ? fallback : value !== false;
  if (value !== undefined && typeof value !== 'boolean') validateOptionsBag(value, name, ['maxObjects', 'maxHeapBytes']);
  if (!on) return false;
  const bag = typeof value === 'object' ? value : undefined;
  const maxObjects = bag?.maxObjects ?? 3;
  const maxHeapBytes = bag?.maxHeapBytes ?? DEFAULT_MAX_HEAP_BYTES;
  validateInteger(maxObjects, `${name}.maxObjects`, 0, 100);
  validateNumber(maxHeapBytes, `${name}.maxHeapBytes`, 0, Number.MAX_VALUE, true);
  return { maxObjects, maxHeapBytes };
}

/**
 * Asserts that objects stay alive through GC rounds: the counter-test of
 * {@link expectCollectable}, for what a primitive must keep (a live cache
 * entry, the long-lived signal, a running iteration's source).
 *
 * Only meaningful when the test itself holds the object weakly: track it
 * through a factory or a Tracker, and let the code under test be its only
 * strong holder.
 *
 * @throws {CollectedError} (rejects) when any tracked object was collected.
 *
 * @example
 * ```ts
 * import { expectRetained } from 'leakproof/testing';
 * const cache = new LRU({ max: 10 });
 * await expectRetained(() => {
 *   const value = { big: new Array(1e5) };
 *   cache.set('k', value);
 *   return value;
 * });
 * ```
 */
export async function expectRetained(target: Factory | Tracker, options?: ExpectRetainedOptions): Promise<void> {
  // Retention is checked for all rounds, and the heap snapshot is the
  // strongest collection we can force, so both run unconditionally.
  const opts = readRoundOptions(options, 'options', RETAINED_OPTION_NAMES);
  const tracker = await resolveTarget(target, options);
  await runRounds(() => tracker.collected() > 0, opts);
  const labels = tracker.collectedLabels();
  if (labels.length === 0) return;
  const shown = labels.slice(0, MAX_LABELS);
  throw new CollectedError(
    `${labels.length} of ${tracker.size} tracked object(s) were collected but must stay alive: ${shown.join(', ')}`,
    { collected: labels.length, total: tracker.size, labels: shown },
  );
}

async function resolveTarget(
  target: Factory | Tracker,
  options: { label?: string } | undefined,
): Promise<Tracker> {
  if (target instanceof Tracker) return target;
  validateFunction(target, 'target');
  validateOptions(options, 'options');
  const label = options?.label ?? 'object';
  if (typeof label !== 'string') {
    throw new TypeError(`The "options.label" property must be of type string. Received type ${typeof label}`);
  }
  const tracker = new Tracker();
  await trackResult(tracker, target, label);
  return tracker;
}

// A frame of its own: once it returns, nothing of ours holds the result.
async function trackResult(tracker: Tracker, factory: Factory, label: string): Promise<void> {
  const result: unknown = await factory();
  if (result === null || (typeof result !== 'object' && typeof result !== 'function')) {
    throw new TypeError(
      `The "target" factory must return an object to track. Received ${result === null ? 'null' : `type ${typeof result}`}`,
    );
  }
  tracker.add(result, label);
}
