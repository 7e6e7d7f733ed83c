// `abortableIterator`: any async or sync iterable as an async iterator that an
// AbortSignal stops at once, without leaving anything behind.
//
// Leak: the usual wrapper is an `async function*` looping over
// `await Promise.race([source.next(), abortPromise])`. Each race leaves a
// reaction on the long-lived abort promise that reaches that item's value, so
// the loop keeps every value it ever yielded (Deno std's `abortable`). The
// generator frame keeps the last value while the consumer is idle. A consumer
// `break` ends the generator at its `yield`, so the code that would remove the
// abort listener and close the source never runs (`abortable-iterator`: one
// listener left on the signal per loop, the source never closed). And a
// generator's `return()` queues behind its pending `next()`, so a wrapper
// whose source hangs cannot be closed at all (tc39/proposal-async-iteration#126).
//
// Invariant: the wrapper is a plain iterator object (internal/iterator-engine.ts,
// shared with pump) whose only terminal path is one idempotent close, run on
// done, source error, abort, `return()` and `throw()`. It stores the
// resolving functions of pending `next()` calls and never a value: each
// result goes straight from the source's promise to the consumer's. It
// subscribes to the signal on the first `next()`, through the signal's shared
// abort hub (internal/abort-hub.ts: one native listener per signal for all of
// leakproof, O(1) to join and leave), and the close unsubscribes. Everything
// the source or the signal can reach of it goes through one small link whose
// owner the close clears: a source that never settles pins a few dozen bytes,
// not the wrapper, and nothing it delivers late is used or pulled for.
//
// Refs: issue 3; https://github.com/tc39/proposal-async-iteration/issues/126;
// https://tc39.es/ecma262/#sec-createasyncfromsynciterator and
// https://github.com/tc39/ecma262/pull/2600 (a sync iterator that yields a
// rejected promise is closed); repeaterjs/repeater (the 1024 pending-call cap).

import { iteratorMethod, MAX_PENDING_NEXT_CALLS, openIterator } from './internal/iterator-engine.js';
import {
  validateOptionalAbortSignal,
  validateOptionalFunction,
  validateOptionsBag,
} from './internal/validate.js';

export { MAX_PENDING_NEXT_CALLS };

/** Options of {@link abortableIterator}. */
export interface AbortableIteratorOptions {
  /**
   * Aborting it settles every pending `next()` at once with `signal.reason`,
   * closes the source and ends the iteration. The wrapper subscribes to it on
   * the first `next()`, not before, and unsubscribes on every terminal path.
   * @default undefined (the iteration can still be ended by `return()`)
   */
  signal?: AbortSignal | undefined;
  /**
   * Called (from a microtask) with what went wrong when closing the source:
   * its `return()` threw, rejected, or resolved to a non-object. The wrapper
   * never waits for the source's `return()`, so this is the only place such an
   * error can surface.
   * @default undefined (such errors are ignored)
   */
  onReturnError?: ((error: unknown) => void) | undefined;
}

/**
 * What {@link abortableIterator} returns: an async iterable iterator whose
 * `return()` and `throw()` always exist, and that `await using` disposes of.
 */
export interface AbortableIterator<T> extends AsyncIterableIterator<T>, AsyncDisposable {
  /**
   * Ends the iteration: settles waiting `next()` calls with `{ done: true }`
   * and calls the source's `return()` once, without waiting for it.
   * Resolves with `{ value, done: true }`.
   */
  return(value?: unknown): Promise<IteratorResult<T>>;
  /** Ends the iteration as `return()` does, then rejects with `error`. */
  throw(error?: unknown): Promise<IteratorResult<T>>;
  [Symbol.asyncIterator](): AbortableIterator<T>;
}

/**
 * Wraps an async or sync iterable in an async iterator that an `AbortSignal`
 * can end at once, even while the source's `next()` is pending forever.
 *
 * The source's iterator is acquired at once (as `for await` does), so a
 * throwing `[Symbol.asyncIterator]()` throws here. It is pulled one item at a
 * time: concurrent `next()` calls queue (at most
 * {@link MAX_PENDING_NEXT_CALLS}) and settle in order. A sync iterable is
 * iterated the way `for await` does it: promise values are awaited, one
 * that rejects closes the source (the current spec, tc39/ecma262#2600), and
 * each item reaches the consumer in a result object of its own (a source that
 * reuses one result object cannot overwrite a value not yet read). An async
 * source's result objects are passed on as they are.
 *
 * Guarantees:
 * - Abort rejects every pending `next()` with `signal.reason` at once (in the
 *   same task as the abort event), whatever the source is doing. Aborted while
 *   no `next()` is pending, the next call rejects with the reason; later calls
 *   return `{ done: true }`. An already-aborted signal rejects the first
 *   `next()` without pulling from the source.
 * - The source's `return()` is called exactly once when the iteration ends
 *   early: abort, `return()` (a `break`), `throw()`, or a sync source's
 *   rejected value. Never after it ended by itself (`done`) or failed (its
 *   `next()` threw or rejected), as `for await` does. It is not awaited: a
 *   `return()` that hangs cannot block the consumer, and its errors go to
 *   `onReturnError`, never in place of the abort reason.
 * - Nothing is pulled from the source once it is closed or the signal has
 *   aborted.
 * - The wrapper subscribes to the signal on the first `next()` (one that is
 *   never started holds nothing on the signal) and unsubscribes on every
 *   terminal path: done, source error, abort, `return()`, `throw()`. All
 *   leakproof subscriptions on a signal share one native `abort` listener.
 * - It never holds a value it has handed out, and once closed it holds neither
 *   the source nor the signal.
 * - `return()` and `throw()` settle at once and settle every waiting `next()`
 *   with `{ done: true }`, even while the source's `next()` hangs (an async
 *   generator's `return()` would queue behind it). One exception, the price
 *   of the signal-less fast path: without a signal, the one `next()` already
 *   waiting on the source settles when the source's `next()` does.
 *
 * Does not: cancel work the source is doing (pass the same signal to the
 * source if it can take one); forward `next(value)` arguments, or
 * `throw(error)` to the source (`throw()` closes the source with `return()`);
 * wait for the source's `return()` (consumers that must know when the source
 * has finished cleaning up should close it themselves).
 *
 * @param source An async iterable, or a sync iterable of values or promises.
 * @param options `signal` and `onReturnError`.
 * @returns An async iterable iterator that is also `AsyncDisposable`
 * (`await using`), disposing of which calls `return()`.
 * @throws {TypeError} `ERR_INVALID_ARG_TYPE` when `source` is not iterable,
 * `options` is not an object (a signal passed in its place is told to be
 * passed as `{ signal }`), `options.signal` is not an `AbortSignal` or
 * `options.onReturnError` is not a function; `ERR_INVALID_ARG_VALUE` when
 * `options` has a property other than `signal` and `onReturnError`, or the
 * source's iterator method does not return an object. Whatever the source's
 * `[Symbol.asyncIterator]()` / `[Symbol.iterator]()` throws.
 *
 * @example
 * ```ts
 * import { abortableIterator } from 'leakproof';
 *
 * // Stops as soon as the client disconnects, even while `events` is idle.
 * try {
 *   for await (const event of abortableIterator(events, { signal: request.signal })) {
 *     response.write(`data: ${JSON.stringify(event)}\n\n`);
 *   }
 * } catch (error) {
 *   if (error !== request.signal.reason) throw error;
 * }
 * ```
 */
export function abortableIterator<T>(
  source: AsyncIterable<T> | Iterable<T | PromiseLike<T>>,
  options?: AbortableIteratorOptions,
): AbortableIterator<T> {
  const method = iteratorMethod(source, 'source');
  validateOptionsBag(options, 'options', OPTIONS);
  const signal = options?.signal;
  validateOptionalAbortSignal(signal, 'options.signal');
  const onReturnError = options?.onReturnError;
  validateOptionalFunction(onReturnError, 'options.onReturnError');
  return openIterator<T>(source, method, signal, onReturnError);
}

const OPTIONS = ['signal', 'onReturnError'];
