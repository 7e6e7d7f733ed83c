import { setImmediate as nextMacrotask } from 'node:timers/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClosedError } from '../src/errors.js';
import { type CloseResult, Scope } from '../src/scope.js';
import { listenerCount } from '../src/testing/index.js';

// Random lifetimes: a tree of scopes under one long-lived owner signal, with
// tasks, cleanups, disposals, closes and an owner abort interleaved with
// microtask jitter. Whatever the schedule:
//   - every promise the scopes handed out settles, with the task's outcome or
//     the close reason (ClosedError when run on a closing/closed scope);
//   - every close() settles, and reports exactly the tasks that ignored their
//     signal (those of its subtree still open when it began closing);
//   - cleanups run exactly once (never when disposed first), each scope's as a
//     stack, and every descendant's before any ancestor's;
//   - a throwing cleanup's error is in its scope's close() rejection;
//   - no listener remains on the owner signal.

type TaskKind = 'value' | 'throw' | 'resolve' | 'reject' | 'honour' | 'never';

type Op =
  | { kind: 'run'; scope: number; task: TaskKind; ticks: number }
  | { kind: 'defer'; scope: number; cleanup: 'sync' | 'async' | 'throw' }
  | { kind: 'undefer'; index: number }
  | { kind: 'child'; scope: number; timeout: number }
  | { kind: 'close'; scope: number; timeout: number | undefined }
  | { kind: 'abortOwner' }
  | { kind: 'jitter'; ticks: number }
  | { kind: 'macrotask' };

const scopeIndex = fc.nat(15);
const ticks = fc.integer({ min: 0, max: 4 });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('run' as const),
      scope: scopeIndex,
      task: fc.constantFrom<TaskKind>('value', 'throw', 'resolve', 'reject', 'honour', 'never'),
      ticks,
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('defer' as const),
      scope: scopeIndex,
      cleanup: fc.constantFrom('sync' as const, 'async' as const, 'throw' as const),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant('undefer' as const), index: fc.nat(20) }), weight: 1 },
  {
    arbitrary: fc.record({ kind: fc.constant('child' as const), scope: scopeIndex, timeout: fc.constantFrom(0, 1) }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('close' as const),
      scope: scopeIndex,
      timeout: fc.constantFrom(0, 1, undefined),
    }),
    weight: 2,
  },
  { arbitrary: fc.constant({ kind: 'abortOwner' as const }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('jitter' as const), ticks }), weight: 3 },
  { arbitrary: fc.constant({ kind: 'macrotask' as const }), weight: 1 },
);

interface ScopeModel {
  scope: Scope;
  parent: ScopeModel | null;
  children: ScopeModel[];
  /** Never-settling tasks started while open. */
  never: number;
  /** Children not yet closed when this scope's close began (read at its abort). */
  included: ScopeModel[] | null;
  /** Live cleanups, as the stack the scope should run. */
  stack: number[];
  /** Errors its throwing cleanups threw. */
  errors: Error[];
}

interface CleanupModel {
  id: number;
  owner: ScopeModel;
  handle: Disposable;
  runs: number;
  disposed: boolean;
  /** Global sequence number of the run. */
  seq: number;
}

interface Handed {
  promise: Promise<unknown>;
  owner: ScopeModel;
  /** The outcomes a correct scope may give (besides the close reason). */
  value?: unknown;
  error?: unknown;
  closedAtRun: boolean;
}

async function microtasks(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await undefined;
}

function settleState(p: Promise<unknown>): { done: boolean; ok?: boolean; value?: unknown } {
  const state: { done: boolean; ok?: boolean; value?: unknown } = { done: false };
  p.then(
    (value) => Object.assign(state, { done: true, ok: true, value }),
    (value: unknown) => Object.assign(state, { done: true, ok: false, value }),
  );
  return state;
}

function expectedPending(model: ScopeModel): number {
  let total = model.never;
  for (const child of model.included ?? []) total += expectedPending(child);
  return total;
}

function isAncestor(a: ScopeModel, b: ScopeModel): boolean {
  for (let p = b.parent; p !== null; p = p.parent) if (p === a) return true;
  return false;
}

async function runScenario(ops: Op[]): Promise<void> {
  const owner = new AbortController();
  const models: ScopeModel[] = [];
  const cleanups: CleanupModel[] = [];
  const handed: Handed[] = [];
  const closes: Array<{ model: ScopeModel; promise: Promise<CloseResult> }> = [];
  const never = new Promise<never>(() => {});
  let seq = 0;
  let violations = 0;

  const addScope = (parent: ScopeModel | null, timeout: number): ScopeModel => {
    const scope = parent === null ? new Scope({ signal: owner.signal, closeTimeout: timeout }) : new Scope({ parent: parent.scope, closeTimeout: timeout });
    const model: ScopeModel = { scope, parent, children: [], never: 0, included: null, stack: [], errors: [] };
    if (scope.state === 'closed') model.included = [];
    else {
      scope.signal.addEventListener('abort', () => {
        model.included = model.children.filter((c) => c.scope.state !== 'closed');
      });
    }
    parent?.children.push(model);
    models.push(model);
    return model;
  };
  addScope(null, 0);

  for (const o of ops) {
    switch (o.kind) {
      case 'run': {
        const model = models[o.scope % models.length]!;
        const closedAtRun = model.scope.state !== 'open';
        const value = { value: o.ticks };
        const error = new Error(`task ${handed.length}`);
        const entry: Handed = { promise: undefined as never, owner: model, closedAtRun };
        const n = o.ticks;
        const fn = (signal: AbortSignal): unknown => {
          switch (o.task) {
            case 'value':
              entry.value = value;
              return value;
            case 'throw':
              entry.error = error;
              throw error;
            case 'resolve':
              entry.value = value;
              return microtasks(n).then(() => value);
            case 'reject':
              entry.error = error;
              return microtasks(n).then(() => Promise.reject(error));
            case 'honour':
              return new Promise((_, reject) =>
                signal.addEventListener('abort', () => void microtasks(n).then(() => reject(signal.reason))),
              );
            case 'never':
              model.never++;
              return never;
          }
        };
        entry.promise = model.scope.run(fn);
        entry.promise.catch(() => {});
        handed.push(entry);
        break;
      }
      case 'defer': {
        const model = models[o.scope % models.length]!;
        const id = cleanups.length;
        const error = new Error(`cleanup ${id}`);
        const kind = o.cleanup;
        let record: CleanupModel | undefined;
        const fn = (): unknown => {
          const r = record!;
          r.runs++;
          r.seq = seq++;
          // Must be the top of this scope's live stack.
          if (r.owner.stack.at(-1) !== id) violations++;
          r.owner.stack.pop();
          if (kind === 'throw') {
            r.owner.errors.push(error);
            throw error;
          }
          if (kind === 'async') return microtasks(2);
          return undefined;
        };
        if (model.scope.state === 'closed') {
          expect(() => model.scope.defer(fn)).toThrow(ClosedError);
          break;
        }
        record = { id, owner: model, handle: model.scope.defer(fn), runs: 0, disposed: false, seq: -1 };
        cleanups.push(record);
        model.stack.push(id);
        break;
      }
      case 'undefer': {
        const record = cleanups[o.index % Math.max(1, cleanups.length)];
        if (record === undefined) break;
        if (record.runs === 0 && !record.disposed) {
          record.disposed = true;
          const stack = record.owner.stack;
          stack.splice(stack.indexOf(record.id), 1);
        }
        record.handle[Symbol.dispose]();
        break;
      }
      case 'child':
        addScope(models[o.scope % models.length]!, o.timeout);
        break;
      case 'close': {
        const model = models[o.scope % models.length]!;
        const promise = model.scope.close(undefined, o.timeout === undefined ? undefined : { timeout: o.timeout });
        promise.catch(() => {});
        closes.push({ model, promise });
        break;
      }
      case 'abortOwner':
        owner.abort(new Error('owner aborted'));
        break;
      case 'jitter':
        await microtasks(o.ticks);
        break;
      case 'macrotask':
        await nextMacrotask();
        break;
    }
  }

  // Close everything; every close must settle.
  for (const model of models) {
    const promise = model.scope.close(undefined, { timeout: 0 });
    promise.catch(() => {});
    closes.push({ model, promise });
  }
  const outcomes = await Promise.allSettled(closes.map((c) => c.promise));
  await nextMacrotask();

  expect(violations).toBe(0);
  expect(listenerCount(owner.signal, 'abort')).toBe(0);

  for (const model of models) {
    expect(model.scope.state).toBe('closed');
    expect(model.scope.pending).toBe(0);
  }

  closes.forEach(({ model }, i) => {
    const outcome = outcomes[i]!;
    const pending = expectedPending(model);
    if (outcome.status === 'fulfilled') {
      expect(outcome.value.pending).toBe(pending);
      expect(model.errors).toHaveLength(0);
    } else {
      const error = outcome.reason as AggregateError;
      expect(error).toBeInstanceOf(AggregateError);
      for (const own of model.errors) expect(error.errors).toContain(own);
      if (pending > 0) expect(error.message).toContain(`${pending} task(s) still running`);
    }
  });

  for (const entry of handed) {
    const state = settleState(entry.promise);
    await undefined;
    await undefined;
    expect(state.done).toBe(true);
    if (entry.closedAtRun) {
      expect(state.ok).toBe(false);
      expect(state.value).toBeInstanceOf(ClosedError);
    } else if (state.ok) {
      expect(state.value).toBe(entry.value);
    } else {
      const closeReason = entry.owner.scope.signal.reason;
      expect(state.value === closeReason || (entry.error !== undefined && state.value === entry.error)).toBe(true);
    }
  }

  for (const record of cleanups) {
    expect(record.runs).toBe(record.disposed ? 0 : 1);
  }
  // Every descendant's cleanups run before any of its ancestors'.
  for (const a of cleanups) {
    for (const b of cleanups) {
      if (a.runs === 1 && b.runs === 1 && isAncestor(a.owner, b.owner)) expect(b.seq).toBeLessThan(a.seq);
    }
  }
}

describe('Scope', () => {
  describe('properties', () => {
    it('settles every promise, runs each cleanup once as a stack, children first, and leaves no listener', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), async (ops) => {
          await runScenario(ops);
        }),
        { numRuns: 1000 },
      );
    }, 60_000);
  });
});
