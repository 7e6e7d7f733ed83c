// Promises whose resolving functions are read back without a closure.
//
// `new Promise((resolve, reject) => { ... })` allocates an executor closure
// and its context per call, and that context can capture the caller's scope.
// A module-level executor writes the functions to two module slots instead;
// the executor runs synchronously, so the caller reads them back at once and
// must then call `clearResolvers()`: a slot left set would keep the last
// promise (and, once settled, its value) alive.
//
// Trick: module-level slots every caller must read and clear at once. What it
// buys over the plain per-call executor closure is measured in
// bench/tricks.bench.ts, row "resolver slots" (race.ts against a copy that
// uses the closure). No leak guarantee needs it: the plain closure's context
// holds only the two functions, and is dropped with the executor.

/** A promise's resolve function. */
export type Resolve<T = unknown> = (value: T) => void;
/** A promise's reject function. */
export type Reject = (reason: unknown) => void;

let resolveSlot: Resolve<never> | undefined;
let rejectSlot: Reject | undefined;

function capture(resolve: Resolve<never>, reject: Reject): void {
  resolveSlot = resolve;
  rejectSlot = reject;
}

/** A new native promise; read its functions with `lastResolve()`/`lastReject()`, then `clearResolvers()`. */
export function newPromise<T>(): Promise<T> {
  return new Promise<T>(capture);
}

/** The resolve function of the promise `newPromise()` just made. */
export function lastResolve<T = unknown>(): Resolve<T> {
  return resolveSlot as Resolve<T>;
}

/** The reject function of the promise `newPromise()` just made. */
export function lastReject(): Reject {
  return rejectSlot!;
}

/** Empties both slots. */
export function clearResolvers(): void {
  resolveSlot = rejectSlot = undefined;
}
