import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { abortable } from '../../src/abortable.js';
import { anySignal } from '../../src/any-signal.js';
import { delay } from '../../src/delay.js';
import { type AbortSubscriber, joinAbortHub, leaveAbortHub } from '../../src/internal/abort-hub.js';
import { onAbort } from '../../src/on-abort.js';
import { listenerCount } from '../../src/testing/index.js';
import { captureReports, duckSignal } from '../helpers/signals.js';

// The shared abort hub (src/internal/abort-hub.ts): "one listener per signal"
// holds only if every leakproof subscription goes through it (issue 8,
// item 3), and nothing is half-applied when a signal's methods throw
// (item 6).

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const HUB = 'internal/abort-hub.ts';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.[cm]?[jt]sx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/**
 * Every place in `file` that subscribes to `abort` on its own: a call
 * `x.addEventListener('abort', …)` (any quote style, also through
 * `.call`/`.apply`), an assignment to `x.onabort`, or a call of Node's
 * `addAbortListener`. Parsed, not grepped, so comments and strings that
 * show the naive pattern (every header comment does) do not count.
 */
function abortSubscriptions(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const where = (node: ts.Node): string => `${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const isAbortLiteral = (node: ts.Node | undefined): boolean =>
    node !== undefined && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && node.text === 'abort';
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (ts.isPropertyAccessExpression(callee)) {
        const name = callee.name.text;
        if (name === 'addEventListener' && isAbortLiteral(node.arguments[0])) found.push(`addEventListener('abort') at line ${where(node)}`);
        // `EventTarget.prototype.addEventListener.call(signal, 'abort', …)`
        if ((name === 'call' || name === 'apply') && ts.isPropertyAccessExpression(callee.expression) && callee.expression.name.text === 'addEventListener') {
          const args = name === 'call' ? node.arguments.slice(1) : [];
          if (isAbortLiteral(args[0])) found.push(`addEventListener.call(…, 'abort') at line ${where(node)}`);
        }
        if (name === 'addAbortListener') found.push(`addAbortListener at line ${where(node)}`);
      } else if (ts.isIdentifier(callee) && callee.text === 'addAbortListener') {
        found.push(`addAbortListener at line ${where(node)}`);
      }
    }
    if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      ((ts.isPropertyAccessExpression(node.left) && node.left.name.text === 'onabort') ||
        (ts.isElementAccessExpression(node.left) &&
          ts.isStringLiteral(node.left.argumentExpression) &&
          node.left.argumentExpression.text === 'onabort'))
    ) {
      found.push(`onabort = at line ${where(node)}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

class Member implements AbortSubscriber {
  reasons: unknown[] = [];
  abort(reason: unknown): void {
    this.reasons.push(reason);
  }
}

describe('abort hub', () => {
  describe('one listener per signal', () => {
    it('is the only file in src/ that subscribes to abort (addEventListener, onabort, addAbortListener)', () => {
      const offenders: string[] = [];
      for (const file of sourceFiles(SRC)) {
        const name = relative(SRC, file).split('\\').join('/');
        if (name === HUB) continue;
        for (const site of abortSubscriptions(file)) offenders.push(`src/${name}: ${site}`);
      }
      // Lists every offending file and line; empty once every primitive
      // subscribes through joinAbortHub.
      expect(offenders).toEqual([]);
    });

    it('the scan finds the hub\'s own subscription (it can fail)', () => {
      expect(abortSubscriptions(join(SRC, HUB))).toEqual([expect.stringMatching(/^addEventListener\('abort'\) at line \d+$/)]);
    });

    it('keeps one native listener for many members, and none once the last leaves', () => {
      const controller = new AbortController();
      const members = Array.from({ length: 50 }, () => new Member());
      const hubs = members.map((member) => joinAbortHub(controller.signal, member));
      expect(listenerCount(controller.signal, 'abort')).toBe(1);
      members.forEach((member, i) => leaveAbortHub(hubs[i]!, member));
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
      // Leaving twice is a no-op.
      leaveAbortHub(hubs[0]!, members[0]!);
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
    });

    it('delivers the reason to every member once, in join order, after detaching', () => {
      const controller = new AbortController();
      const order: number[] = [];
      const members = Array.from({ length: 5 }, (_, i) => ({
        abort: () => {
          order.push(i);
          expect(listenerCount(controller.signal, 'abort')).toBe(0);
        },
      }));
      const hubs = members.map((member) => joinAbortHub(controller.signal, member));
      leaveAbortHub(hubs[2]!, members[2]!);
      controller.abort('stop');
      expect(order).toEqual([0, 1, 3, 4]);
    });
  });

  describe('synthetic abort events', () => {
    it('ignores dispatchEvent(new Event("abort")) on a live signal, for every signal primitive', async () => {
      const controller = new AbortController();
      const signal = controller.signal;
      let heard = 0;
      using _ = onAbort(signal, () => heard++);
      const waiting = abortable(new Promise(() => {}), { signal });
      const sleeping = delay(60_000, { signal });
      const composite = anySignal([signal]);
      const outcomes: string[] = [];
      waiting.catch(() => outcomes.push('abortable'));
      sleeping.catch(() => outcomes.push('delay'));

      signal.dispatchEvent(new Event('abort'));
      await new Promise((resolve) => setImmediate(resolve));
      expect(heard).toBe(0);
      expect(outcomes).toEqual([]);
      expect(composite.aborted).toBe(false);
      expect(listenerCount(signal, 'abort')).toBe(1);

      // Still subscribed: the real abort reaches every one of them.
      controller.abort('real');
      await Promise.allSettled([waiting, sleeping]);
      expect(heard).toBe(1);
      expect(outcomes.sort()).toEqual(['abortable', 'delay']);
      expect(composite.reason).toBe('real');
      expect(listenerCount(signal, 'abort')).toBe(0);
    });
  });

  describe('user code that throws', () => {
    it('leaves the hub empty when the signal\'s addEventListener throws, and joins normally afterwards', () => {
      const signal = duckSignal();
      signal.throwOnAdd = new Error('add throws');
      const member = new Member();
      expect(() => joinAbortHub(signal as never, member)).toThrow('add throws');
      signal.throwOnAdd = null;
      const other = new Member();
      joinAbortHub(signal as never, other);
      expect(signal.listeners).toBe(1);
      signal.abort('reason');
      expect(member.reasons).toEqual([]);
      expect(other.reasons).toEqual(['reason']);
    });

    it('reports a throwing removeEventListener on leave, and the member has left', async () => {
      const signal = duckSignal();
      const failure = new Error('remove throws');
      const member = new Member();
      const reported = await captureReports(() => {
        const hub = joinAbortHub(signal as never, member);
        signal.throwOnRemove = failure;
        expect(() => leaveAbortHub(hub, member)).not.toThrow();
      });
      expect(reported).toEqual([failure]);
      signal.throwOnRemove = null;
      signal.abort('late');
      expect(member.reasons).toEqual([]);
    });

    it('still delivers the abort to every member when removeEventListener throws during dispatch', async () => {
      const signal = duckSignal();
      const failure = new Error('remove throws');
      const members = [new Member(), new Member()];
      const reported = await captureReports(() => {
        for (const member of members) joinAbortHub(signal as never, member);
        signal.throwOnRemove = failure;
        signal.abort('stop');
      });
      expect(reported).toEqual([failure]);
      expect(members.map((member) => member.reasons)).toEqual([['stop'], ['stop']]);
    });

    it('onAbort: disposing on a signal whose removeEventListener throws does not throw, and reports', async () => {
      const signal = duckSignal();
      const failure = new Error('remove throws');
      let heard = 0;
      const reported = await captureReports(() => {
        const handle = onAbort(signal as never, () => heard++);
        signal.throwOnRemove = failure;
        expect(() => handle.dispose()).not.toThrow();
      });
      expect(reported).toEqual([failure]);
      signal.throwOnRemove = null;
      signal.abort();
      expect(heard).toBe(0);
    });

    it('delay: resolves when its timer fires even if removeEventListener throws, and reports', async () => {
      const signal = duckSignal();
      const failure = new Error('remove throws');
      const reported = await captureReports(async () => {
        const result = delay(1, { signal: signal as never });
        signal.throwOnRemove = failure;
        await expect(result).resolves.toBeUndefined();
      });
      expect(reported).toEqual([failure]);
    });

    it('anySignal: disposing, and aborting from another input, work when one input\'s removeEventListener throws', async () => {
      const failing = duckSignal();
      const failure = new Error('remove throws');
      const other = new AbortController();
      const reported = await captureReports(() => {
        const disposed = anySignal([failing as never, other.signal]);
        const aborted = anySignal([failing as never, other.signal]);
        failing.throwOnRemove = failure;
        expect(() => disposed[Symbol.dispose]()).not.toThrow();
        other.abort('other');
        expect(disposed.aborted).toBe(false);
        expect(aborted.reason).toBe('other');
      });
      expect(reported).toEqual([failure]);
      expect(listenerCount(other.signal, 'abort')).toBe(0);
    });
  });
});
