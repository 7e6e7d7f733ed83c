// Errors of the testing kit. They carry counts and labels only, never the
// tracked objects: a kept assertion error must not be what keeps a leak alive
// (an `AssertionError` keeps `err.actual`).

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

  constructor(
    message: string,
    details: { alive: number; total: number; labels?: readonly string[]; rounds: number; bytesPerIteration?: number },
  ) {
    super(message);
    this.alive = details.alive;
    this.total = details.total;
    this.labels = details.labels ?? [];
    this.rounds = details.rounds;
    this.bytesPerIteration = details.bytesPerIteration;
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
