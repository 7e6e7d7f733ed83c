// Error classes and predicates shared by the primitives.
//
// Aborts always reject with `signal.reason` (the web convention), so leakproof
// never wraps an abort in an error of its own. The classes here are for the
// conditions that are not aborts: a closed channel, a full channel, a closed
// scope. Each carries a stable `code`; match on `code` or `name`, because
// `instanceof` fails when two copies of the package are installed.

/** The error a closed {@link Channel} or {@link Scope} hands to late callers. */
export class ClosedError extends Error {
  override readonly name = 'ClosedError';
  readonly code = 'ERR_LEAKPROOF_CLOSED';
  constructor(message = 'The resource is closed', options?: ErrorOptions) {
    super(message, options);
  }
}

/** Thrown by a bounded queue whose overflow policy is `'error'` when it is full. */
export class OverflowError extends Error {
  override readonly name = 'OverflowError';
  readonly code = 'ERR_LEAKPROOF_OVERFLOW';
  constructor(message = 'The queue is full', options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * Whether `error` is an abort: a `DOMException`/`Error` named `'AbortError'`
 * (what `AbortController.abort()` produces) or one with code `'ABORT_ERR'`.
 *
 * Name-based on purpose: `instanceof` is unreliable across realms and package
 * copies. A custom `signal.reason` (say, a `TimeoutError`) is not an abort
 * error by this test; compare it with the signal's own `reason` instead.
 *
 * @example
 * ```ts
 * import { abortable, isAbortError } from 'leakproof';
 * try {
 *   await abortable(work, { signal });
 * } catch (error) {
 *   if (!isAbortError(error)) throw error;
 * }
 * ```
 */
export function isAbortError(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  const { name, code } = error as { name?: unknown; code?: unknown };
  return name === 'AbortError' || code === 'ABORT_ERR';
}

/** The reason `AbortController.abort()` uses when it is given none. */
export function defaultAbortReason(): DOMException {
  return new DOMException('This operation was aborted', 'AbortError');
}
