// Forcing full collections, and polling until a condition holds.
//
// Every wait goes through `node:timers/promises`, which `vi.useFakeTimers()`
// and `@sinonjs/fake-timers` do not replace, so a test that fakes time cannot
// stall the collector loop.

import { setImmediate as nextMacrotask } from 'node:timers/promises';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { validateBoolean, validateFunction, validateInteger, validateOptionsBag } from '../internal/validate.js';
import { GcUnavailableError } from './errors.js';

/** Options of {@link collectGarbage}. */
export interface CollectGarbageOptions {
  /**
   * When `gc` is not exposed, turn `--expose-gc` on at run time
   * (`v8.setFlagsFromString` plus a fresh `vm` context, the `expose-gc`
   * technique). V8 documents changing flags after start-up as unsupported;
   * prefer starting node with `--expose-gc`.
   * @default false
   */
  allowFlagChange?: boolean;
}

let flagGc: (() => void) | undefined;

function resolveGc(allowFlagChange: boolean): () => void {
  const global = (globalThis as { gc?: unknown }).gc;
  if (typeof global === 'function') return global as () => void;
  if (flagGc) return flagGc;
  if (!allowFlagChange) throw new GcUnavailableError();
  v8.setFlagsFromString('--expose-gc');
  const fn: unknown = vm.runInNewContext('gc');
  if (typeof fn !== 'function') throw new GcUnavailableError();
  flagGc = fn as () => void;
  return flagGc;
}

/**
 * Runs one full (major, finalizing) garbage collection.
 *
 * Calls `gc()` with no argument: on Node 20 `gc({ type: 'major' })` runs a
 * minor collection and finalizes nothing, and `gc(true)` is minor everywhere.
 *
 * @throws {GcUnavailableError} when `gc` is not exposed and `allowFlagChange`
 * is not set. It never silently does nothing.
 *
 * @example
 * ```ts
 * import { collectGarbage } from 'leakproof/testing';
 * collectGarbage(); // node --expose-gc
 * ```
 */
export function collectGarbage(options?: CollectGarbageOptions): void {
  validateOptionsBag(options, 'options', ['allowFlagChange']);
  const allow = options?.allowFlagChange ?? false;
  validateBoolean(allow, 'options.allowFlagChange');
  resolveGc(allow)();
}

/** Options of {@link gcUntil}. */
export interface GcUntilOptions extends CollectGarbageOptions {
  /**
   * Rounds to try (each: a macrotask turn, a full GC, a macrotask turn, then
   * the check). Ten rounds covered every case measured on Node 20–24, where
   * objects seen at hot inline-cache sites needed 4–5.
   * @default 10
   */
  rounds?: number;
  /**
   * After the last round, take one heap snapshot (which collects what
   * optimised code and inline caches were still holding) and check once more.
   * @default true
   */
  heapSnapshot?: boolean;
}

/** @internal Normalised options shared by the checks built on gcUntil. */
export interface RoundOptions {
  rounds: number;
  heapSnapshot: boolean;
  allowFlagChange: boolean;
}

/** The option names of {@link gcUntil}; the checks built on it add their own. */
export const ROUND_OPTION_NAMES = ['rounds', 'heapSnapshot', 'allowFlagChange'] as const;

/** @internal `known`: every option name the calling function accepts. */
export function readRoundOptions(
  options: GcUntilOptions | undefined,
  name = 'options',
  known: readonly string[] = ROUND_OPTION_NAMES,
): RoundOptions {
  validateOptionsBag(options, name, known);
  const rounds = options?.rounds ?? 10;
  const heapSnapshot = options?.heapSnapshot ?? true;
  const allowFlagChange = options?.allowFlagChange ?? false;
  validateInteger(rounds, `${name}.rounds`, 1, 1000);
  validateBoolean(heapSnapshot, `${name}.heapSnapshot`);
  validateBoolean(allowFlagChange, `${name}.allowFlagChange`);
  return { rounds, heapSnapshot, allowFlagChange };
}

/**
 * Collects garbage until `condition` returns true, for at most
 * `options.rounds` rounds plus one heap-snapshot escalation.
 *
 * A `WeakRef` keeps its target alive until the current job ends, and a
 * `FinalizationRegistry` callback is a task of its own, so each round yields a
 * macrotask before and after the collection.
 *
 * @returns whether the condition came true. It does not throw on failure;
 * {@link expectCollectable} and {@link expectFlatHeap} do.
 *
 * @example
 * ```ts
 * import { gcUntil } from 'leakproof/testing';
 * const ref = new WeakRef(makeThing());
 * assert(await gcUntil(() => ref.deref() === undefined));
 * ```
 */
export async function gcUntil(
  condition: () => boolean | Promise<boolean>,
  options?: GcUntilOptions,
): Promise<boolean> {
  validateFunction(condition, 'condition');
  const opts = readRoundOptions(options);
  return (await runRounds(condition, opts)) >= 0;
}

/**
 * @internal Runs the rounds; resolves with the number of rounds used, or -1
 * when the condition never held.
 */
export async function runRounds(condition: () => boolean | Promise<boolean>, opts: RoundOptions): Promise<number> {
  const gc = resolveGc(opts.allowFlagChange);
  for (let round = 1; round <= opts.rounds; round++) {
    await nextMacrotask();
    gc();
    await nextMacrotask();
    if (await condition()) return round;
  }
  if (opts.heapSnapshot) {
    await nextMacrotask();
    takeHeapSnapshot();
    gc();
    await nextMacrotask();
    if (await condition()) return opts.rounds + 1;
  }
  return -1;
}

function takeHeapSnapshot(): void {
  // The snapshot is taken synchronously when the stream is created; we only
  // want its side effect (a collection that also clears feedback vectors'
  // weak slots), so the serialised stream is discarded unread.
  v8.getHeapSnapshot().destroy();
}
