// Rule `leakproof/no-leaky-race`: `Promise.race` / `Promise.any` against a
// contender that outlives the call.
//
// Leak: the built-in race subscribes to every contender; a contender that stays
// pending keeps that subscription, and through it the race's resolver, the
// race's promise and the winning value, for as long as the contender lives
// (nodejs/node#17469). One race is harmless; a race repeated against the same
// long-lived contender (in a loop, per request, per subscription) keeps every
// winner.
// Invariant: a report names a contender that provably outlives this call by one
// of the definitions in `meta.docs` below; anything else is left alone.
import type { Rule, Scope } from 'eslint';
import type * as ESTree from 'estree';
import {
  initializerOf,
  isFunction,
  isLoop,
  isMember,
  isModuleLevel,
  isThisMemberChain,
  memberName,
  chainText,
  contains,
  importFixes,
  parentOf,
  resolve,
  some,
  staticName,
  unwrapTS,
  walk,
} from '../utils.js';
import { docsUrl } from '../docs.js';

type Reason = 'loop' | 'recursion' | 'this' | 'module' | 'signal';

const REASON_TEXT: Record<Reason, string> = {
  loop: 'is declared outside the loop this race repeats in',
  recursion: 'is passed down through this recursive async function',
  this: 'is an instance member, alive as long as the object',
  module: 'is a module-level binding, alive as long as the module',
  signal: 'settles only if an AbortSignal aborts',
};

export const noLeakyRace: Rule.RuleModule = {
  meta: {
    type: 'problem',
    docs: {
      description:
        'Disallow `Promise.race`/`Promise.any` against a long-lived contender. A contender is long-lived when it is ' +
        '(1) a binding declared outside the innermost loop that contains the race and not reassigned inside that loop; ' +
        '(2) a parameter of, or a binding declared outside, an async function that calls itself by name, when the race is in that function; ' +
        '(3) a `this.` member chain (also through `.then/.catch/.finally`); ' +
        '(4) a module-level binding or import, unless initialised with `Promise.resolve/reject`; ' +
        '(5) a promise that settles from an AbortSignal: `new Promise` whose executor adds an `abort` listener or sets `onabort`, ' +
        "`once(x, 'abort')`, or a call of a same-file function or method that returns one. " +
        'A collection contender (`Promise.race(x)`, `...x`, `x.map(f)`, `Object.values(x)`) is long-lived when `x` is, or when `f` returns a `this.` member.',
      recommended: true,
      url: docsUrl('no-leaky-race'),
    },
    hasSuggestions: true,
    schema: [],
    messages: {
      leakyRace:
        '`{{callee}}` keeps every result alive while `{{contender}}` is pending: it {{reason}}. ' +
        "Use `{{replacement}}` from 'leakproof', which lets go of a race's contenders once it settles.",
      useLeakproof: "Replace with `{{replacement}}` from 'leakproof'",
    },
  },
  create(context) {
    const sourceCode = context.sourceCode;
    return {
      CallExpression(node) {
        const callee = unwrapTS(node.callee);
        if (callee.type !== 'MemberExpression') return;
        const method = memberName(callee);
        if (method !== 'race' && method !== 'any') return;
        const object = unwrapTS(callee.object);
        const isPromise =
          (object.type === 'Identifier' && object.name === 'Promise') ||
          (isMember(object, 'Promise') && unwrapTS(object.object).type === 'Identifier' &&
            ['globalThis', 'global', 'window', 'self'].includes((unwrapTS(object.object) as ESTree.Identifier).name));
        if (!isPromise || node.arguments.length === 0) return;
        if (object.type === 'Identifier' && resolve(context, object)?.defs.length) return; // a local `Promise`
        const argument = node.arguments[0]!;
        const found = findLongLived(context, node, argument);
        if (!found) return;
        const replacement = method;
        context.report({
          node,
          messageId: 'leakyRace',
          data: {
            callee: `Promise.${method}`,
            contender: sourceCode.getText(found.node).slice(0, 60),
            reason: REASON_TEXT[found.reason],
            replacement,
          },
          suggest: [
            {
              messageId: 'useLeakproof',
              data: { replacement },
              fix(fixer) {
                const imports = importFixes(context, fixer, replacement, node);
                if (!imports) return null;
                return [fixer.replaceText(node.callee, replacement), ...imports];
              },
            },
          ],
        });
      },
    };
  },
};

interface Found {
  node: ESTree.Node;
  reason: Reason;
}

function findLongLived(context: Rule.RuleContext, race: ESTree.CallExpression, argument: ESTree.Node): Found | undefined {
  const list = unwrapTS(argument);
  if (list.type === 'ArrayExpression') {
    for (const element of list.elements) {
      if (!element) continue;
      const found =
        element.type === 'SpreadElement'
          ? classifyCollection(context, element.argument)
          : classify(context, race, element);
      if (found) return found;
    }
    return undefined;
  }
  if (list.type === 'SpreadElement') return undefined;
  return classifyCollection(context, list);
}

/** A collection of contenders: long-lived when the collection is, or when it maps to `this.` members. */
function classifyCollection(context: Rule.RuleContext, node: ESTree.Node): Found | undefined {
  const expression = unwrapTS(node);
  if (expression.type === 'CallExpression') {
    const callee = unwrapTS(expression.callee);
    const name = memberName(callee);
    // `x.map((k) => this.pending[k])`: every element is an instance member.
    if ((name === 'map' || name === 'flatMap') && callee.type === 'MemberExpression') {
      const mapper = expression.arguments[0] && unwrapTS(expression.arguments[0]);
      if (mapper && mapper.type === 'ArrowFunctionExpression') {
        const results = returnedExpressions(mapper, context.sourceCode);
        const member = results.find((result) => isThisMemberChain(stripThen(result)));
        if (member) return { node: member, reason: 'this' };
      }
      return undefined;
    }
    // `Object.values(x)`, `Array.from(x)`: the same contenders as `x`.
    if (
      callee.type === 'MemberExpression' &&
      unwrapTS(callee.object).type === 'Identifier' &&
      ['Object.values', 'Array.from'].includes(`${(unwrapTS(callee.object) as ESTree.Identifier).name}.${name}`) &&
      expression.arguments[0]
    ) {
      return classifyContainer(context, expression.arguments[0]);
    }
    return undefined;
  }
  return classifyContainer(context, expression);
}

/** A container's own lifetime, for `...x` and `Promise.race(x)`. */
function classifyContainer(context: Rule.RuleContext, node: ESTree.Node): Found | undefined {
  const expression = unwrapTS(node);
  if (isThisMemberChain(expression)) return { node: expression, reason: 'this' };
  if (expression.type === 'Identifier') {
    const variable = resolve(context, expression);
    if (!variable || variable.defs.length === 0) return undefined;
    // The container itself lives across iterations only if it is also filled
    // outside this call; a local array built for this race is fresh each time.
    if (isModuleLevel(variable) && !isSettledInit(variable)) return { node: expression, reason: 'module' };
    return undefined;
  }
  return undefined;
}

/** One contender. */
function classify(context: Rule.RuleContext, race: ESTree.CallExpression, node: ESTree.Node): Found | undefined {
  const expression = stripThen(unwrapTS(node));
  if (isThisMemberChain(expression)) return { node: expression, reason: 'this' };
  if (isAbortPromise(context, expression)) return { node: expression, reason: 'signal' };
  if (expression.type === 'Identifier') {
    const variable = resolve(context, expression);
    if (!variable || variable.defs.length === 0) return undefined;
    if (isSettledInit(variable)) return undefined;
    if (isRefreshedNear(variable, race)) return undefined;
    if (isModuleLevel(variable)) return { node: expression, reason: 'module' };
    const init = initializerOf(variable);
    if (init && isAbortPromise(context, stripThen(unwrapTS(init)))) {
      return { node: expression, reason: 'signal' };
    }
    const declaredAt = variable.defs[0]!.name;
    for (let current = parentOf(race); current; current = parentOf(current)) {
      if (isFunction(current)) {
        if (isRecursiveAsync(context, current) && !contains(current.body, declaredAt)) {
          return { node: expression, reason: 'recursion' };
        }
        break;
      }
      if (isLoop(current) && repeatsIn(current, race) && !contains(current, declaredAt)) {
        return { node: expression, reason: 'loop' };
      }
    }
  }
  return undefined;
}

/** Whether `node` runs once per iteration of `loop` (the initialiser of a `for` runs once). */
function repeatsIn(loop: ESTree.Node, node: ESTree.Node): boolean {
  if (loop.type === 'ForStatement') {
    return [loop.test, loop.update, loop.body].some((part) => !!part && contains(part, node));
  }
  if (loop.type === 'ForOfStatement' || loop.type === 'ForInStatement') return contains(loop.body, node);
  return contains(loop, node);
}

/**
 * Whether the binding is reassigned in the race's own function or in a loop
 * around the race: then each race sees a fresh contender.
 */
function isRefreshedNear(variable: Scope.Variable, race: ESTree.Node): boolean {
  let region: ESTree.Node | undefined;
  for (let current = parentOf(race); current; current = parentOf(current)) {
    if (isLoop(current) || isFunction(current)) {
      region = current;
      break;
    }
  }
  if (!region) return false;
  return variable.references.some(
    (reference) => reference.isWrite() && !reference.init && contains(region, reference.identifier),
  );
}

/** `p.then(…)`, `p.catch(…)`, `p.finally(…)` are pending as long as `p` is. */
function stripThen(node: ESTree.Node): ESTree.Node {
  let current = unwrapTS(node);
  while (
    current.type === 'CallExpression' &&
    current.callee.type === 'MemberExpression' &&
    ['then', 'catch', 'finally'].includes(memberName(current.callee) ?? '')
  ) {
    current = unwrapTS(current.callee.object);
  }
  return current;
}

function isSettledInit(variable: Scope.Variable): boolean {
  // `declare const x: Promise<T>` (TypeScript) has no value at run time.
  const declaration = variable.defs[0]?.parent as { declare?: boolean } | null | undefined;
  if (declaration?.declare === true) return true;
  const init = initializerOf(variable);
  if (!init) return false;
  const expression = unwrapTS(init);
  if (expression.type !== 'CallExpression') return false;
  const callee = unwrapTS(expression.callee);
  return (
    callee.type === 'MemberExpression' &&
    unwrapTS(callee.object).type === 'Identifier' &&
    (unwrapTS(callee.object) as ESTree.Identifier).name === 'Promise' &&
    ['resolve', 'reject'].includes(memberName(callee) ?? '') &&
    variable.references.every((reference) => !reference.isWrite() || reference.init === true)
  );
}

/** A promise that settles only when an AbortSignal aborts. */
function isAbortPromise(context: Rule.RuleContext, node: ESTree.Node, depth = 0): boolean {
  const expression = unwrapTS(node);
  if (expression.type === 'NewExpression') {
    const callee = unwrapTS(expression.callee);
    if (callee.type !== 'Identifier' || callee.name !== 'Promise') return false;
    const executor = expression.arguments[0] && unwrapTS(expression.arguments[0]);
    return !!executor && isFunction(executor) && addsAbortListener(context, executor);
  }
  if (expression.type === 'AwaitExpression') return isAbortPromise(context, expression.argument, depth);
  if (expression.type !== 'CallExpression') return false;
  const callee = unwrapTS(expression.callee);
  // `once(signal, 'abort')`, `events.once(signal, 'abort')`
  const calleeName = callee.type === 'Identifier' ? callee.name : memberName(callee);
  if (calleeName === 'once' && expression.arguments.length >= 2) {
    return staticName(expression.arguments[1]!) === 'abort';
  }
  if (depth > 0) return false;
  const fn = sameFileFunction(context, callee);
  return !!fn && returnedExpressions(fn, context.sourceCode).some((result) => isAbortPromise(context, result, depth + 1));
}

/**
 * Whether an executor adds an abort listener that nothing removes: a listener
 * held in a binding that some `removeEventListener('abort', thatBinding)` in
 * the file takes off again does not keep the promise pending forever.
 */
function addsAbortListener(context: Rule.RuleContext, fn: ESTree.Node): boolean {
  const sourceCode = context.sourceCode;
  return some(
    fn,
    (node) => {
      if (node.type === 'AssignmentExpression' && isMember(node.left, 'onabort')) return true;
      if (!(node.type === 'CallExpression' && isMember(node.callee, 'addEventListener') && staticName(node.arguments[0]) === 'abort')) {
        return false;
      }
      const listener = node.arguments[1] && chainText(node.arguments[1]);
      if (listener === undefined) return true;
      return !some(
        sourceCode.ast,
        (other) =>
          other.type === 'CallExpression' &&
          isMember(other.callee, 'removeEventListener') &&
          staticName(other.arguments[0]) === 'abort' &&
          other.arguments[1] !== undefined &&
          chainText(other.arguments[1]) === listener,
        sourceCode,
      );
    },
    sourceCode,
  );
}

/** The function a call's callee names in this file: `f`, `this.m`, `this.#m`. */
function sameFileFunction(context: Rule.RuleContext, callee: ESTree.Node): ESTree.Node | undefined {
  if (callee.type === 'Identifier') {
    const variable = resolve(context, callee);
    const definition = variable?.defs.length === 1 ? variable.defs[0] : undefined;
    if (!definition) return undefined;
    if (definition.type === 'FunctionName') return definition.node as ESTree.Node;
    const init = variable && initializerOf(variable);
    return init && isFunction(unwrapTS(init)) ? unwrapTS(init) : undefined;
  }
  if (callee.type === 'MemberExpression' && unwrapTS(callee.object).type === 'ThisExpression') {
    const name = memberName(callee);
    for (let current = parentOf(callee); current; current = parentOf(current)) {
      if (current.type === 'ClassBody') {
        for (const member of current.body) {
          if (member.type === 'MethodDefinition' && staticName(member.key, member.computed) === name) {
            return member.value;
          }
        }
        return undefined;
      }
    }
  }
  return undefined;
}

/** The expressions a function returns (its expression body, or its `return` arguments). */
function returnedExpressions(fn: ESTree.Node, sourceCode: Rule.RuleContext['sourceCode']): ESTree.Node[] {
  if (!isFunction(fn)) return [];
  if (fn.body.type !== 'BlockStatement') return [fn.body];
  const results: ESTree.Node[] = [];
  walk(
    fn.body,
    (node) => {
      if (node.type === 'ReturnStatement' && node.argument) results.push(node.argument);
    },
    sourceCode,
    false,
  );
  return results;
}

/** An async function (declaration or named expression) that calls itself by name. */
function isRecursiveAsync(context: Rule.RuleContext, fn: ESTree.Node): boolean {
  if (!isFunction(fn) || !fn.async) return false;
  let name: string | undefined;
  if (fn.type !== 'ArrowFunctionExpression' && fn.id) name = fn.id.name;
  const parent = parentOf(fn);
  if (!name && parent?.type === 'VariableDeclarator' && parent.id.type === 'Identifier') name = parent.id.name;
  if (!name && parent?.type === 'MethodDefinition') {
    const method = staticName(parent.key, parent.computed);
    if (!method) return false;
    return some(
      fn.body,
      (node) =>
        node.type === 'CallExpression' &&
        node.callee.type === 'MemberExpression' &&
        unwrapTS(node.callee.object).type === 'ThisExpression' &&
        memberName(node.callee) === method,
      context.sourceCode,
    );
  }
  if (!name) return false;
  let found = false;
  walk(
    fn.body,
    (node) => {
      if (found) return 'skip';
      if (node.type === 'CallExpression' && node.callee.type === 'Identifier' && node.callee.name === name) found = true;
      return undefined;
    },
    context.sourceCode,
  );
  return found;
}

