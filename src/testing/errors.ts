// Errors of the testing kit. They carry counts and labels only, never the
// tracked objects: a kept assertion error must not be what keeps a leak alive
// (an `AssertionError` keeps `err.actual`). Explanations are plain strings for
// the same reason: a retainer path names its holders, it never holds them.

/** One step of a retainer path: an object and the reference it follows next. */
export interface RetainerStep {
  /**
   * The object holding the next one, in a developer's words: a class name,
   * "closure `tick` (file:line:col)", "module-level variable `cache` of file",
   * "pending timer", "event listener for 'data' on EventEmitter", …
   */
  holder: string;
  /**
   * The reference from the holder to the next step (or to the object): a
   * property name, `[3]`, a captured variable, "Map entry",
   * "pending `.then` reaction", "resolved value", …
   */
  edge: string;
}

/** Why one object is still reachable: the shortest chain of strong references to it. */
export interface RetainerExplanation {
  /** The tracked object's label (`'object'` for {@link explainRetention}). */
  label: string;
  /** Where the chain starts, e.g. "global object", "module", "stack (a running or suspended function)". */
  root: string;
  /** The chain, from the root to the object; the last step's edge reaches the object. */
  steps: readonly RetainerStep[];
}

/** One type whose instances grew during a heap-slope check. */
export interface HeapGrowthEntry {
  /** Constructor or type name, as a heap snapshot names it (`Session`, `Array`, `(closure)`, `string`). */
  type: string;
  /** Instances added per iteration over the sampled window. */
  countPerIteration: number;
  /** Bytes (shallow size) added per iteration over the sampled window. */
  bytesPerIteration: number;
}

/** What grew while `expectFlatHeap` measured: the result of diffing two heap snapshots. */
export interface HeapGrowth {
  /** Iterations between the two snapshots. */
  iterations: number;
  /** The (up to 5) types that grew most, by bytes, largest first. */
  top: readonly HeapGrowthEntry[];
  /** A retainer path of one instance of the top type, when one could be found. */
  example: RetainerExplanation | undefined;
}

/** Thrown when objects that should be collectable are still reachable. */
export class LeakError extends Error {
  override readonly name = 'LeakError';
  readonly code = 'ERR_LEAKPROOF_LEAK';
  /** How many tracked objects were still reachable. */
  readonly alive: number;
  /** How many objects were tracked. */
  readonly total: number;
  /** Labels of (up to 20) survivors. */
  readonly labels: readonly string[];
  /** GC rounds run before giving up. */
  readonly rounds: number;
  /** For heap-slope checks: the measured growth, in bytes per iteration. */
  readonly bytesPerIteration: number | undefined;
  /**
   * Why (up to 3) survivors are still reachable, one entry per explained
   * object; empty when no explanation was made (see `explanationUnavailable`).
   */
  readonly retainers: readonly RetainerExplanation[];
  /** For heap-slope checks: what grew, when it could be found out. */
  readonly growth: HeapGrowth | undefined;
  /** One line saying why there is no explanation, when there is none. */
  readonly explanationUnavailable?: string;

  constructor(
    message: string,
    details: {
      alive: number;
      total: number;
      labels?: readonly string[];
      rounds: number;
      bytesPerIteration?: number;
      retainers?: readonly RetainerExplanation[];
      growth?: HeapGrowth;
      explanationUnavailable?: string;
    },
  ) {
    super(message);
    this.alive = details.alive;
    this.total = details.total;
    this.labels = details.labels ?? [];
    this.rounds = details.rounds;
    this.bytesPerIteration = details.bytesPerIteration;
    this.retainers = details.retainers ?? [];
    this.growth = details.growth;
    if (details.explanationUnavailable !== undefined) this.explanationUnavailable = details.explanationUnavailable;
  }
}

/** Thrown by `expectRetained` when an object that must stay alive was collected. */
export class CollectedError extends Error {
  override readonly name = 'CollectedError';
  readonly code = 'ERR_LEAKPROOF_COLLECTED';
  readonly collected: number;
  readonly total: number;
  readonly labels: readonly string[];

  constructor(message: string, details: { collected: number; total: number; labels: readonly string[] }) {
    super(message);
    this.collected = details.collected;
    this.total = details.total;
    this.labels = details.labels;
  }
}

/** Thrown when no garbage collector can be reached. */
export class GcUnavailableError extends Error {
  override readonly name = 'GcUnavailableError';
  readonly code = 'ERR_LEAKPROOF_NO_GC';
  constructor() {
    super(
      'collectGarbage() needs a gc function: run node with --expose-gc ' +
        "(vitest: pool 'forks' and execArgv ['--expose-gc']), or pass { allowFlagChange: true } " +
        'to turn the flag on at run time.',
    );
  }
}

/**
 * Rejected by {@link explainRetention} when no explanation can be made: no
 * `v8.writeHeapSnapshot` (a runtime that is not Node), no temporary directory,
 * a heap above the configured cap, or a snapshot that could not be read. The kit's assertions never throw it: they put its message in
 * `LeakError.explanationUnavailable` and fail exactly as before.
 */
export class ExplanationUnavailableError extends Error {
  override readonly name = 'ExplanationUnavailableError';
  readonly code = 'ERR_LEAKPROOF_NO_EXPLANATION';
}
