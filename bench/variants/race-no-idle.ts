// BENCH VARIANT, not library code: a faithful copy of the file named below with
// one trick removed, for bench/tricks.bench.ts. Everything else is kept
// line for line; keep it in step with the original when that changes.
// Original: src/race.ts. Removed: the idle RaceState/AnyState/AnySlot instances (retainShapes);
// uses contender-registry-no-idle.ts, which drops the registry's idle record too.

// `race` and `any`: drop-in `Promise.race` / `Promise.any` without retention.
//
// Leak: `Promise.race([iterator.next(), abortPromise])` in a loop. Each call
// leaves a reaction on the never-settling `abortPromise` that reaches that
// call's result promise and so its value; a subscription loop keeps every
// value it ever received (tRPC v11's WebSocket leak, nodejs/node#17469).
//
// Invariant: after a race settles, no contender can reach it. Every contender
// is subscribed through one shared record (internal/contender-registry.ts);
// settling releases the race from each record it joined, clears its list and
// drops its resolving functions *before* resolving, so the resolver is
// unreachable by the time user code runs. The input is iterated once and never
// read again.
//
// Refs: https://github.com/nodejs/node/issues/17469,
// https://github.com/trpc/trpc/issues/6156,
// https://tc39.es/ecma262/#sec-promise.race, #sec-promise.any.

import { withResolvers } from '../../src/internal/resolvers.js';
import { type Contender, type Subscriber, subscribe } from './contender-registry-no-idle.js';

type Resolve = (value: unknown) => void;
type Reject = (reason: unknown) => void;

/**
 * Settles like `Promise.race`: with the outcome of the first contender to
 * settle, in the same microtask turn as the built-in.
 *
 * Same signature, overloads and results as `Promise.race`: an empty input
 * never settles, a non-iterable rejects with a `TypeError`, non-promise values
 * count as already fulfilled, thenables are adopted in a later microtask.
 *
 * Guarantees: once the returned promise settles, no contender (however long
 * it stays pending) reaches it, its value, the input or the other contenders.
 * A long-lived contender carries one fixed-size reaction in total, however
 * many races it joins. The input is iterated exactly once.
 *
 * Does not: cancel the losers (they run on; their later rejections are
 * handled, as with the built-in). Races sharing a contender are settled
 * together by its single reaction, in the order they joined; relative to
 * unrelated `.then` callbacks on that same promise they may run earlier than
 * the built-in's per-race reactions would. A thenable that is not a native
 * promise is converted once per race, exactly as the built-in does; its `then`
 * keeps whatever it stores (a fresh promise's resolving functions), never the
 * race.
 *
 * @param values An iterable of promises, thenables or values.
 * @returns A new native promise.
 *
 * @example
 * ```ts
 * import { race } from 'leakproof';
 *
 * const stop = new Promise<never>((_, reject) => abortSignal.addEventListener('abort', reject));
 * while (true) {
 *   const next = await race([iterator.next(), stop]); // does not pin `next.value`
 *   if (next.done) break;
 *   send(next.value);
 * }
 * ```
 */
export function race<T extends readonly unknown[] | []>(values: T): Promise<Awaited<T[number]>>;
export function race<T>(values: Iterable<T | PromiseLike<T>>): Promise<Awaited<T>>;
export function race(values: Iterable<unknown>): Promise<unknown> {
  const { promise: result, resolve, reject } = withResolvers<unknown>();
  const state = new RaceState(resolve, reject);
  try {
    // `for...of` closes the iterator when the body throws and leaves it alone
    // when `next()` throws, exactly as PerformPromiseRace does.
    for (const value of values) {
      const promise = Promise.resolve(value);
      state.join(subscribe(promise, state, promise === value));
    }
  } catch (error) {
    state.reject(error);
  }
  return result;
}

/**
 * Settles like `Promise.any`: fulfils with the first contender to fulfil, or
 * rejects with an `AggregateError` whose `errors` are in iteration order once
 * all have rejected. An empty input rejects at once.
 *
 * Guarantees, and what it does not do, as for {@link race}.
 *
 * @param values An iterable of promises, thenables or values.
 * @returns A new native promise.
 *
 * @example
 * ```ts
 * import { any } from 'leakproof';
 * const fastest = await any([fetchFrom(mirrorA), fetchFrom(mirrorB), shutdown]);
 * ```
 */
export function any<T extends readonly unknown[] | []>(values: T): Promise<Awaited<T[number]>>;
export function any<T>(values: Iterable<T | PromiseLike<T>>): Promise<Awaited<T>>;
export function any(values: Iterable<unknown>): Promise<unknown> {
  const { promise: result, resolve, reject } = withResolvers<unknown>();
  const state = new AnyState(resolve, reject);
  try {
    // Spec steps of PerformPromiseAny: remaining starts at 1, each element
    // adds one and reserves its `errors` slot before subscribing.
    let index = 0;
    for (const value of values) {
      state.errors.push(undefined);
      const promise = Promise.resolve(value);
      const slot = new AnySlot(state, index++);
      state.slots.push(slot);
      state.remaining++;
      slot.record = subscribe(promise, slot, promise === value);
    }
  } catch (error) {
    state.fail(error);
    return result;
  }
  state.elementDone();
  return result;
}

class RaceState implements Subscriber {
  done = false;
  // Most races have one or two contenders: two inline slots spare an array.
  #record0: Contender | null = null;
  #record1: Contender | null = null;
  #records: Contender[] | null = null;
  #resolve: Resolve | null;
  #reject: Reject | null;

  constructor(resolve: Resolve, reject: Reject) {
    this.#resolve = resolve;
    this.#reject = reject;
  }

  join(record: Contender): void {
    if (this.#record0 === null) this.#record0 = record;
    else if (this.#record1 === null) this.#record1 = record;
    else (this.#records ??= []).push(record);
  }

  fulfill(value: unknown): void {
    const resolve = this.#resolve;
    if (resolve === null) return;
    this.#release();
    resolve(value);
  }

  reject(reason: unknown): void {
    const reject = this.#reject;
    if (reject === null) return;
    this.#release();
    reject(reason);
  }

  // The one release path: detach from every record before settling.
  #release(): void {
    this.done = true;
    this.#resolve = null;
    this.#reject = null;
    this.#record0?.remove(this);
    this.#record1?.remove(this);
    this.#record0 = this.#record1 = null;
    const records = this.#records;
    if (records !== null) {
      this.#records = null;
      for (let i = 0; i < records.length; i++) records[i]!.remove(this);
    }
  }
}

class AnyState {
  done = false;
  errors: unknown[] = [];
  slots: AnySlot[] = [];
  remaining = 1;
  #resolve: Resolve | null;
  #reject: Reject | null;

  constructor(resolve: Resolve, reject: Reject) {
    this.#resolve = resolve;
    this.#reject = reject;
  }

  fulfill(value: unknown): void {
    const resolve = this.#resolve;
    if (resolve === null) return;
    this.#release();
    resolve(value);
  }

  rejectAt(index: number, reason: unknown): void {
    if (this.done) return;
    this.errors[index] = reason;
    this.elementDone();
  }

  elementDone(): void {
    if (--this.remaining === 0) {
      this.fail(new AggregateError(this.errors, 'All promises were rejected'));
    }
  }

  fail(reason: unknown): void {
    const reject = this.#reject;
    if (reject === null) return;
    this.#release();
    reject(reason);
  }

  #release(): void {
    this.done = true;
    this.#resolve = null;
    this.#reject = null;
    this.errors = [];
    const { slots } = this;
    this.slots = [];
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      slot.record?.remove(slot);
      slot.record = null;
    }
  }
}

class AnySlot implements Subscriber {
  record: Contender | null = null;
  readonly #state: AnyState;
  readonly #index: number;

  constructor(state: AnyState, index: number) {
    this.#state = state;
    this.#index = index;
  }

  get done(): boolean {
    return this.#state.done;
  }

  fulfill(value: unknown): void {
    this.#state.fulfill(value);
  }

  reject(reason: unknown): void {
    this.#state.rejectAt(this.#index, reason);
  }
}
