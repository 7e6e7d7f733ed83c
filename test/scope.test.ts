// Behaviour of `Scope`. Contract rows (issue 5, section 1), named in the tests:
//  1. new Scope({ parent?, signal? }) with signal, run, defer, close, asyncDispose
//  2. closing aborts the signal with the reason (default: an AbortError)
//  3. closing rejects every pending promise the scope handed out, at once
//  4. closing waits for the tasks up to `timeout` and reports those that did not finish
//  5. closing runs the cleanups last-in first-out; a throwing cleanup does not stop the others
//  6. child scopes close first
//  7. closing twice is harmless
//  8. running a task on a closing or closed scope rejects at once
//  9. after close the scope holds nothing; nothing stays on a long-lived owner signal
// 10. a failing task is reported to its caller; the scope stays open unless failFast

import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { ClosedError, isAbortError } from '../src/errors.js';
import { type CloseResult, Scope } from '../src/scope.js';
import { listenerCount } from '../src/testing/index.js';

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** 'pending' | 'fulfilled' | 'rejected', after the microtask queue has drained. */
async function status(p: Promise<unknown>): Promise<string> {
  let result = 'pending';
  p.then(
    () => (result = 'fulfilled'),
    () => (result = 'rejected'),
  );
  await nextMacrotask();
  return result;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const never = new Promise<never>(() => {});

afterEach(() => {
  vi.useRealTimers();
});

describe('Scope', () => {
  describe('validation', () => {
    it('throws ERR_INVALID_ARG_TYPE naming options, options.parent, options.signal, options.failFast', () => {
      const cases: Array<[unknown, string]> = [
        [null, 'options'],
        [5, 'options'],
        [{ parent: {} }, 'options.parent'],
        [{ parent: new AbortController() }, 'options.parent'],
        [{ signal: {} }, 'options.signal'],
        [{ signal: 'x' }, 'options.signal'],
        [{ closeTimeout: '10' }, 'options.closeTimeout'],
        [{ failFast: 1 }, 'options.failFast'],
      ];
      for (const [options, name] of cases) {
        let error: unknown;
        try {
          new Scope(options as never);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(TypeError);
        expect(error).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
        expect((error as Error).message).toContain(`"${name}"`);
      }
    });

    it('throws ERR_OUT_OF_RANGE for a negative, NaN or over-long options.closeTimeout', () => {
      for (const timeout of [-1, Number.NaN, 2 ** 31, -Infinity]) {
        expect(() => new Scope({ closeTimeout: timeout })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
        expect(() => new Scope({ closeTimeout: timeout })).toThrow(/"options\.closeTimeout"/);
        expect(() => new Scope({ closeTimeout: timeout })).toThrow(RangeError);
      }
      for (const timeout of [0, 1.5, 2 ** 31 - 1, Infinity]) expect(() => new Scope({ closeTimeout: timeout })).not.toThrow();
    });

    it('rejects the 0.1 option timeout, naming closeTimeout (the grace period of close, not a lifetime)', () => {
      for (const [name, hint] of [
        ['timeout', 'closeTimeout'],
        ['gracePeriod', 'closeTimeout'],
        ['abortSignal', 'signal'],
        ['failfast', 'failFast'],
      ]) {
        expect(() => new Scope({ [name!]: 10 } as never)).toThrow(
          expect.objectContaining({
            name: 'TypeError',
            code: 'ERR_INVALID_ARG_VALUE',
            message: expect.stringMatching(new RegExp(`"options".*"${name}".*Did you mean "${hint}"`)),
          }),
        );
      }
    });

    it('rejects a positional signal or parent scope, saying { signal } / { parent }', () => {
      const owner = new AbortController();
      expect(() => new Scope(owner.signal as never)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('{ signal }') }),
      );
      expect(listenerCount(owner.signal, 'abort')).toBe(0);
      expect(() => new Scope(new Scope() as never)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('{ parent }') }),
      );
    });

    it('attaches nothing when the constructor throws', () => {
      const owner = new AbortController();
      expect(() => new Scope({ signal: owner.signal, closeTimeout: -1 })).toThrow(RangeError);
      expect(() => new Scope({ signal: owner.signal, failFast: 'yes' as never })).toThrow(TypeError);
      expect(listenerCount(owner.signal, 'abort')).toBe(0);
    });

    it('run() returns a promise rejected with ERR_INVALID_ARG_TYPE naming fn, without throwing', async () => {
      const scope = new Scope();
      for (const bad of [undefined, null, 1, 'fn', {}]) {
        let result: Promise<unknown> | undefined;
        expect(() => {
          result = scope.run(bad as never);
        }).not.toThrow();
        const error = await rejection(result!);
        expect(error).toBeInstanceOf(TypeError);
        expect(error).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
        expect((error as Error).message).toContain('"fn"');
      }
      expect(scope.state).toBe('open');
      expect(scope.pending).toBe(0);
    });

    it('defer() throws ERR_INVALID_ARG_TYPE naming cleanup', () => {
      const scope = new Scope();
      for (const bad of [undefined, null, 1, {}]) {
        expect(() => scope.defer(bad as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
        expect(() => scope.defer(bad as never)).toThrow(/"cleanup"/);
      }
    });

    it('close() rejects on bad options and closes nothing', async () => {
      const scope = new Scope();
      const typeError = await rejection(scope.close(undefined, null as never));
      expect(typeError).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
      expect((typeError as Error).message).toContain('"options"');
      const badType = await rejection(scope.close(undefined, { timeout: '5' as never }));
      expect(badType).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
      for (const timeout of [-1, Number.NaN, 2 ** 31]) {
        const error = await rejection(scope.close(undefined, { timeout }));
        expect(error).toBeInstanceOf(RangeError);
        expect(error).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
        expect((error as Error).message).toContain('"options.timeout"');
      }
      const unknown = await rejection(scope.close(undefined, { closeTimeout: 5 } as never));
      expect(unknown).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/"closeTimeout".*Did you mean "timeout"/) });
      const positional = await rejection(scope.close(undefined, 5 as never));
      expect(positional).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
      expect(scope.state).toBe('open');
      expect(scope.signal.aborted).toBe(false);
      await expect(scope.close()).resolves.toEqual({ pending: 0 });
    });
  });

  describe('semantics', () => {
    it('run() calls fn at once with the scope signal and resolves with its result', async () => {
      const scope = new Scope();
      let seen: AbortSignal | undefined;
      const sync = scope.run((signal) => {
        seen = signal;
        return 1;
      });
      expect(seen).toBe(scope.signal);
      expect(await sync).toBe(1);
      expect(await scope.run(async () => 'async')).toBe('async');
      const thenable = { then: (resolve: (v: string) => void) => resolve('thenable') } as PromiseLike<string>;
      expect(await scope.run(() => thenable)).toBe('thenable');
      const plainObject = { then: 5 };
      expect(await scope.run(() => plainObject)).toBe(plainObject);
      // Two tasks on one promise both settle with it.
      const shared = deferred<string>();
      const a = scope.run(() => shared.promise);
      const b = scope.run(() => shared.promise);
      expect(scope.pending).toBe(2);
      shared.resolve('shared');
      expect(await Promise.all([a, b])).toEqual(['shared', 'shared']);
      expect(scope.pending).toBe(0);
      await scope.close();
    });

    it('types: run() infers the awaited result; close() resolves to a CloseResult', () => {
      const scope = new Scope();
      expectTypeOf(scope.run(async () => 1)).toEqualTypeOf<Promise<number>>();
      expectTypeOf(scope.run(() => 'x')).toEqualTypeOf<Promise<string>>();
      expectTypeOf(scope.close()).toEqualTypeOf<Promise<CloseResult>>();
      expectTypeOf(scope.defer(() => {})).toEqualTypeOf<Disposable>();
    });

    it('await using closes the scope at the end of the block', async () => {
      let signal: AbortSignal | undefined;
      let cleaned = 0;
      {
        await using scope = new Scope({ closeTimeout: 0 });
        signal = scope.signal;
        scope.defer(() => cleaned++);
        void scope.run(() => never);
        expect(scope.state).toBe('open');
      }
      // The block waited for the whole close, cleanups included.
      expect(signal.aborted).toBe(true);
      expect(cleaned).toBe(1);
    });

    it('await using rethrows a cleanup failure as an AggregateError', async () => {
      const boom = new Error('cleanup failed');
      const run = async (): Promise<void> => {
        await using scope = new Scope();
        scope.defer(() => {
          throw boom;
        });
      };
      const error = await rejection(run());
      expect(error).toBeInstanceOf(AggregateError);
      expect((error as AggregateError).errors).toEqual([boom]);
    });

    it('reports its state: open, closing, closed', async () => {
      const scope = new Scope();
      const gate = deferred();
      void scope.run(() => gate.promise).catch(() => {});
      expect(scope.state).toBe('open');
      const closed = scope.close();
      expect(scope.state).toBe('closing');
      gate.resolve();
      await closed;
      expect(scope.state).toBe('closed');
    });

    it('aborts its signal with the close reason', async () => {
      const scope = new Scope();
      const reason = new Error('shutdown');
      await scope.close(reason);
      expect(scope.signal.aborted).toBe(true);
      expect(scope.signal.reason).toBe(reason);
    });

    it('aborts with a DOMException named AbortError when no reason is given', async () => {
      const scope = new Scope();
      await scope.close();
      expect(scope.signal.reason).toBeInstanceOf(DOMException);
      expect(isAbortError(scope.signal.reason)).toBe(true);
      const disposed = new Scope();
      await disposed[Symbol.asyncDispose]();
      expect((disposed.signal.reason as DOMException).name).toBe('AbortError');
    });

    it('rejects every pending handed-out promise with the reason, before the task finishes', async () => {
      const scope = new Scope();
      const gate = deferred<string>();
      const slow = scope.run(() => gate.promise); // ignores the signal until released
      const forever = scope.run(() => never);
      const reason = new Error('closed');
      const closed = scope.close(reason, { timeout: Infinity });
      expect(await status(slow)).toBe('rejected');
      expect(await rejection(slow)).toBe(reason);
      expect(await rejection(forever)).toBe(reason);
      // Still waiting for the slow task (and, without a deadline, the forever one).
      expect(await status(closed)).toBe('pending');
      gate.resolve('late value');
      expect(await status(closed)).toBe('pending');
      expect(scope.pending).toBe(1);
      await scope.close(undefined, { timeout: 0 });
    });

    it('marks the close rejection handled, so fire-and-forget tasks raise no unhandled rejection', async () => {
      let unhandled = 0;
      const onUnhandled = (): void => {
        unhandled++;
      };
      process.on('unhandledRejection', onUnhandled);
      try {
        const scope = new Scope();
        void scope.run(() => never);
        void scope.run((signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))));
        await scope.close(undefined, { timeout: 0 });
        await nextMacrotask();
        await nextMacrotask();
        expect(unhandled).toBe(0);
        // The positive control: the same unobserved rejection outside a scope is reported.
        void Promise.reject(new Error('control'));
        await nextMacrotask();
        await nextMacrotask();
        expect(unhandled).toBe(1);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    });

    it('waits for tasks that honour the signal, then resolves with pending 0', async () => {
      const scope = new Scope();
      const events: string[] = [];
      void scope
        .run(async (signal) => {
          await new Promise((resolve) => signal.addEventListener('abort', resolve));
          await nextMacrotask();
          events.push('task finished');
        })
        .catch(() => events.push('caller rejected'));
      scope.defer(() => events.push('cleanup'));
      const result = await scope.close();
      expect(result).toEqual({ pending: 0 });
      expect(events).toEqual(['caller rejected', 'task finished', 'cleanup']);
    });

    it('gives up on a task that ignores its signal after the timeout and reports it', async () => {
      const scope = new Scope();
      void scope.run(() => never);
      void scope.run(() => never);
      const gate = deferred();
      void scope.run(() => gate.promise);
      let cleaned = false;
      scope.defer(() => (cleaned = true));
      gate.resolve();
      const result = await scope.close(undefined, { timeout: 5 });
      expect(result).toEqual({ pending: 2 });
      expect(cleaned).toBe(true);
      expect(scope.pending).toBe(0);
    });

    it('warns, naming the tasks, when the close timeout runs out with tasks still running', async () => {
      const warnings: Array<Error & { code?: string }> = [];
      const onWarning = (warning: Error) => void warnings.push(warning);
      process.on('warning', onWarning);
      try {
        const scope = new Scope({ closeTimeout: 5 });
        void scope.run(function readLoopIgnoringAbort() {
          return never;
        });
        void scope.run(() => never);
        void scope.run(async (signal) => {
          await new Promise((resolve) => signal.addEventListener('abort', resolve));
        });
        const result = await scope.close();
        expect(result).toEqual({ pending: 2 });
        // Other tests' warnings may arrive meanwhile (warnings are emitted on
        // a later tick): pick ours by its task's name.
        const ours = (w: Error & { code?: string }) =>
          w.code === 'LEAKPROOF_CLOSE_TIMEOUT' && w.message.includes('readLoopIgnoringAbort');
        await vi.waitFor(() => expect(warnings.some(ours)).toBe(true));
        const warning = warnings.find(ours)!;
        expect(warning.name).toBe('LeakproofWarning');
        expect(warning.message).toContain('2 task(s)');
        expect(warning.message).toContain('readLoopIgnoringAbort, <anonymous>');
      } finally {
        process.off('warning', onWarning);
      }
    });

    it('does not warn when every task settles within the close timeout', async () => {
      const warnings: Array<Error & { code?: string }> = [];
      const onWarning = (warning: Error) => void warnings.push(warning);
      process.on('warning', onWarning);
      try {
        const scope = new Scope({ closeTimeout: 1000 });
        void scope.run(async function stopsOnAbort(signal) {
          await new Promise((resolve) => signal.addEventListener('abort', resolve));
        });
        expect(await scope.close()).toEqual({ pending: 0 });
        await nextMacrotask();
        await nextMacrotask();
        expect(warnings.filter((w) => w.message.includes('stopsOnAbort'))).toEqual([]);
      } finally {
        process.off('warning', onWarning);
      }
    });

    it('waits as long as it takes with timeout Infinity', async () => {
      const scope = new Scope({ closeTimeout: Infinity });
      const gate = deferred();
      void scope.run(() => gate.promise).catch(() => {});
      const closed = scope.close();
      for (let i = 0; i < 5; i++) await nextMacrotask();
      expect(await status(closed)).toBe('pending');
      gate.resolve();
      expect(await closed).toEqual({ pending: 0 });
    });

    it('waits 5000 ms by default', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
      const scope = new Scope();
      void scope.run(() => never);
      const closed = scope.close();
      await vi.advanceTimersByTimeAsync(4_999);
      expect(await status(closed)).toBe('pending');
      await vi.advanceTimersByTimeAsync(1);
      expect(await closed).toEqual({ pending: 1 });
    });

    it('the constructor timeout is the default for close(), the owner signal and await using', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
      const owner = new AbortController();
      const scope = new Scope({ signal: owner.signal, closeTimeout: 100 });
      let cleaned = false;
      scope.defer(() => (cleaned = true));
      void scope.run(() => never);
      owner.abort();
      await vi.advanceTimersByTimeAsync(99);
      expect(cleaned).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(cleaned).toBe(true);
      expect(await scope.close()).toEqual({ pending: 1 });
    });

    it('runs cleanups last-in first-out, each once, awaiting each', async () => {
      const scope = new Scope();
      const order: string[] = [];
      scope.defer(() => order.push('first'));
      scope.defer(async () => {
        await nextMacrotask();
        order.push('second (async)');
      });
      scope.defer(() => order.push('third'));
      await scope.close();
      await scope.close();
      expect(order).toEqual(['third', 'second (async)', 'first']);
    });

    it('a throwing cleanup does not stop the others; close() rejects with every error in order', async () => {
      const scope = new Scope();
      const order: string[] = [];
      const e1 = new Error('one');
      const e2 = new Error('two');
      scope.defer(() => order.push('a'));
      scope.defer(() => {
        throw e1;
      });
      scope.defer(() => order.push('b'));
      scope.defer(() => Promise.reject(e2));
      const error = await rejection(scope.close());
      expect(order).toEqual(['b', 'a']);
      expect(error).toBeInstanceOf(AggregateError);
      expect((error as AggregateError).errors).toEqual([e2, e1]);
      expect(scope.state).toBe('closed');
      // The same promise, so the same error, on every later call.
      expect(await rejection(scope.close())).toBe(error);
    });

    it('defer() returns a Disposable that unregisters the cleanup', async () => {
      const scope = new Scope();
      const order: string[] = [];
      scope.defer(() => order.push('a'));
      const b = scope.defer(() => order.push('b'));
      scope.defer(() => order.push('c'));
      b[Symbol.dispose]();
      b[Symbol.dispose]();
      {
        using _d = scope.defer(() => order.push('scoped'));
      }
      await scope.close();
      expect(order).toEqual(['c', 'a']);
      // Disposing after the run has no effect.
      b[Symbol.dispose]();
    });

    it('accepts cleanups while closing: from a finishing task, and from a cleanup (runs next)', async () => {
      const scope = new Scope();
      const order: string[] = [];
      scope.defer(() => order.push('registered first'));
      scope.defer(() => {
        order.push('outer');
        scope.defer(() => order.push('registered by a cleanup'));
      });
      void scope
        .run(async (signal) => {
          await new Promise((resolve) => signal.addEventListener('abort', resolve));
          scope.defer(() => order.push('registered by a task'));
        })
        .catch(() => {});
      await scope.close();
      expect(order).toEqual(['registered by a task', 'outer', 'registered by a cleanup', 'registered first']);
    });

    it('defer() on a closed scope throws ClosedError with the close reason as cause', async () => {
      const scope = new Scope();
      const reason = new Error('bye');
      await scope.close(reason);
      let error: unknown;
      try {
        scope.defer(() => {});
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ClosedError);
      expect(error).toMatchObject({ code: 'ERR_LEAKPROOF_CLOSED', cause: reason });
    });

    it('closes child scopes first: their signals abort and their cleanups run before the parent’s', async () => {
      const parent = new Scope();
      const child = new Scope({ parent });
      const grandchild = new Scope({ parent: child });
      const sibling = new Scope({ parent });
      const order: string[] = [];
      for (const [name, scope] of [
        ['parent', parent],
        ['child', child],
        ['grandchild', grandchild],
        ['sibling', sibling],
      ] as const) {
        scope.signal.addEventListener('abort', () => order.push(`${name} aborted`));
        scope.defer(() => order.push(`${name} cleanup`));
      }
      const reason = new Error('parent closed');
      await parent.close(reason);
      expect(order.slice(0, 4)).toEqual(['sibling aborted', 'grandchild aborted', 'child aborted', 'parent aborted']);
      expect(order.indexOf('grandchild cleanup')).toBeLessThan(order.indexOf('child cleanup'));
      expect(order.indexOf('child cleanup')).toBeLessThan(order.indexOf('parent cleanup'));
      expect(order.indexOf('sibling cleanup')).toBeLessThan(order.indexOf('parent cleanup'));
      expect(order.at(-1)).toBe('parent cleanup');
      for (const scope of [child, grandchild, sibling]) {
        expect(scope.state).toBe('closed');
        expect(scope.signal.reason).toBe(reason);
      }
    });

    it('the parent waits for its children’s tasks and reports them in pending', async () => {
      const parent = new Scope();
      const child = new Scope({ parent });
      void child.run(() => never);
      void parent.run(() => never);
      const gate = deferred();
      void child.run(() => gate.promise).catch(() => {});
      const order: string[] = [];
      parent.defer(() => order.push('parent cleanup'));
      const closed = parent.close(undefined, { timeout: 20 });
      gate.resolve();
      expect(await closed).toEqual({ pending: 2 });
      expect(order).toEqual(['parent cleanup']);
    });

    it('a child closed on its own leaves its parent, which then closes without it', async () => {
      const parent = new Scope();
      const child = new Scope({ parent });
      let childCleanups = 0;
      child.defer(() => childCleanups++);
      await child.close();
      expect(childCleanups).toBe(1);
      expect(await parent.close()).toEqual({ pending: 0 });
      expect(childCleanups).toBe(1);
    });

    it('a child created under a closing or closed parent is born closed with its reason', async () => {
      const parent = new Scope();
      const gate = deferred();
      void parent.run(() => gate.promise).catch(() => {});
      const reason = new Error('going away');
      const closed = parent.close(reason);
      const duringClose = new Scope({ parent });
      gate.resolve();
      await closed;
      const afterClose = new Scope({ parent });
      for (const child of [duringClose, afterClose]) {
        expect(child.state).toBe('closed');
        expect(child.signal.reason).toBe(reason);
        expect(await child.close()).toEqual({ pending: 0 });
        expect(await rejection(child.run(() => 1))).toBeInstanceOf(ClosedError);
      }
    });

    it('closing twice returns the same promise and keeps the first reason', async () => {
      const scope = new Scope();
      const first = new Error('first');
      const a = scope.close(first);
      const b = scope.close(new Error('second'));
      expect(b).toBe(a);
      await a;
      expect(scope.close()).toBe(a);
      expect(scope.signal.reason).toBe(first);
      await scope[Symbol.asyncDispose]();
    });

    it('returns the same promise when closed re-entrantly from an abort listener', async () => {
      const scope = new Scope();
      let inner: Promise<CloseResult> | undefined;
      scope.signal.addEventListener('abort', () => {
        inner = scope.close();
      });
      const outer = scope.close();
      expect(inner).toBe(outer);
      await outer;

      // From a child's abort listener, with a cleanup registered there too.
      const parent = new Scope();
      const child = new Scope({ parent });
      let fromChild: Promise<CloseResult> | undefined;
      let cleaned = 0;
      child.signal.addEventListener('abort', () => {
        fromChild = parent.close();
        parent.defer(() => cleaned++);
      });
      const closed = parent.close();
      expect(fromChild).toBe(closed);
      expect(await closed).toEqual({ pending: 0 });
      expect(cleaned).toBe(1);
    });

    it('a later close() with a shorter timeout shortens the wait in progress (parents too)', async () => {
      const scope = new Scope({ closeTimeout: Infinity });
      void scope.run(() => never);
      const slow = scope.close();
      await nextMacrotask();
      expect(await status(slow)).toBe('pending');
      const fast = scope.close(undefined, { timeout: 0 });
      expect(fast).toBe(slow);
      expect(await fast).toEqual({ pending: 1 });

      // A parent closing with a deadline tightens a child already waiting forever.
      const parent = new Scope({ closeTimeout: Infinity });
      const child = new Scope({ parent, closeTimeout: Infinity });
      void child.run(() => never);
      const childClosed = child.close();
      expect(await status(childClosed)).toBe('pending');
      expect(await parent.close(undefined, { timeout: 0 })).toEqual({ pending: 1 });
      expect(await childClosed).toEqual({ pending: 1 });
    });

    it('run() on a closing or closed scope rejects at once with ClosedError and does not call fn', async () => {
      const scope = new Scope();
      const gate = deferred();
      void scope.run(() => gate.promise).catch(() => {});
      const reason = new Error('why');
      const closed = scope.close(reason);
      let calls = 0;
      const during = scope.run(() => calls++);
      expect(await status(during)).toBe('rejected');
      const duringError = await rejection(during);
      expect(duringError).toBeInstanceOf(ClosedError);
      expect(duringError).toMatchObject({ code: 'ERR_LEAKPROOF_CLOSED', cause: reason });
      expect((duringError as Error).message).toMatch(/closing/);
      gate.resolve();
      await closed;
      const after = await rejection(scope.run(() => calls++));
      expect(after).toBeInstanceOf(ClosedError);
      expect((after as Error).message).toMatch(/closed/);
      expect(calls).toBe(0);
    });

    it('a task that closes its own scope is answered with the close reason', async () => {
      const scope = new Scope();
      const reason = new Error('self');
      const result = scope.run(() => {
        void scope.close(reason);
        return Promise.resolve('too late');
      });
      expect(await rejection(result)).toBe(reason);
      // A synchronous result is already complete, and is delivered.
      const other = new Scope();
      expect(
        await other.run(() => {
          void other.close();
          return 'done';
        }),
      ).toBe('done');
    });

    it('closes when the owner signal aborts, with its reason, and then holds no listener on it', async () => {
      const owner = new AbortController();
      const scope = new Scope({ signal: owner.signal });
      const task = scope.run(() => never);
      expect(listenerCount(owner.signal, 'abort')).toBe(1);
      const reason = new Error('owner gone');
      owner.abort(reason);
      expect(scope.state).not.toBe('open');
      expect(scope.signal.reason).toBe(reason);
      expect(await rejection(task)).toBe(reason);
      expect(listenerCount(owner.signal, 'abort')).toBe(0);
    });

    it('shares one listener on the owner signal among its open scopes and removes it with the last', async () => {
      const owner = new AbortController();
      const scopes = Array.from({ length: 50 }, () => new Scope({ signal: owner.signal }));
      expect(listenerCount(owner.signal, 'abort')).toBe(1);
      await Promise.all(scopes.slice(1).map((s) => s.close()));
      expect(listenerCount(owner.signal, 'abort')).toBe(1);
      await scopes[0]!.close();
      expect(listenerCount(owner.signal, 'abort')).toBe(0);
      // Attached again for the next open scope, and the abort reaches every open one.
      const again = Array.from({ length: 3 }, () => new Scope({ signal: owner.signal }));
      const closedEarly = new Scope({ signal: owner.signal });
      await closedEarly.close();
      expect(listenerCount(owner.signal, 'abort')).toBe(1);
      const reason = new Error('owner aborted');
      owner.abort(reason);
      for (const scope of again) expect(scope.signal.reason).toBe(reason);
      expect(closedEarly.signal.reason).not.toBe(reason);
      expect(listenerCount(owner.signal, 'abort')).toBe(0);
    });

    it('is born closed, attaching nothing, on an already-aborted owner signal', async () => {
      const reason = new Error('already');
      const owner = AbortSignal.abort(reason);
      const scope = new Scope({ signal: owner });
      expect(scope.state).toBe('closed');
      expect(scope.signal.reason).toBe(reason);
      expect(listenerCount(owner, 'abort')).toBe(0);
      expect(await rejection(scope.run(() => 1))).toMatchObject({ cause: reason });
    });

    it('clears its close timer when the last task settles before the deadline', async () => {
      const scope = new Scope({ closeTimeout: 60_000 });
      const gate = deferred();
      void scope.run(() => gate.promise).catch(() => {});
      const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      const closed = scope.close();
      expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before + 1);
      gate.resolve();
      await closed;
      expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before);
    });

    it('discards a task’s late outcome, a rejection included, without an unhandled rejection', async () => {
      let unhandled = 0;
      const onUnhandled = (): void => {
        unhandled++;
      };
      process.on('unhandledRejection', onUnhandled);
      try {
        const scope = new Scope();
        const gate = deferred();
        const task = scope.run(() => gate.promise);
        const closed = scope.close(new Error('closed'), { timeout: 0 });
        expect(await closed).toEqual({ pending: 1 });
        gate.reject(new Error('late failure'));
        await nextMacrotask();
        await nextMacrotask();
        expect(unhandled).toBe(0);
        expect((await rejection(task)) as Error).toMatchObject({ message: 'closed' });
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    });

    it('a failing task rejects its caller only; the scope and its other tasks carry on', async () => {
      const scope = new Scope();
      const boom = new Error('boom');
      const gate = deferred<string>();
      const other = scope.run(() => gate.promise);
      expect(await rejection(scope.run(() => Promise.reject(boom)))).toBe(boom);
      expect(
        await rejection(
          scope.run(() => {
            throw boom;
          }),
        ),
      ).toBe(boom);
      expect(scope.state).toBe('open');
      expect(scope.signal.aborted).toBe(false);
      gate.resolve('fine');
      expect(await other).toBe('fine');
      await scope.close();
    });

    it('failFast closes the scope with the first error as the reason', async () => {
      for (const sync of [false, true]) {
        const scope = new Scope({ failFast: true });
        const other = scope.run(() => never);
        const boom = new Error(`boom ${sync}`);
        const failing = scope.run(() => {
          if (sync) throw boom;
          return Promise.reject(boom);
        });
        expect(await rejection(failing)).toBe(boom);
        expect(await rejection(other)).toBe(boom);
        expect(scope.signal.reason).toBe(boom);
        expect(await scope.close(undefined, { timeout: 0 })).toEqual({ pending: 1 });
      }
    });

    it('failFast is not triggered by tasks failing after the close began', async () => {
      const scope = new Scope({ failFast: true });
      const reason = new Error('closed first');
      void scope
        .run((signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('late')))))
        .catch(() => {});
      await scope.close(reason);
      expect(scope.signal.reason).toBe(reason);
    });
  });
});
