// A promise with its resolving functions, for the primitives that settle a
// promise they made from code outside its executor.
//
// The plain form on purpose: v0.1 passed the functions through module-level
// slots that every caller had to read and clear at once, to save the executor
// closure. bench/tricks.bench.ts (row "resolver slots", race.ts against a copy
// with the closure) measured the slots slower in steady state on every
// supported Node (0.92x on 20.20, 0.92x on 22.23, 0.58x on 24.22: the closure
// was faster) and faster only after a forced GC on Node 20 (1.16x, but 0.74x
// on 22), so they were removed (issue 12: a trick stays only with a measured
// gain). The executor lives in this helper, not in the caller, so its context
// holds nothing of the caller's scope.

/** A promise's resolve function. */
export type Resolve<T = unknown> = (value: T) => void;
/** A promise's reject function. */
export type Reject = (reason: unknown) => void;

/** A new native promise and its resolving functions (`Promise.withResolvers`, which Node 20 lacks). */
export function withResolvers<T>(): { promise: Promise<T>; resolve: Resolve<T>; reject: Reject } {
  let resolve!: Resolve<T>;
  let reject!: Reject;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
