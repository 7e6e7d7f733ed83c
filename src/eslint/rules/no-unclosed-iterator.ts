// Rule `leakproof/no-unclosed-iterator`: a manual `iterator.next()` loop that
// can leave early without closing the iterator.
//
// Leak: `for await … of` calls `iterator.return()` on every early exit; a
// hand-written `next()` loop does not. An async generator left suspended keeps
// its frame (and every `finally` in it unrun), and a source built on events
// keeps its listeners and its buffer on the emitter, for as long as the
// emitter lives.
// Invariant: a report names an iterator opened in this function, read with
// `next()` in a loop that has an early exit, and not closed in a `finally` that
// encloses the loop.
import type { Rule, Scope } from 'eslint';
import type * as ESTree from 'estree';
import {
  contains,
  enclosingFunction,
  isFunction,
  isLoop,
  isMember,
  memberName,
  parentOf,
  resolve,
  chainText,
  some,
  unwrapTS,
  walk,
  type Node,
} from '../utils.js';
import { docsUrl } from '../docs.js';

export const noUnclosedIterator: Rule.RuleModule = {
  meta: {
    type: 'problem',
    docs: {
      description:
        'Disallow manual `iterator.next()` loops that can exit early without `iterator.return?.()` in a `finally`. ' +
        'Reported: a `const`/`let` iterator opened in the same function by a call – `x[Symbol.asyncIterator]()`, a ' +
        'call of an (async) generator function declared in the file, or any call whose `next()` is awaited – read ' +
        'with `next()` inside a loop that can leave before the iterator is done: `break` out of the loop, `return`, ' +
        '`throw`, `yield` (the consumer may stop there), or an `await` of anything but `next()` itself (it may ' +
        'reject or abort). Such an iterator is long-lived: it stays suspended, with its resources, until someone ' +
        'calls `return()`. Not reported when a `finally` around the loop calls `<iterator>.return`, or the iterator ' +
        'is a parameter (the caller owns it) or declared with `using`/`await using`.',
      recommended: true,
      url: docsUrl('no-unclosed-iterator'),
    },
    hasSuggestions: true,
    schema: [],
    messages: {
      unclosed:
        '`{{iterator}}` is read with `next()` in a loop that can exit early ({{exit}}) without `{{iterator}}.return?.()` ' +
        'in a `finally`; the source stays suspended with its listeners and buffers. Close it in a `finally`, or let ' +
        "`pump`/`abortableIterator` from 'leakproof' drive it.",
      wrapInFinally: 'Wrap the loop in `try { … } finally { {{close}} }`',
    },
  },
  create(context) {
    const sourceCode = context.sourceCode;
    const reported = new Set<Scope.Variable>();
    return {
      CallExpression(node) {
        const callee = unwrapTS(node.callee);
        if (!isMember(callee, 'next')) return;
        const object = unwrapTS(callee.object);
        if (object.type !== 'Identifier') return;
        const loop = enclosingLoop(node);
        if (!loop) return;
        const variable = resolve(context, object);
        if (!variable || reported.has(variable)) return;
        if (!needsClosing(context, variable, node)) return;
        const fn = enclosingFunction(node);
        const exit = earlyExit(context, loop, node);
        if (!exit) return;
        if (closedInFinally(context, loop, object.name, fn)) return;
        reported.add(variable);
        const close = `${fn && isFunction(fn) && fn.async ? 'await ' : ''}${object.name}.return?.();`;
        context.report({
          node,
          messageId: 'unclosed',
          data: { iterator: object.name, exit },
          suggest: [
            {
              messageId: 'wrapInFinally',
              data: { close },
              fix(fixer) {
                const labelled = parentOf(loop)?.type === 'LabeledStatement' ? parentOf(loop)! : loop;
                const indent = /^\s*/.exec(sourceCode.lines[labelled.loc!.start.line - 1] ?? '')![0];
                return fixer.replaceText(
                  labelled,
                  `try {\n${indent}  ${sourceCode.getText(labelled)}\n${indent}} finally {\n${indent}  ${close}\n${indent}}`,
                );
              },
            },
          ],
        });
      },
    };
  },
};

function enclosingLoop(node: ESTree.Node): Node | undefined {
  for (let current = parentOf(node); current; current = parentOf(current)) {
    if (isFunction(current)) return undefined;
    if (isLoop(current)) return current;
  }
  return undefined;
}

/** An iterator this function opened and that has something to close. */
function needsClosing(context: Rule.RuleContext, variable: Scope.Variable, next: ESTree.CallExpression): boolean {
  if (variable.defs.length !== 1) return false;
  const definition = variable.defs[0]!;
  if (definition.type !== 'Variable') return false;
  const declaration = definition.parent as ESTree.VariableDeclaration & { kind: string };
  if (declaration.kind === 'using' || declaration.kind === 'await using') return false;
  const declarator = definition.node as ESTree.VariableDeclarator;
  if (declarator.id.type !== 'Identifier' || !declarator.init) return false;
  let init = unwrapTS(declarator.init);
  if (init.type === 'AwaitExpression') init = unwrapTS(init.argument);
  if (init.type !== 'CallExpression') return false;
  // Only iterators opened in the loop's own function; ones from outside are the caller's to close.
  if (enclosingFunction(declarator) !== enclosingFunction(next)) return false;
  const callee = unwrapTS(init.callee);
  if (callee.type === 'MemberExpression' && callee.computed && chainText(callee.property) === 'Symbol.asyncIterator') return true;
  if (callee.type === 'Identifier') {
    const fn = resolve(context, callee);
    const node = fn?.defs[0]?.node as ESTree.Node | undefined;
    if (node && isFunction(node) && node.generator) return true;
    if (node?.type === 'VariableDeclarator' && node.init && isFunction(node.init) && node.init.generator) return true;
  }
  // `await it.next()`, possibly through `.catch(…)`/`.then(…)` or a race.
  for (let current = parentOf(next); current && !isLoop(current) && !isFunction(current); current = parentOf(current)) {
    if (current.type === 'AwaitExpression') return true;
  }
  return false;
}

/** A way out of `loop` before the iterator reports `done`, named for the message. */
function earlyExit(context: Rule.RuleContext, loop: ESTree.Node, next: ESTree.CallExpression): string | undefined {
  let found: string | undefined;
  const nextAwait = (() => {
    for (let current = parentOf(next); current && current !== loop; current = parentOf(current)) {
      if (current.type === 'AwaitExpression') return current;
    }
    return undefined;
  })();
  walk(
    loop,
    (node) => {
      if (found) return 'skip';
      if (node !== loop && isFunction(node)) return 'skip';
      switch (node.type) {
        case 'ReturnStatement':
          found = '`return`';
          break;
        case 'ThrowStatement':
          found = '`throw`';
          break;
        case 'YieldExpression':
          found = '`yield`, where the consumer may stop';
          break;
        case 'BreakStatement':
          if (breaksOut(node, loop)) found = '`break`';
          break;
        case 'AwaitExpression':
          if (node !== nextAwait && !contains(node, next)) found = 'an `await` that may reject';
          break;
        default:
      }
      return undefined;
    },
    context.sourceCode,
  );
  return found;
}

/** Whether a `break` leaves `loop` (not just an inner loop or switch). */
function breaksOut(node: ESTree.BreakStatement, loop: ESTree.Node): boolean {
  for (let current = parentOf(node); current; current = parentOf(current)) {
    if (node.label) {
      if (current.type === 'LabeledStatement' && current.label.name === node.label.name) return !contains(loop, current) || current.body === loop;
    } else if (current === loop) {
      return true;
    } else if (isLoop(current) || current.type === 'SwitchStatement') {
      return false;
    }
    if (current === loop && !node.label) return true;
  }
  return true;
}

function closedInFinally(context: Rule.RuleContext, loop: ESTree.Node, name: string, fn: ESTree.Node | undefined): boolean {
  for (let current = parentOf(loop); current && current !== fn; current = parentOf(current)) {
    if (current.type === 'TryStatement' && current.finalizer && contains(current.block, loop)) {
      const closes = some(
        current.finalizer,
        (node) => node.type === 'MemberExpression' && memberName(node) === 'return' && chainText(node.object) === name,
        context.sourceCode,
      );
      if (closes) return true;
    }
  }
  return false;
}
