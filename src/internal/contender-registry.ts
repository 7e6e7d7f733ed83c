// One subscription per contender, shared by every race that waits on it.
//
// Leak: `Promise.race` calls `contender.then(resolve, reject)` on every
// contender, every call. A contender that stays pending (an abort promise, a
// shutdown promise) keeps each of those reactions, and through `resolve` each
// race's result promise and its value: ~312 bytes plus the value per race,
// forever (nodejs/node#17469).
//
// Invariant: a native promise gets at most one reaction from us in its
// lifetime, attached when it is first raced. That reaction reaches only a
// `Contender` record; races subscribe to and unsubscribe from the record, so
// once a race settles nothing reachable from a pending contender leads back to
// that race, its value, its input or its caller. Records are
// attached to the promise (see Stamp) and hold no reference to it: a record dies
// with its promise.
//
// Ordering: the built-in queues a reaction job per contender at the moment it
// subscribes, so among contenders that are already settled the first in
// iteration order wins. We cannot see whether a promise we already subscribed
// to has settled and its reaction is still queued, so a race joining an
// existing record does so through a marker job queued at the same point of
// iteration. The marker either delivers the record's known outcome (the
// contender had settled: exactly where the built-in's job would run) or joins
// the record (it had not: the record's own reaction will deliver, in the same
// microtask turn as the built-in). This is what keeps a previously raced,
// already-settled promise from winning out of order (the
// `@watchable/unpromise` bug).
//
// Refs: https://github.com/nodejs/node/issues/17469,
// https://github.com/trpc/trpc/issues/6156, tc39/ecma262 PerformPromiseRace.

import { ReturnsItsArgument } from './stamp.js';

/** Something waiting on contenders: a race, or one slot of an `any`. */
export interface Subscriber {
  /** True once the race it belongs to has settled: late markers must not join. */
  readonly done: boolean;
  fulfill(value: unknown): void;
  reject(reason: unknown): void;
}

const PENDING = 0;
const FULFILLED = 1;
const REJECTED = 2;

/**
 * The shared subscription state of one native promise. `first` is the fast
 * path (most promises are raced by one race at a time); `more` holds the rest
 * and is dropped once empty so an idle long-lived contender costs a fixed few
 * dozen bytes.
 */
export class Contender {
  status: number = PENDING;
  /** The outcome once the reaction has run. The promise holds it too, so this adds no lifetime. */
  outcome: unknown = undefined;
  first: Subscriber | null = null;
  more: Set<Subscriber> | null = null;

  add(subscriber: Subscriber): void {
    // `first` is reused only when nobody else waits: a subscriber joining
    // after `first` left must still be delivered after those in `more`.
    if (this.first === null && this.more === null) {
      this.first = subscriber;
    } else {
      (this.more ??= new Set()).add(subscriber);
    }
  }

  remove(subscriber: Subscriber): void {
    // Not `else`: `race([p, p])` can subscribe the same race twice.
    if (this.first === subscriber) this.first = null;
    if (this.more !== null) {
      this.more.delete(subscriber);
      if (this.more.size === 0) this.more = null;
    }
  }
}

// Trick: the record is attached to the promise itself as a private field,
// through the base-class return-override idiom (internal/stamp.ts), instead of
// living in a module-level WeakMap. What it buys: time per race, because a
// race looks up (and often creates) a record per contender. Measured in
// bench/tricks.bench.ts, rows "stamp on promises" (race with a copy of this
// file that uses a WeakMap) (Node 20.20 / 22.23 / 24.22, bench/tricks.bench.ts, without ÷ with, 2026-12-05): race(fresh, long-lived) 2.89x / 3.94x /
// 3.91x faster with the stamp in steady state, 1.67x / 1.81x / 1.97x after a
// full GC – the path every race takes; but race(long-lived, long-lived), two
// promises raced before, is 0.55x / 0.38x / 0.37x (slower with the stamp; not
// yet understood, kept as a known cost). It does not buy memory: a raced promise kept
// alive retains ~150 B with the stamp against ~113-140 B with a WeakMap entry
// (20,000 kept; Node 20.19.0, 22.23.5, 24.22.3). No leak guarantee needs it:
// both die with the promise. The WeakMap stays as the fallback for a promise
// that refuses the field (should an engine ever apply non-extensibility to
// private fields).
class Stamp extends ReturnsItsArgument {
  #record: Contender;

  private constructor(target: object, record: Contender) {
    super(target);
    this.#record = record;
  }

  static read(target: object): Contender | undefined {
    return #record in target ? (target as Stamp).#record : fallback.get(target);
  }

  static write(target: object, record: Contender): void {
    try {
      new Stamp(target, record);
    } catch {
      fallback.set(target, record);
    }
  }
}

const fallback = /* @__PURE__ */ new WeakMap<object, Contender>();

// Trick: an idle instance. V8 holds the hidden classes that class fields
// transition through only weakly. When a full GC finds no record and no
// stamped promise alive (an idle service between bursts), those maps die and
// every function compiled against them is deoptimised ("weak objects"), so the
// next burst starts unoptimised. One idle record on one idle, never-settling
// stamped promise keeps the shapes alive. What it buys is measured in
// bench/tricks.bench.ts, row "idle instances" (a copy of race.ts and this
// file without them): 2.41x / 2.22x / 3.42x faster with them after a full GC,
// 1.00x / 0.76x / 1.17x in steady state (Node 20.20 / 22.23 / 24.22). Created on first use so that importing the module
// has no side effect.
let idleRecord: Contender | undefined;
let idlePromise: Promise<never> | undefined;

function retainShapes(): void {
  idleRecord = new Contender();
  idlePromise = new Promise<never>(noop);
  Stamp.write(idlePromise, idleRecord);
}

function noop(): void {}

/**
 * Subscribes `subscriber` to `promise` (a native promise, the result of
 * `Promise.resolve(x)`) and returns the record to unsubscribe from.
 *
 * `shared` is false for promises only this call can ever see (converted
 * thenables and values): they get a record of their own, so a foreign thenable
 * that never settles holds only that record, never the race.
 */
export function subscribe(promise: Promise<unknown>, subscriber: Subscriber, shared: boolean): Contender {
  if (idleRecord === undefined) retainShapes();
  let record = shared ? Stamp.read(promise) : undefined;
  if (record === undefined) {
    record = new Contender();
    record.first = subscriber;
    // Attach before stamping: `then` is user code (an own or inherited
    // override on a native promise) and may throw. Then the caller gets the
    // exception, as Promise.race does, and the promise carries no record
    // without a reaction, which would leave every later race on it pending.
    attach(promise, record);
    if (shared) Stamp.write(promise, record);
    return record;
  }
  // An existing record: its promise may already have settled with the
  // reaction still queued, so join at a marker job queued right here.
  enqueueMarker(record, subscriber);
  return record;
}

// A module-level helper so the two reactions close over the record only:
// closures created next to the caller's data would pin it (see STYLE.md).
function attach(promise: Promise<unknown>, record: Contender): void {
  promise.then(
    (value) => settle(record, FULFILLED, value),
    (reason) => settle(record, REJECTED, reason),
  );
}

function settle(record: Contender, status: number, outcome: unknown): void {
  record.status = status;
  record.outcome = outcome;
  const { first, more } = record;
  record.first = null;
  record.more = null;
  if (first !== null) deliver(first, status, outcome);
  if (more !== null) for (const subscriber of more) deliver(subscriber, status, outcome);
}

function deliver(subscriber: Subscriber, status: number, outcome: unknown): void {
  if (status === FULFILLED) subscriber.fulfill(outcome);
  else subscriber.reject(outcome);
}

// One closure per marker job, holding its (record, subscriber) pair. v0.1
// paired jobs with a flat module-level queue instead (microtasks run FIFO);
// bench/tricks.bench.ts measured that trick at 1.02x / 1.81x / 0.64x of this
// plain form in steady state on Node 20.20 / 22.23 / 24.22 (1.84x / 1.21x /
// 0.85x after a forced GC): no consistent gain, so the plain form stays, and
// with it no queue whose storage could outgrow the live jobs.
const RESOLVED = /* @__PURE__ */ Promise.resolve();

function enqueueMarker(record: Contender, subscriber: Subscriber): void {
  void RESOLVED.then(() => runMarker(record, subscriber));
}

function runMarker(record: Contender, subscriber: Subscriber): void {
  if (subscriber.done) return;
  if (record.status === PENDING) record.add(subscriber);
  else deliver(subscriber, record.status, record.outcome);
}
