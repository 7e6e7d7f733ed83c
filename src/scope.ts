// `Scope`: structured lifetimes for tasks, cleanups and child scopes.
//
// Leak: work that outlives its owner. A connection's `close()` aborts a
// controller but the read loop, the ping timer and the pending writes keep
// running; a caller awaiting a call whose promise never settles (a worker
// terminated mid-call, Comlink-style) keeps its whole frame, `this` included,
// forever; and the hand-written fix, `Promise.race([task, abortPromise])` or a
// child `AbortController` linked to a long-lived parent signal, leaves a
// reaction or an abort listener behind per call (nodejs/node#17469, and
// `AbortSignal.any` on Node 20 keeps every dependant of a long-lived source).
//
// Invariant: a closed scope holds nothing and is held by nothing it did not
// create. Closing settles every promise the scope handed out at once, with the
// close reason, so no caller waits on a task. Tasks are observed through the
// shared one-reaction-per-promise registry (internal/contender-registry.ts):
// a task whose promise never settles is detached when the close gives up on it,
// after which that promise reaches only an empty record, never the scope, the
// task or its caller. All open scopes of one owner signal share one abort
// listener on it; a scope leaves that listener's set when its close begins
// (the listener goes when the set empties), and a child scope leaves its
// parent's set when its close ends.
// The close timer exists only while a close waits, and is cleared by whichever
// of "last task settled" and "deadline" comes first.
//
// Refs: https://github.com/nodejs/node/issues/17469,
// https://vorpus.org/blog/notes-on-structured-concurrency-or-go-statement-considered-harmful/,
// https://pkg.go.dev/golang.org/x/sync/errgroup, Effection's scopes,
// https://github.com/tc39/proposal-explicit-resource-management.

import { withResolvers } from './internal/resolvers.js';
import { type AbortHub, type AbortSubscriber, joinAbortHub, leaveAbortHub } from './internal/abort-hub.js';
import { ClosedError, defaultAbortReason } from './errors.js';
import { type Contender, type Subscriber, subscribe } from './internal/contender-registry.js';
import {
  invalidArgType,
  outOfRange,
  validateBoolean,
  validateFunction,
  validateOptionalAbortSignal,
  validateOptionsBag,
} from './internal/validate.js';
import { emitWarning } from './internal/warn.js';

/** Options of the {@link Scope} constructor. */
export interface ScopeOptions {
  /**
   * The scope that owns this one: closing the parent closes this scope first
   * (its tasks are aborted, waited for and its cleanups run before the
   * parent's). A scope created under a parent that is already closing is born
   * closed.
   * @default undefined
   */
  parent?: Scope | undefined;
  /**
   * An owner signal: when it aborts, the scope closes with `signal.reason`.
   * All open scopes of one signal share a single abort listener on it, which
   * is removed when the last of them begins closing. An already-aborted
   * signal gives a scope that is born closed, and nothing is attached.
   * @default undefined
   */
  signal?: AbortSignal | undefined;
  /**
   * The grace period of a close: how long `close()` waits, by default, for
   * tasks to finish after their signal aborted, in milliseconds, 0 to
   * 2^31-1 or `Infinity` (wait as long as it takes). Not a lifetime: an open
   * scope never times out. Also used when the scope is closed by its owner
   * signal or by `failFast`, and by `await using`. When it runs out with
   * tasks still running, the close stops waiting for them, runs the cleanups,
   * resolves with their number in `pending`, and emits a process warning
   * (`LeakproofWarning`, code `LEAKPROOF_CLOSE_TIMEOUT`) naming them (each by
   * its function's name), so a task that ignores its signal is never silent.
   * (Named `timeout` in 0.1; `timeout` is now rejected with this name.)
   * @default 5000
   */
  closeTimeout?: number | undefined;
  /**
   * Close the scope, with the error as the reason, as soon as one task fails
   * (Go's `errgroup`). The failing task's caller still gets the error itself;
   * every other pending task's caller gets it as the close reason.
   * @default false
   */
  failFast?: boolean | undefined;
}

/** Options of {@link Scope.close}. */
export interface CloseOptions {
  /**
   * How long to wait for tasks to finish after their signal aborted, in
   * milliseconds, 0 to 2^31-1 or `Infinity`. Cleanups run when it elapses even
   * if tasks are still running; they are reported in `pending` and in a
   * `LEAKPROOF_CLOSE_TIMEOUT` warning. A later `close()` call may shorten a
   * running close's wait, never lengthen it.
   * @default the scope's `closeTimeout` option (5000)
   */
  timeout?: number | undefined;
}

/** What {@link Scope.close} resolves to. */
export interface CloseResult {
  /**
   * Tasks (of this scope and its descendants) that had not settled when the
   * wait ended: they ignored their signal for longer than the timeout. The
   * scope no longer observes them; their outcome is discarded. Each scope
   * also names its own in a `LEAKPROOF_CLOSE_TIMEOUT` process warning.
   */
  readonly pending: number;
}

/** The lifecycle of a {@link Scope}: states only advance. */
export type ScopeState = 'open' | 'closing' | 'closed';

// States, in order.
/** Accepts tasks and cleanups. */
const OPEN = 0;
/** Signal aborted; waiting for tasks and children, then running cleanups. Accepts cleanups, not tasks. */
const CLOSING = 1;
/** Everything released. Accepts nothing. */
const CLOSED = 2;

const STATE_NAMES: readonly ScopeState[] = ['open', 'closing', 'closed'];

/** A timer cannot wait longer (2^31 - 1 ms); above it Node silently uses 1 ms. */
const TIMEOUT_MAX = 2_147_483_647;
const DEFAULT_CLOSE_TIMEOUT = 5_000;

type Resolve = (value: unknown) => void;
type Reject = (reason: unknown) => void;
type TimerId = ReturnType<typeof setTimeout>;

/** The internal result of a close: never a rejection, so a parent can sum its children. */
interface Outcome {
  readonly pending: number;
  readonly errors: readonly unknown[];
}

const EMPTY_OUTCOME: Outcome = /* @__PURE__ */ Object.freeze({ pending: 0, errors: /* @__PURE__ */ Object.freeze([]) });
const EMPTY_RESULT: CloseResult = /* @__PURE__ */ Object.freeze({ pending: 0 });
// Shared by every scope that closes with nothing to wait for or clean up:
// both promises carry frozen, empty results, so sharing them is unobservable.
let emptyOutcomePromise: Promise<Outcome> | undefined;
let emptyResultPromise: Promise<CloseResult> | undefined;

/**
 * A lifetime: tasks started with {@link Scope.run}, cleanups registered with
 * {@link Scope.defer} and child scopes, all ended together by
 * {@link Scope.close} (or `await using`).
 *
 * Closing aborts {@link Scope.signal} with the reason, settles every promise
 * the scope handed out (rejected with the reason) at once, closes the child
 * scopes (youngest first, concurrently), waits for the tasks themselves to
 * finish for up to `closeTimeout` milliseconds, then runs the cleanups last-in
 * first-out, one at a time.
 *
 * A failing task is reported to the caller of `run()` only, and the scope
 * stays open (pass `failFast: true` for `errgroup` behaviour).
 *
 * Guarantees: after `close()` settles the scope holds no task, value, promise
 * resolver, cleanup, child, listener or timer; its owner `signal` no longer
 * reaches it (from the moment the close begins) and it has left its parent
 * scope. A task whose promise never settles keeps nothing of the scope, of
 * its caller or of the values involved once the close has given up on it. A
 * long-lived owner signal carries one abort listener however many scopes it
 * owns, and none once they are all closed. Cleanups run exactly once each; a throwing cleanup does not stop
 * the others.
 *
 * Does not: stop a task that ignores its signal (JavaScript cannot; the
 * close stops waiting for it and reports it in `pending`); bound the time
 * cleanups take (each is awaited in turn); keep a scope alive that nothing
 * references (an open scope is kept by its tasks, its owner signal and its
 * parent; close it, or better, `await using` it).
 *
 * @example
 * ```ts
 * import { Scope } from 'leakproof';
 *
 * class Connection {
 *   readonly #scope = new Scope();
 *   readonly #socket: Socket;
 *   constructor(socket: Socket) {
 *     this.#socket = socket;
 *     this.#scope.defer(() => socket.destroy());
 *     void this.#scope.run((signal) => readLoop(socket, signal));
 *     const ping = setInterval(() => socket.ping(), 30_000);
 *     this.#scope.defer(() => clearInterval(ping));
 *   }
 *   send(data: Buffer) {
 *     return this.#scope.run((signal) => write(this.#socket, data, signal));
 *   }
 *   close() {
 *     return this.#scope.close(); // read loop aborted, pending sends rejected, timer cleared
 *   }
 * }
 *
 * // Or bound to a block:
 * await using scope = new Scope({ signal: request.signal });
 * const [user, feed] = await Promise.all([scope.run(loadUser), scope.run(loadFeed)]);
 * ```
 */
export class Scope implements AsyncDisposable {
  // Fixed at construction.
  readonly #controller = new AbortController();
  readonly #closeTimeout: number;
  readonly #failFast: boolean;

  // Owners: dropped when the close begins (signal) or ends (parent).
  #parent: Scope | null = null;
  #owner: OwnerLink | null = null;

  // Live state, created on first use and emptied by the close.
  #state = OPEN;
  #tasks: Set<Task> | null = null;
  #children: Set<Scope> | null = null;
  #cleanups: CleanupStack | null = null;

  // The close: the deadline may only move earlier; the timer and the waiter
  // exist only while the close waits for tasks.
  #deadline = Infinity;
  #timer: TimerId | null = null;
  #tasksDone: (() => void) | null = null;
  #closing: Promise<Outcome> | null = null;
  #resolveClosing: Resolve | null = null;
  #closed: Promise<CloseResult> | null = null;

  // The callbacks of the helper objects below (Task, OwnerLink) and of the
  // close timer: static, so they close over nothing (the caller's scope stays
  // out of long-lived callbacks), and inside the class, so they may reach the
  // private members. They are handed to the helpers, not stored in module slots.
  static #onTaskSettled(scope: Scope, task: Task, failed: boolean, reason: unknown): void {
    scope.#taskSettled(task, failed, reason);
  }

  static #onOwnerAborted(scope: Scope, reason: unknown): void {
    if (scope.#owner !== null) void scope.#begin(reason, deadlineAfter(scope.#closeTimeout));
  }

  static #onDeadline(scope: Scope): void {
    scope.#deadlineReached();
  }

  /**
   * Creates an open scope, or one born closed when `parent` is closing or
   * closed, or `signal` is already aborted.
   *
   * @param options See {@link ScopeOptions}.
   * @throws {TypeError} `ERR_INVALID_ARG_TYPE` when `options` is not an
   * object (a signal or a parent scope passed positionally is told to be
   * `{ signal }` / `{ parent }`), `options.parent` not a Scope,
   * `options.signal` not an AbortSignal, `options.closeTimeout` not a number
   * or `options.failFast` not a boolean; `ERR_INVALID_ARG_VALUE` for an
   * unknown option (`timeout` is told to be `closeTimeout`).
   * @throws {RangeError} `ERR_OUT_OF_RANGE` when `options.closeTimeout` is
   * NaN, negative, or finite and above 2^31-1.
   */
  constructor(options?: ScopeOptions) {
    if (options instanceof Scope) {
      throw invalidArgType('options', 'of type object (pass a parent scope as `{ parent }`)', options);
    }
    validateOptionsBag(options, 'options', SCOPE_OPTIONS, SCOPE_HINTS);
    const parent = options?.parent;
    const signal = options?.signal;
    const closeTimeout = options?.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT;
    const failFast = options?.failFast ?? false;
    if (parent !== undefined && !(parent instanceof Scope)) {
      throw invalidArgType('options.parent', 'an instance of Scope', parent);
    }
    validateOptionalAbortSignal(signal, 'options.signal');
    validateTimeout(closeTimeout, 'options.closeTimeout');
    validateBoolean(failFast, 'options.failFast');
    this.#closeTimeout = closeTimeout;
    this.#failFast = failFast;

    // Born closed: attach nothing to an owner that is already gone.
    if (parent !== undefined && parent.#state !== OPEN) {
      this.#bornClosed(parent.#controller.signal.reason);
      return;
    }
    if (signal?.aborted) {
      this.#bornClosed(signal.reason);
      return;
    }
    if (signal !== undefined) this.#owner = new OwnerLink(signal, this, Scope.#onOwnerAborted);
    if (parent !== undefined) {
      this.#parent = parent;
      (parent.#children ??= new Set()).add(this);
    }
  }

  /** Aborted, with the close reason, when the close begins. Pass it to every task. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** `'open'`, then `'closing'` from the moment the close begins, then `'closed'`. */
  get state(): ScopeState {
    return STATE_NAMES[this.#state]!;
  }

  /** Tasks of this scope (not of its children) that have not settled yet. */
  get pending(): number {
    return this.#tasks?.size ?? 0;
  }

  /**
   * Starts a task owned by the scope: calls `fn(scope.signal)` at once and
   * returns a promise of its result.
   *
   * The returned promise settles with the task's outcome, or, if the scope
   * closes first, is rejected with the close reason at that moment (that
   * rejection is marked handled, so a fire-and-forget `void scope.run(...)`
   * does not raise an unhandled rejection when the scope closes). A task
   * failing does not close the scope unless `failFast` is set.
   *
   * Guarantees: the scope observes the task's promise through one shared
   * reaction per promise; once the task settles, or the close gives up on it,
   * the scope keeps nothing of it, and the task's promise keeps nothing of the
   * scope or of the caller.
   *
   * Does not: start the task when the scope is closing or closed (the returned
   * promise is rejected with a {@link ClosedError} whose `cause` is the close
   * reason, and `fn` is not called); give each task a signal of its own (use
   * a child scope for a sub-lifetime).
   *
   * @param fn The task; receives the scope's signal and should stop when it aborts.
   * @returns A promise of the task's result.
   *
   * @example
   * ```ts
   * import { Scope } from 'leakproof';
   * await using scope = new Scope();
   * const body = await scope.run((signal) => fetch(url, { signal }).then((r) => r.text()));
   * ```
   */
  run<T>(fn: (signal: AbortSignal) => T | PromiseLike<T>): Promise<T> {
    if (typeof fn !== 'function') return Promise.reject(invalidArgType('fn', 'of type function', fn));
    if (this.#state !== OPEN) return Promise.reject(this.#closedError());
    // Read before the task starts: a throwing `name` getter must not leave a
    // started task untracked.
    const name = taskName(fn);
    let value: unknown;
    try {
      value = fn(this.#controller.signal);
    } catch (error) {
      const result = Promise.reject(error);
      this.#taskSettled(null, true, error);
      return result;
    }
    // A primitive is a finished task; objects may be thenables and go through
    // Promise.resolve (which reads `then` exactly once, as the spec requires).
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) {
      return Promise.resolve(value as T);
    }
    const promise = Promise.resolve(value);
    if (this.#state !== OPEN) {
      // `fn` closed the scope itself: the close has already settled or given
      // up on every tracked task, so this one is answered like them.
      promise.then(undefined, noop);
      const result = Promise.reject(this.#controller.signal.reason);
      result.then(undefined, noop);
      return result;
    }
    const { promise: result, resolve, reject } = withResolvers<T>();
    const task = new Task(this, Scope.#onTaskSettled, name, result, resolve as Resolve, reject);
    (this.#tasks ??= new Set()).add(task);
    // `promise === value` only for native promises: a converted thenable or
    // value gets a record of its own (see subscribe()).
    task.record = subscribe(promise, task, promise === value);
    return result;
  }

  /**
   * Registers a cleanup to run when the scope closes, after its tasks and
   * children have finished (or the wait timed out). Cleanups run last-in
   * first-out, one at a time, each awaited.
   *
   * Accepted while the scope is open or closing: a cleanup registered during
   * the close (by a task finishing, or by another cleanup) still runs, next.
   *
   * Guarantees: each cleanup runs exactly once, or never if unregistered
   * first; a cleanup that throws or rejects does not stop the others, and its
   * error makes `close()` reject (see {@link Scope.close}). Once run or
   * unregistered, the scope drops the function.
   *
   * Does not: run a cleanup registered on a closed scope (that throws, so the
   * caller knows to release the resource itself); bound how long a cleanup
   * takes.
   *
   * @param cleanup Called with no arguments; may return a promise.
   * @returns A `Disposable`: disposing it unregisters the cleanup without
   * running it (no effect once it ran).
   * @throws {TypeError} `ERR_INVALID_ARG_TYPE` when `cleanup` is not a function.
   * @throws {ClosedError} when the scope is closed; `cause` is the close reason.
   *
   * @example
   * ```ts
   * import { Scope } from 'leakproof';
   * const scope = new Scope();
   * const file = await open(path);
   * scope.defer(() => file.close());
   * ```
   */
  defer(cleanup: () => unknown): Disposable {
    validateFunction(cleanup, 'cleanup');
    if (this.#state === CLOSED) throw this.#closedError();
    return (this.#cleanups ??= new CleanupStack()).push(cleanup);
  }

  /**
   * Closes the scope: aborts {@link Scope.signal} with `reason`, rejects every
   * promise the scope handed out with it, closes the child scopes, waits for
   * the tasks to finish (up to `options.timeout`, by default the scope's
   * `closeTimeout`), runs the cleanups last-in first-out, and leaves the
   * parent scope.
   *
   * Closing again (or closing a scope its owner already closed) is harmless:
   * it returns the same promise; `reason` is ignored, and a shorter
   * `options.timeout` shortens the wait still in progress.
   *
   * Guarantees: the returned promise always settles when the timeout is
   * finite and the cleanups do; by then the scope holds nothing (see the class
   * documentation).
   *
   * Does not: wait for a task past the timeout (it is counted in `pending`,
   * named in a `LEAKPROOF_CLOSE_TIMEOUT` process warning, and forgotten);
   * report a task's own outcome once the close began.
   *
   * @param reason The abort reason; `undefined` gives a `DOMException` named
   * `'AbortError'`, as `AbortController.abort()` does.
   * @param options See {@link CloseOptions}.
   * @returns A promise of a {@link CloseResult} (`{ pending }`). It rejects
   * with an `AggregateError` when cleanups failed: its `errors` holds every
   * cleanup error of this scope and its descendants, in the order they
   * occurred. Rejects with `ERR_INVALID_ARG_TYPE`/`ERR_INVALID_ARG_VALUE`/
   * `ERR_OUT_OF_RANGE` on bad options (`closeTimeout` is told to be
   * `timeout` here), and then nothing is closed.
   *
   * @example
   * ```ts
   * import { Scope } from 'leakproof';
   * process.once('SIGTERM', async () => {
   *   const { pending } = await appScope.close(new Error('SIGTERM'), { timeout: 10_000 });
   *   if (pending > 0) console.warn(`${pending} task(s) ignored shutdown`);
   * });
   * ```
   */
  close(reason?: unknown, options?: CloseOptions): Promise<CloseResult> {
    let deadline: number;
    try {
      validateOptionsBag(options, 'options', CLOSE_OPTIONS, CLOSE_HINTS);
      const timeout = options?.timeout ?? this.#closeTimeout;
      validateTimeout(timeout, 'options.timeout');
      deadline = deadlineAfter(timeout);
    } catch (error) {
      return Promise.reject(error);
    }
    const closing = this.#begin(reason, deadline);
    if (this.#closed === null) {
      this.#closed = closing === emptyOutcomePromise ? (emptyResultPromise ??= Promise.resolve(EMPTY_RESULT)) : closing.then(publish);
    }
    return this.#closed;
  }

  /** `await using scope = new Scope()`: `close()` with the default reason and `closeTimeout`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close().then(noop);
  }

  // The one close path, shared by close(), the owner signal, a parent and
  // failFast. Synchronous up to the wait: by the time it returns, every signal
  // below and at this scope is aborted and every handed-out promise rejected.
  #begin(reason: unknown, deadline: number): Promise<Outcome> {
    if (this.#state !== OPEN) {
      this.#tighten(deadline);
      // Re-entered from user code run by the steps below (an abort listener,
      // a child's signal): the outcome is not known yet, so hand out a
      // placeholder that the steps resolve. Created only when needed.
      if (this.#closing === null) {
        const { promise, resolve } = withResolvers<Outcome>();
        this.#closing = promise;
        this.#resolveClosing = resolve as Resolve;
      }
      return this.#closing;
    }
    this.#state = CLOSING;
    this.#deadline = deadline;
    if (reason === undefined) reason = defaultAbortReason();
    this.#unlistenOwner();

    // 1. Children first, youngest first: their signals abort before ours.
    let children: Promise<Outcome>[] | null = null;
    if (this.#children !== null) {
      const list = [...this.#children];
      children = [];
      for (let i = list.length - 1; i >= 0; i--) children.push(list[i]!.#begin(reason, deadline));
    }
    // 2. Our signal: tasks and listeners see the abort.
    this.#controller.abort(reason);
    // 3. Every promise we handed out settles now; the tasks stay observed
    // (detached from their callers) so that the close can wait for them.
    if (this.#tasks !== null) for (const task of this.#tasks) task.orphan(reason);

    let outcome: Promise<Outcome>;
    if (children === null && (this.#tasks === null || this.#tasks.size === 0) && this.#cleanups?.last == null) {
      // Nothing to wait for, nothing to run: closed now.
      this.#end();
      outcome = emptyOutcomePromise ??= Promise.resolve(EMPTY_OUTCOME);
    } else {
      outcome = this.#finish(children);
    }
    const resolve = this.#resolveClosing;
    if (resolve === null) return (this.#closing = outcome);
    this.#resolveClosing = null;
    resolve(outcome);
    return this.#closing!;
  }

  async #finish(children: Promise<Outcome>[] | null): Promise<Outcome> {
    // 4. Wait for our tasks (bounded by the deadline) and our children
    // (bounded by the same deadline, plus their cleanups), concurrently.
    // Always yields first: no cleanup runs inside the close() call, before
    // every signal of the tree has aborted.
    const tasksDone = this.#waitForTasks();
    const childOutcomes = await Promise.all(children ?? []);
    if (tasksDone !== null) await tasksDone;
    this.#clearTimer();
    this.#tasksDone = null;

    let pending = 0;
    const errors: unknown[] = [];
    for (const outcome of childOutcomes) {
      pending += outcome.pending;
      for (const error of outcome.errors) errors.push(error);
    }
    // Tasks still running ignored their signal past the deadline: forget
    // them, so their never-settling promises reach nothing of ours.
    const tasks = this.#tasks;
    this.#tasks = null;
    if (tasks !== null && tasks.size > 0) {
      pending += tasks.size;
      const names: string[] = [];
      for (const task of tasks) {
        names.push(task.name === '' ? '<anonymous>' : task.name);
        task.detach();
      }
      warnCloseTimeout(names);
    }

    // 5. Cleanups, last in first out. A cleanup registered meanwhile lands on
    // top of the stack and runs next.
    const stack = this.#cleanups;
    if (stack !== null) {
      for (let cleanup = stack.pop(); cleanup !== null; cleanup = stack.pop()) {
        try {
          await cleanup();
        } catch (error) {
          errors.push(error);
        }
      }
    }
    this.#end();
    return pending === 0 && errors.length === 0 ? EMPTY_OUTCOME : { pending, errors };
  }

  // 6. Closed: drop the last references and leave the parent.
  #end(): void {
    this.#state = CLOSED;
    this.#tasks = null;
    this.#children = null;
    this.#cleanups = null;
    const parent = this.#parent;
    if (parent !== null) {
      this.#parent = null;
      const siblings = parent.#children;
      if (siblings !== null) {
        siblings.delete(this);
        if (siblings.size === 0) parent.#children = null;
      }
    }
  }

  #bornClosed(reason: unknown): void {
    this.#state = CLOSED;
    this.#controller.abort(reason);
    this.#closing = emptyOutcomePromise ??= Promise.resolve(EMPTY_OUTCOME);
  }

  #unlistenOwner(): void {
    const owner = this.#owner;
    if (owner === null) return;
    this.#owner = null;
    leaveAbortHub(owner.hub, owner);
  }

  #waitForTasks(): Promise<void> | null {
    if (this.#tasks === null || this.#tasks.size === 0) return null;
    const { promise: done, resolve } = withResolvers<void>();
    this.#tasksDone = resolve as () => void;
    this.#armTimer();
    return done;
  }

  #armTimer(): void {
    if (this.#deadline === Infinity) return;
    // Not unref'ed: a close that waits for tasks keeps the process alive until
    // it has run the cleanups (at most until the deadline).
    this.#timer = setTimeout(Scope.#onDeadline, Math.max(0, this.#deadline - now()), this);
  }

  #clearTimer(): void {
    if (this.#timer === null) return;
    clearTimeout(this.#timer);
    this.#timer = null;
  }

  #deadlineReached(): void {
    this.#timer = null;
    const done = this.#tasksDone;
    this.#tasksDone = null;
    done?.();
  }

  // A later close() (or a closing parent) may move the deadline earlier.
  #tighten(deadline: number): void {
    if (this.#state !== CLOSING || deadline >= this.#deadline) return;
    this.#deadline = deadline;
    if (this.#children !== null) for (const child of this.#children) child.#tighten(deadline);
    if (this.#tasksDone !== null) {
      this.#clearTimer();
      this.#armTimer();
    }
  }

  #taskSettled(task: Task | null, failed: boolean, reason: unknown): void {
    if (task !== null) this.#tasks?.delete(task);
    if (this.#state === OPEN) {
      if (failed && this.#failFast) void this.#begin(reason, deadlineAfter(this.#closeTimeout));
      return;
    }
    if (this.#tasksDone !== null && (this.#tasks === null || this.#tasks.size === 0)) {
      this.#clearTimer();
      const done = this.#tasksDone;
      this.#tasksDone = null;
      done();
    }
  }

  #closedError(): ClosedError {
    return new ClosedError(`The scope is ${STATE_NAMES[this.#state]!}`, { cause: this.#controller.signal.reason });
  }
}

/**
 * One task: the resolvers of the promise handed to the caller, and the link to
 * the scope. Subscribed to the task's promise through the shared registry.
 */
class Task implements Subscriber {
  /** True once detached: a late marker job of the registry must not join. */
  done = false;
  record: Contender | null = null;
  /** The task function's name, for the close-timeout warning (a string: holds nothing). */
  readonly name: string;
  #scope: Scope | null;
  readonly #settled: TaskSettled;
  // The caller's side; dropped when the task settles or the scope closes.
  #result: Promise<unknown> | null;
  #resolve: Resolve | null;
  #reject: Reject | null;

  constructor(scope: Scope, settled: TaskSettled, name: string, result: Promise<unknown>, resolve: Resolve, reject: Reject) {
    this.#scope = scope;
    this.#settled = settled;
    this.name = name;
    this.#result = result;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  fulfill(value: unknown): void {
    const scope = this.#scope;
    const resolve = this.#resolve;
    this.detach();
    resolve?.(value);
    if (scope !== null) this.#settled(scope, this, false, undefined);
  }

  reject(reason: unknown): void {
    const scope = this.#scope;
    const reject = this.#reject;
    this.detach();
    reject?.(reason);
    // After an orphaning the failure is the expected answer to the abort, and
    // never a reason to fail fast.
    if (scope !== null) this.#settled(scope, this, reject !== null, reason);
  }

  /** The scope is closing: answer the caller now, keep observing the task. */
  orphan(reason: unknown): void {
    const result = this.#result;
    const reject = this.#reject;
    this.#result = null;
    this.#resolve = null;
    this.#reject = null;
    if (result === null || reject === null) return;
    // A close is not an error of the caller's: mark it handled before it
    // happens, so a fire-and-forget task does not raise an unhandled rejection.
    result.then(undefined, noop);
    reject(reason);
  }

  /** The one release path: unsubscribe and drop everything. */
  detach(): void {
    this.done = true;
    this.record?.remove(this);
    this.record = null;
    this.#scope = null;
    this.#result = null;
    this.#resolve = null;
    this.#reject = null;
  }
}

/**
 * The cleanups of one scope: a doubly linked list, so that unregistering is
 * O(1) and leaves no tombstone behind (a long-lived scope that registers and
 * unregisters cleanups forever stays the same size).
 */
class CleanupStack {
  last: Cleanup | null = null;

  push(fn: () => unknown): Cleanup {
    const entry = new Cleanup(this, fn);
    const last = this.last;
    if (last !== null) {
      last.next = entry;
      entry.prev = last;
    }
    this.last = entry;
    return entry;
  }

  pop(): (() => unknown) | null {
    const entry = this.last;
    if (entry === null) return null;
    const fn = entry.fn;
    entry.unlink();
    return fn;
  }
}

class Cleanup implements Disposable {
  prev: Cleanup | null = null;
  next: Cleanup | null = null;
  fn: (() => unknown) | null;
  #stack: CleanupStack | null;

  constructor(stack: CleanupStack, fn: () => unknown) {
    this.#stack = stack;
    this.fn = fn;
  }

  unlink(): void {
    const stack = this.#stack;
    if (stack === null) return;
    this.#stack = null;
    this.fn = null;
    const { prev, next } = this;
    if (next !== null) next.prev = prev;
    else stack.last = prev;
    if (prev !== null) prev.next = next;
    this.prev = this.next = null;
  }

  [Symbol.dispose](): void {
    this.unlink();
  }
}

/**
 * A scope's membership of its owner signal's abort hub (internal/abort-hub.ts):
 * every open scope on one signal shares the hub's single native listener, so a
 * long-lived signal owning a thousand open scopes carries one listener (no
 * MaxListenersExceededWarning, no O(n) EventTarget bookkeeping), and none once
 * they are all closed.
 */
class OwnerLink implements AbortSubscriber {
  readonly hub: AbortHub;
  readonly #scope: Scope;
  readonly #aborted: (scope: Scope, reason: unknown) => void;

  constructor(signal: AbortSignal, scope: Scope, aborted: (scope: Scope, reason: unknown) => void) {
    this.#scope = scope;
    this.#aborted = aborted;
    this.hub = joinAbortHub(signal, this);
  }

  abort(reason: unknown): void {
    this.#aborted(this.#scope, reason);
  }
}

/** How a task tells its scope it settled (Scope's private static, handed over at construction). */
type TaskSettled = (scope: Scope, task: Task, failed: boolean, reason: unknown) => void;

const SCOPE_OPTIONS = ['parent', 'signal', 'closeTimeout', 'failFast'] as const;
const SCOPE_HINTS: Readonly<Record<string, string>> = {
  timeout: 'closeTimeout',
  gracePeriod: 'closeTimeout',
  shutdownTimeout: 'closeTimeout',
  abortSignal: 'signal',
};
const CLOSE_OPTIONS = ['timeout'] as const;
const CLOSE_HINTS: Readonly<Record<string, string>> = { closeTimeout: 'timeout' };

// A close that gave up on tasks must not be silent: the task ignored its
// signal and is still running (and holding whatever it holds).
function warnCloseTimeout(names: readonly string[]): void {
  const shown = names.length > 10 ? [...names.slice(0, 10), `and ${names.length - 10} more`] : names;
  emitWarning(
    `Scope.close() stopped waiting for ${names.length} task(s) that ignored its abort signal past the close ` +
      `timeout: ${shown.join(', ')}. They are still running; the cleanups ran without them`,
    'LEAKPROOF_CLOSE_TIMEOUT',
  );
}

/** The task function's name for the close-timeout warning; '' when it has none (or a hostile getter). */
function taskName(fn: (...args: never[]) => unknown): string {
  try {
    const name: unknown = fn.name;
    return typeof name === 'string' ? name : '';
  } catch {
    return '';
  }
}

function publish(outcome: Outcome): CloseResult {
  const { pending, errors } = outcome;
  if (errors.length > 0) {
    const tasks = pending > 0 ? `; ${pending} task(s) still running` : '';
    throw new AggregateError(errors, `${errors.length} cleanup(s) failed while closing the scope${tasks}`);
  }
  return pending === 0 ? EMPTY_RESULT : Object.freeze({ pending });
}

function validateTimeout(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!(value >= 0 && (value <= TIMEOUT_MAX || value === Infinity))) {
    throw outOfRange(name, `a number >= 0 and <= ${TIMEOUT_MAX}, or Infinity`, value);
  }
}

function now(): number {
  return performance.now();
}

function deadlineAfter(timeout: number): number {
  return timeout === Infinity ? Infinity : now() + timeout;
}

function noop(): void {}

