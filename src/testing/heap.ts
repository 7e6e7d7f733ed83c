// Heap-growth checks for loops: a least-squares slope of retained bytes per
// iteration, sampled after full collections.
//
// Bytes are `heapUsed + external`. Node's `external` already includes
// `arrayBuffers` (all Buffers live there, off the V8 heap), so adding
// `arrayBuffers` again would count every Buffer twice. Leaving `external` out
// would miss Buffer leaks almost entirely: a leak of 1 MiB Buffers moved
// heapUsed by 0.4 MB and arrayBuffers by 200 MB.

import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { validateFunction, validateInteger, validateNumber, validateOptionsBag } from '../internal/validate.js';
import { type HeapGrowth, LeakError } from './errors.js';
import { type ExplainFailureOptions, readExplainOptions } from './expect-collectable.js';
import { explainGrowth } from './growth.js';
import { renderExplanation, renderStepSummary } from './retainer-path.js';

// Iterations run between the two snapshots of a growth explanation: enough
// for a per-iteration leak to stand out of the noise, few enough to keep a
// failing test's extra time near one loop's worth.
const GROWTH_ITERATIONS = 1000;
import { collectGarbage } from './gc.js';

/** Options of {@link measureHeapSlope}. */
export interface HeapSlopeOptions {
  /** Iterations measured (after warm-up). */
  iterations: number;
  /** Heap samples taken, evenly spaced. @default 10 */
  samples?: number;
  /** Iterations run before the first sample, so JIT and caches settle. @default iterations / 10 */
  warmup?: number;
  /** Yield to the event loop every this many iterations. @default 100 */
  yieldEvery?: number;
}

/** The result of {@link measureHeapSlope}. */
export interface HeapSlope {
  /** Least-squares slope of retained bytes against iteration count. */
  bytesPerIteration: number;
  /** The samples the slope was fitted to. */
  samples: Array<{ iteration: number; bytes: number }>;
}

/** Options of {@link expectFlatHeap}. */
export interface ExpectFlatHeapOptions extends HeapSlopeOptions {
  /**
   * On failure, say what grew: the run is repeated between two heap snapshots
   * and diffed by type (`err.growth`). `false` turns it off (so does
   * `LEAKPROOF_EXPLAIN=0`). Passing checks never take a snapshot for it.
   * @default true
   */
  explain?: boolean | ExplainFailureOptions;
  /** The largest acceptable growth. Say in a comment why this bound. */
  maxBytesPerIteration: number;
}

/** Retained bytes right now: V8 heap plus off-heap memory (Buffers included). */
export function retainedBytes(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

// One sample is the lowest of three readings, each after its own full
// collection. A single reading after a collection was sometimes a few hundred
// KB above the next (Scope's 20,000-iteration loop on Node 20: +250 KB in
// about one reading of 30, gone at the next collection; also the first
// reading after warm-up, 234 KB above the second), and one such reading near
// an end of the series moves a 20,000-iteration slope by ~7 B/iteration.
// Retained memory is in every reading, so the lowest still counts all of it.
const READINGS_PER_SAMPLE = 3;

async function settledBytes(): Promise<number> {
  let lowest = Infinity;
  for (let i = 0; i < READINGS_PER_SAMPLE; i++) {
    await nextMacrotask();
    collectGarbage();
    await nextMacrotask();
    lowest = Math.min(lowest, retainedBytes());
  }
  return lowest;
}

/**
 * Runs `iteration` repeatedly and fits a line through the retained bytes
 * sampled after full collections (each sample the lowest of three readings,
 * each after its own collection); the slope is the growth per iteration.
 *
 * Loops yield to the event loop every `yieldEvery` iterations: a
 * microtask-only loop of thousands of promises can exhaust memory on its own
 * (nodejs/node#51452) and confound the measurement.
 *
 * @example
 * ```ts
 * import { measureHeapSlope } from 'leakproof/testing';
 * const { bytesPerIteration } = await measureHeapSlope(
 *   () => race([Promise.resolve(1), longLived]),
 *   { iterations: 10_000 },
 * );
 * ```
 */
export async function measureHeapSlope(
  iteration: (index: number) => unknown,
  options: HeapSlopeOptions,
): Promise<HeapSlope> {
  return (await measure(iteration, options)).slope;
}

const SLOPE_OPTION_NAMES = ['iterations', 'samples', 'warmup', 'yieldEvery'];
const FLAT_HEAP_OPTION_NAMES = [...SLOPE_OPTION_NAMES, 'maxBytesPerIteration', 'explain'];

async function measure(
  iteration: (index: number) => unknown,
  options: HeapSlopeOptions,
  known: readonly string[] = SLOPE_OPTION_NAMES,
): Promise<{ slope: HeapSlope; run: (count: number) => Promise<void> }> {
  validateFunction(iteration, 'iteration');
  validateOptionsBag(options, 'options', known);
  if (options === undefined) throw new TypeError('The "options" argument must be of type object. Received undefined');
  const { iterations } = options;
  validateInteger(iterations, 'options.iterations', 2);
  const sampleCount = options.samples ?? 10;
  validateInteger(sampleCount, 'options.samples', 2, iterations);
  const warmup = options.warmup ?? Math.ceil(iterations / 10);
  validateInteger(warmup, 'options.warmup', 0);
  const yieldEvery = options.yieldEvery ?? 100;
  validateInteger(yieldEvery, 'options.yieldEvery', 1);

  let index = 0;
  const run = async (count: number): Promise<void> => {
    for (let i = 0; i < count; i++) {
      await iteration(index++);
      if (index % yieldEvery === 0) await nextMacrotask();
    }
  };

  await run(warmup);
  const samples: Array<{ iteration: number; bytes: number }> = [];
  samples.push({ iteration: 0, bytes: await settledBytes() });
  const step = iterations / (sampleCount - 1);
  let done = 0;
  for (let s = 1; s < sampleCount; s++) {
    const target = Math.round(step * s);
    await run(target - done);
    done = target;
    samples.push({ iteration: done, bytes: await settledBytes() });
  }
  return { slope: { bytesPerIteration: slope(samples), samples }, run };
}

/**
 * Asserts that a loop's retained memory does not grow: fails with a
 * {@link LeakError} when the fitted slope exceeds `maxBytesPerIteration`.
 *
 * @example
 * ```ts
 * import { expectFlatHeap } from 'leakproof/testing';
 * // Native Promise.race leaves ~312 B per race on a long-lived contender;
 * // 64 B/iteration is well below that and well above measurement noise.
 * await expectFlatHeap(() => race([Promise.resolve(1), longLived]), {
 *   iterations: 10_000,
 *   maxBytesPerIteration: 64,
 * });
 * ```
 */
export async function expectFlatHeap(
  iteration: (index: number) => unknown,
  options: ExpectFlatHeapOptions,
): Promise<HeapSlope> {
  validateOptionsBag(options, 'options', FLAT_HEAP_OPTION_NAMES);
  validateNumber(options?.maxBytesPerIteration, 'options.maxBytesPerIteration', 0);
  const explain = readExplainOptions(options.explain, 'options.explain');
  const { slope: result, run } = await measure(iteration, options, FLAT_HEAP_OPTION_NAMES);
  if (result.bytesPerIteration > options.maxBytesPerIteration) {
    let message =
      `Retained memory grows by ${result.bytesPerIteration.toFixed(1)} bytes per iteration ` +
      `(allowed: ${options.maxBytesPerIteration}) over ${options.iterations} iterations`;
    // Only now, about to fail, are two snapshots worth their cost: the loop
    // runs once more between them (at most GROWTH_ITERATIONS iterations).
    let growth: HeapGrowth | undefined;
    let unavailable: string | undefined = explain ? undefined : 'explanations turned off (options.explain or LEAKPROOF_EXPLAIN=0)';
    if (explain) {
      const heap = process.memoryUsage().heapUsed;
      if (heap > explain.maxHeapBytes) {
        unavailable = `no growth explanation: the heap (${(heap / 1048576).toFixed(0)} MB) is above the explanation cap (${(explain.maxHeapBytes / 1048576).toFixed(0)} MB; option maxHeapBytes)`;
      } else {
        const count = Math.min(options.iterations, GROWTH_ITERATIONS);
        const explained = await explainGrowth(() => run(count), count);
        if (typeof explained === 'string') unavailable = explained;
        else growth = explained;
      }
    }
    if (growth !== undefined) message += `\n\n${renderGrowth(growth)}`;
    else if (unavailable !== undefined && explain) message += `\n(${unavailable})`;
    throw new LeakError(message, {
      alive: 0,
      total: options.iterations,
      rounds: result.samples.length,
      bytesPerIteration: result.bytesPerIteration,
      ...(growth === undefined ? {} : { growth }),
      ...(growth === undefined ? { retainers: [] } : { retainers: growth.example === undefined ? [] : [growth.example] }),
      ...(unavailable === undefined ? {} : { explanationUnavailable: unavailable }),
    });
  }
  return result;
}

function slope(samples: ReadonlyArray<{ iteration: number; bytes: number }>): number {
  const n = samples.length;
  let sx = 0;
  let sy = 0;
  for (const { iteration, bytes } of samples) {
    sx += iteration;
    sy += bytes;
  }
  const mx = sx / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (const { iteration, bytes } of samples) {
    num += (iteration - mx) * (bytes - my);
    den += (iteration - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

function renderGrowth(growth: HeapGrowth): string {
  const lines = [`What grew over ${growth.iterations} more iterations (two heap snapshots, by type):`];
  growth.top.forEach((entry, k) => {
    const count = entry.countPerIteration;
    const via = k === 0 && growth.example !== undefined ? `, via ${renderStepSummary(growth.example)}` : '';
    lines.push(
      `  \`${entry.type}\`: ${count >= 0 ? '+' : ''}${formatCount(count)} per iteration, ` +
        `${entry.bytesPerIteration >= 0 ? '+' : ''}${entry.bytesPerIteration.toFixed(0)} B per iteration${via}`,
    );
  });
  if (growth.example !== undefined) lines.push(renderExplanation(growth.example, 12));
  return lines.join('\n');
}

function formatCount(count: number): string {
  // Growth too small to show at two decimals is still growth: say so rather than "+0".
  if (count !== 0 && Math.abs(count) < 0.005) return '~0';
  return String(Number(count.toFixed(2)));
}
