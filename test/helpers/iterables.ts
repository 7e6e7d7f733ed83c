// Test sources for abortableIterator and pump: iterators that count what was
// done to them, hang where told, and fail where told.

/** How a source's `return()` behaves. */
export type ReturnBehavior = 'ok' | 'hang' | 'throw' | 'reject' | 'non-object' | 'missing';

/** What a tracked source does at each step. */
export interface SourcePlan<T> {
  /** The values yielded, in order; then the source is done. */
  values: readonly T[];
  /** Index of the `next()` call that never settles (and every later one). */
  hangAt?: number;
  /** Index of the `next()` call that rejects (async) or throws (sync). */
  failAt?: number;
  /** Sync sources: index of the value that is yielded as a rejected promise. */
  rejectValueAt?: number;
  /** Sync sources: index of the value that is yielded as a promise that never settles. */
  hangValueAt?: number;
  /** Sync sources: yield every value wrapped in a resolved promise. */
  promiseValues?: boolean;
  /** @default 'ok' */
  returnBehavior?: ReturnBehavior;
  /** A sync iterator (only `Symbol.iterator`) instead of an async one. */
  sync?: boolean;
}

/** The error a tracked source fails with. */
export class SourceError extends Error {
  override readonly name = 'SourceError';
}

/** The error a tracked source's `return()` throws or rejects with. */
export class ReturnError extends Error {
  override readonly name = 'ReturnError';
}

const never = (): Promise<never> => new Promise<never>(() => {});

/**
 * An iterator that is its own iterable (so it counts as "already started":
 * `source[Symbol.asyncIterator]()` returns itself) and counts every call.
 */
export class TrackedSource<T> {
  nextCalls = 0;
  returnCalls = 0;
  /** Set once a sync source has yielded its rejected value. */
  rejectedValue = false;
  /** Called when the source finishes by itself (done or failure), for ordering checks. */
  onFinish: (() => void) | undefined = undefined;
  /** Most `next()` calls in flight at once (async sources). */
  maxInFlight = 0;
  #inFlight = 0;
  readonly #plan: SourcePlan<T>;
  #index = 0;
  #done = false;

  constructor(plan: SourcePlan<T>) {
    this.#plan = plan;
    const returnBehavior = plan.returnBehavior ?? 'ok';
    if (plan.sync) {
      (this as unknown as Iterable<T>)[Symbol.iterator] = () => this as unknown as Iterator<T>;
      (this as unknown as { next: () => unknown }).next = () => this.#syncNext();
    } else {
      (this as unknown as AsyncIterable<T>)[Symbol.asyncIterator] = () => this as unknown as AsyncIterator<T>;
      (this as unknown as { next: () => unknown }).next = () => this.#asyncNext();
    }
    if (returnBehavior !== 'missing') {
      (this as unknown as { return: () => unknown }).return = () => this.#return(returnBehavior);
    }
  }

  /** This source, typed as what it is at run time for the wrappers' parameters. */
  get iterable(): AsyncIterable<T> {
    return this as unknown as AsyncIterable<T>;
  }

  /** Values handed out so far. */
  get pulled(): number {
    return this.#index;
  }

  #asyncNext(): Promise<IteratorResult<T>> {
    const call = this.nextCalls++;
    const { hangAt, failAt, values } = this.#plan;
    if (hangAt !== undefined && call >= hangAt) return never();
    if (failAt !== undefined && call === failAt) {
      this.#finish();
      return Promise.reject(new SourceError(`next() #${call} failed`));
    }
    if (this.#done || this.#index >= values.length) {
      this.#finish();
      return Promise.resolve({ value: undefined, done: true });
    }
    this.#inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.#inFlight);
    const value = values[this.#index++]!;
    return Promise.resolve().then(() => {
      this.#inFlight--;
      return { value, done: false };
    });
  }

  #syncNext(): IteratorResult<unknown> {
    const call = this.nextCalls++;
    const { failAt, rejectValueAt, hangValueAt, promiseValues, values } = this.#plan;
    if (failAt !== undefined && call === failAt) {
      this.#finish();
      throw new SourceError(`next() #${call} failed`);
    }
    if (this.#done || this.#index >= values.length) {
      this.#finish();
      return { value: undefined, done: true };
    }
    const index = this.#index++;
    const value = values[index]!;
    if (rejectValueAt === index) {
      this.rejectedValue = true;
      const rejected = Promise.reject(new SourceError(`value #${index} rejected`));
      return { value: rejected, done: false };
    }
    if (hangValueAt === index) return { value: never(), done: false };
    return { value: promiseValues ? Promise.resolve(value) : value, done: false };
  }

  #finish(): void {
    if (!this.#done) this.onFinish?.();
    this.#done = true;
  }

  #return(behavior: ReturnBehavior): unknown {
    this.returnCalls++;
    this.#done = true;
    switch (behavior) {
      case 'hang':
        return never();
      case 'throw':
        throw new ReturnError('return() threw');
      case 'reject':
        return this.#plan.sync ? { done: true } : Promise.reject(new ReturnError('return() rejected'));
      case 'non-object':
        return this.#plan.sync ? 42 : Promise.resolve(42);
      default:
        return this.#plan.sync ? { value: undefined, done: true } : Promise.resolve({ value: undefined, done: true });
    }
  }
}

/** A tracked async source that yields `values` then hangs forever (never done). */
export function hangingAfter<T>(values: readonly T[], returnBehavior: ReturnBehavior = 'ok'): TrackedSource<T> {
  return new TrackedSource({ values, hangAt: values.length, returnBehavior });
}

/** Lets every queued microtask and one macrotask turn run. */
export function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Whether `promise` has settled after `ticks` microtask turns (observing it
 * attaches a handler, so a rejection is not reported as unhandled).
 */
export async function settlesWithin(promise: Promise<unknown>, ticks: number): Promise<boolean> {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  for (let i = 0; i < ticks; i++) await Promise.resolve();
  return settled;
}

/**
 * Counts `addEventListener('abort', ...)` calls on one signal, so a test can
 * tell "attached nothing" from "attached and removed".
 */
export function countAttaches(signal: AbortSignal): { readonly count: number } {
  const counter = { count: 0 };
  const add = signal.addEventListener.bind(signal);
  signal.addEventListener = ((type: string, ...rest: unknown[]) => {
    if (type === 'abort') counter.count++;
    return (add as (...args: unknown[]) => void)(type, ...rest);
  }) as typeof signal.addEventListener;
  return counter;
}

/**
 * The loop `abortable-iterator` and Deno std's `abortable` are built on,
 * written here as the positive control: an `async function*` that races each
 * `next()` against one long-lived abort promise. It keeps every value (the
 * race's reactions on the abort promise), keeps the last one in its frame,
 * pulls once more after an idle abort, and its `return()` queues behind a
 * pending `next()`.
 */
export async function* raceLoop<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  let rejectAbort!: (reason: unknown) => void;
  const aborted = new Promise<never>((_, reject) => {
    rejectAbort = reject;
  });
  aborted.catch(() => {});
  const onAbort = (): void => rejectAbort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const iterator = source[Symbol.asyncIterator]();
  for (;;) {
    const result = await Promise.race([aborted, iterator.next()]);
    if (result.done) {
      signal.removeEventListener('abort', onAbort);
      return;
    }
    yield result.value;
  }
}

/** What a payload source makes: large, so a leak is unmistakable. */
export type PayloadKind = 'array' | 'buffer';

/** Makes one payload: a 10,000-element array (on-heap) or a 1 MiB Buffer (off-heap). */
export function makePayload(kind: PayloadKind, index: number): object {
  return kind === 'array' ? new Array<number>(10_000).fill(index) : Buffer.alloc(1 << 20, index & 0xff);
}

/**
 * Pulls parked by payload sources, held here (module-level, so for the whole
 * process) the way a live producer holds the requests it has yet to answer.
 * This keeps a running loop reachable, as in production: a test on a loop
 * that nothing roots would pass whatever the loop retained.
 */
export const parkedPulls: Array<() => void> = [];

/**
 * A long-running async source that yields `limit` fresh payloads, handing each
 * to `onPayload` (to be tracked), then parks every further pull in
 * `parkedPulls` until the test resumes it with one more payload. It keeps no
 * payload itself.
 */
export class PayloadSource implements AsyncIterableIterator<object> {
  produced = 0;
  returnCalls = 0;
  readonly #limit: number;
  readonly #kind: PayloadKind;
  readonly #onPayload: (payload: object, index: number) => void;

  constructor(limit: number, kind: PayloadKind, onPayload: (payload: object, index: number) => void) {
    this.#limit = limit;
    this.#kind = kind;
    this.#onPayload = onPayload;
  }

  next(): Promise<IteratorResult<object>> {
    if (this.produced >= this.#limit) {
      return new Promise((resolve) => {
        parkedPulls.push(() => resolve({ value: this.#make(), done: false }));
      });
    }
    return Promise.resolve({ value: this.#make(), done: false });
  }

  return(): Promise<IteratorResult<object>> {
    this.returnCalls++;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #make(): object {
    const index = this.produced++;
    const payload = makePayload(this.#kind, index);
    this.#onPayload(payload, index);
    return payload;
  }
}

/** Answers the most recently parked pull with one more payload. */
export function resumeParked(): void {
  const resume = parkedPulls.pop();
  if (resume === undefined) throw new Error('no parked pull');
  resume();
}

/**
 * A source fed from outside, one value per `push()`. A value pushed while no
 * `next()` waits is buffered until the next one; delivered values are not kept.
 */
export class PushSource<T> implements AsyncIterableIterator<T> {
  #waiting: ((result: IteratorResult<T>) => void) | null = null;
  readonly #buffer: T[] = [];

  push(value: T): void {
    const resolve = this.#waiting;
    if (resolve === null) {
      this.#buffer.push(value);
      return;
    }
    this.#waiting = null;
    resolve({ value, done: false });
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#buffer.length > 0) return Promise.resolve({ value: this.#buffer.shift()!, done: false });
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.#waiting = null;
    this.#buffer.length = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * Promises that a long-lived producer keeps: a source whose `next()` returns
 * one of these hangs, and the promise (with its reactions) stays reachable
 * from here for the whole process, as a real stuck request does.
 */
export const stuckRequests: Array<Promise<never>> = [];

/** An async source whose every `next()` hangs on a promise kept in `stuckRequests`. */
export class StuckSource implements AsyncIterableIterator<never> {
  returnCalls = 0;
  next(): Promise<IteratorResult<never>> {
    const stuck = new Promise<never>(() => {});
    stuckRequests.push(stuck);
    return stuck;
  }
  return(): Promise<IteratorResult<never>> {
    this.returnCalls++;
    return Promise.resolve({ value: undefined, done: true });
  }
  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * The control for "a hung pull pins nothing": a minimal class wrapper that can
 * settle a pending next() on abort, but whose reaction on the source's promise
 * captures the wrapper itself (and through it the source).
 */
export class NaiveWrapper<T> implements AsyncIterableIterator<T> {
  readonly #source: AsyncIterator<T>;
  #reject: ((reason: unknown) => void) | null = null;
  readonly #signal: AbortSignal;
  readonly #onAbort = (): void => {
    this.#reject?.(this.#signal.reason);
    void this.#source.return?.();
  };

  constructor(source: AsyncIterable<T>, signal: AbortSignal) {
    this.#source = source[Symbol.asyncIterator]();
    this.#signal = signal;
    signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  next(): Promise<IteratorResult<T>> {
    return new Promise((resolve, reject) => {
      this.#reject = reject;
      this.#source.next().then((result) => {
        this.#reject = null;
        resolve(result);
      }, reject);
    });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * Collects the process warnings emitted (e.g. `MaxListenersExceededWarning`)
 * until `stop()`. Node emits them on a later tick: wait a macrotask before
 * reading `warnings`.
 */
export function captureWarnings(): { readonly warnings: Error[]; stop(): void } {
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => {
    warnings.push(warning);
  };
  process.on('warning', onWarning);
  return {
    warnings,
    stop: () => {
      process.off('warning', onWarning);
    },
  };
}

/** An async iterable whose every `next()` stays pending forever. */
export function neverSettling(): AsyncIterable<never> {
  return { [Symbol.asyncIterator]: () => ({ next: () => new Promise<never>(() => {}) }) };
}
