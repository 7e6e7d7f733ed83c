// Rule `leakproof/no-lingering-abort-listener`: an abort listener that is
// removed only if the signal aborts.
//
// Leak: `signal.addEventListener('abort', listener)` keeps `listener`, and
// everything it closes over, for as long as the signal lives. When the
// operation finishes without abort and nothing removes the listener, a
// long-lived signal (a server's shutdown signal, a request's signal reused for
// many calls) collects one listener per operation. `{ once: true }` removes it
// only when the event fires, which on such a signal is never.
// Invariant: a report names an `abort` listener on a signal-like receiver with
// no removal outside the listener itself, no `signal` option tying it to
// the operation, and no once-per-signal guard that outlives the adding
// function (which caps it at one listener per signal).
import type { Rule } from 'eslint';
import type * as ESTree from 'estree';
import {
  chainText,
  contains,
  enclosingFunction,
  freeName,
  hasProperty,
  hasSpread,
  importFixes,
  initializerOf,
  isFunction,
  isMember,
  isModuleLevel,
  memberName,
  parentOf,
  resolve,
  staticName,
  unwrapTS,
  walk,
  type Node,
} from '../utils.js';
import { docsUrl } from '../docs.js';

export const noLingeringAbortListener: Rule.RuleModule = {
  meta: {
    type: 'problem',
    docs: {
      description:
        'Disallow `abort` listeners that are removed only when the signal aborts. Reported: ' +
        "`x.addEventListener('abort', listener[, options])` and `x.onabort = listener` where `x` is signal-like " +
        '(its last name ends in "signal", or it is initialised from `….signal`) and long-lived: not the signal of an ' +
        '`AbortController`, nor an `AbortSignal.timeout/any()` or `anySignal()` made inside a function (one per call). ' +
        "Not reported when the options carry a `signal` (tied to the operation), when the same file calls " +
        "`removeEventListener('abort', <same listener>)` on the same receiver outside the listener, or sets " +
        '`x.onabort = null` outside the listener, nor when a once-per-signal guard adds it: inside ' +
        '`if (!seen.has(x)) { …; seen.set(x, …) }` with `seen` a `WeakMap`/`WeakSet` declared outside the adding ' +
        'function (one listener per signal, however often the function runs). `{ once: true }` is not a removal.',
      recommended: true,
      url: docsUrl('no-lingering-abort-listener'),
    },
    hasSuggestions: true,
    schema: [],
    messages: {
      lingering:
        "This `abort` listener on `{{signal}}` is removed only if the signal aborts; when the operation finishes first " +
        'it stays, keeping everything it closes over for as long as `{{signal}}` lives{{once}}. ' +
        "Use `onAbort` from 'leakproof' and dispose it when the operation ends (`using`), or `abortable(promise, signal)`.",
      useOnAbort: "Replace with `using {{name}} = onAbort({{signal}}, …)` from 'leakproof' (removed when this scope exits)",
    },
  },
  create(context) {
    const sourceCode = context.sourceCode;

    function check(node: ESTree.Node, receiver: ESTree.Node, listener: ESTree.Node | undefined, kind: 'add' | 'property', options?: ESTree.Node): void {
      if (!isSignalLike(context, receiver)) return;
      if (isLocalSignal(context, receiver, node)) return;
      if (isOncePerSignal(context, receiver, node)) return;
      if (options) {
        const bag = unwrapTS(options);
        if (bag.type !== 'ObjectExpression' && bag.type !== 'Literal') return; // unknown options: may carry a signal
        if (hasProperty(bag, 'signal') || (bag.type === 'ObjectExpression' && hasSpread(bag))) return;
      }
      const receiverText = chainText(receiver);
      if (receiverText === undefined) return;
      if (isRemoved(context, receiverText, listener, kind)) return;
      const once = options && hasProperty(options, 'once') ? ' (`once: true` removes it only when abort fires)' : '';
      const holder = parentOf(node);
      const fn = enclosingFunction(node);
      const canUse =
        listener !== undefined &&
        holder?.type === 'ExpressionStatement' &&
        fn !== undefined &&
        isFunction(fn) &&
        fn.async &&
        !isInsidePromiseExecutor(node) &&
        supportsUsing(context);
      const name = freeName(context, 'abortListener', node);
      context.report({
        node,
        messageId: 'lingering',
        data: { signal: receiverText, once },
        suggest: canUse
          ? [
              {
                messageId: 'useOnAbort',
                data: { name, signal: receiverText },
                fix(fixer) {
                  const imports = importFixes(context, fixer, 'onAbort', node);
                  if (!imports) return null;
                  const text = `using ${name} = onAbort(${sourceCode.getText(receiver)}, ${sourceCode.getText(listener)});`;
                  return [fixer.replaceText(holder!, text), ...imports];
                },
              },
            ]
          : [],
      });
    }

    return {
      CallExpression(node) {
        const callee = unwrapTS(node.callee);
        if (!isMember(callee, 'addEventListener')) return;
        if (staticName(node.arguments[0]) !== 'abort') return;
        const listener = node.arguments[1];
        if (!listener || listener.type === 'SpreadElement') return;
        const options = node.arguments[2];
        if (options?.type === 'SpreadElement') return;
        if (options && unwrapTS(options).type === 'Literal') {
          // `true` / `false` is `capture`: no signal, no once.
          check(node, callee.object, listener, 'add');
          return;
        }
        check(node, callee.object, listener, 'add', options);
      },
      AssignmentExpression(node) {
        if (node.operator !== '=' || !isMember(node.left, 'onabort')) return;
        const value = unwrapTS(node.right);
        if (value.type === 'Literal' || (value.type === 'Identifier' && value.name === 'undefined')) return;
        check(node, node.left.object, node.right, 'property');
      },
    };
  },
};

const SIGNAL_NAME = /signal$/i;

/**
 * The once-per-signal guard: `if (!seen.has(signal)) { signal.addEventListener('abort', …);
 * seen.set(signal, …) }` (or `seen.add(signal)`), where `seen` is a `WeakMap` or
 * `WeakSet` declared outside the function that adds the listener. However often
 * that function runs, a signal gets one listener per guard; the guard holds the
 * signal weakly. Exactly: the nearest enclosing `if` in the same function tests
 * `!seen.has(x)`, its consequent (not in a nested function) calls `seen.set(x, …)`
 * or `seen.add(x)`, and `x` has the receiver's text.
 */
function isOncePerSignal(context: Rule.RuleContext, receiver: ESTree.Node, at: ESTree.Node): boolean {
  const receiverText = chainText(receiver);
  const fn = enclosingFunction(at);
  if (receiverText === undefined || !fn) return false;
  let guard: ESTree.IfStatement | undefined;
  for (let current: ESTree.Node | undefined = at; current && current !== fn; current = parentOf(current)) {
    const parent = parentOf(current);
    if (parent?.type === 'IfStatement') {
      if (parent.consequent === current) guard = parent;
      break;
    }
  }
  if (!guard) return false;
  const test = unwrapTS(guard.test);
  if (test.type !== 'UnaryExpression' || test.operator !== '!') return false;
  const has = unwrapTS(test.argument);
  if (has.type !== 'CallExpression' || !isMember(has.callee, 'has') || has.arguments.length !== 1) return false;
  if (chainText(has.arguments[0]!) !== receiverText) return false;
  const weak = unwrapTS(has.callee.object);
  if (weak.type !== 'Identifier') return false;
  const variable = resolve(context, weak);
  const init = variable && initializerOf(variable);
  const made = init && unwrapTS(init);
  if (
    !made ||
    made.type !== 'NewExpression' ||
    unwrapTS(made.callee).type !== 'Identifier' ||
    !['WeakMap', 'WeakSet'].includes((unwrapTS(made.callee) as ESTree.Identifier).name)
  ) {
    return false;
  }
  // Declared inside the adding function, the guard is new on every call and guards nothing.
  if (contains(fn, variable.defs[0]!.node as ESTree.Node)) return false;
  const consequent = guard.consequent;
  let remembered = false;
  walk(
    consequent,
    (node) => {
      if (remembered || (node !== consequent && isFunction(node))) return 'skip';
      if (
        node.type === 'CallExpression' &&
        (isMember(node.callee, 'set') || isMember(node.callee, 'add')) &&
        chainText((node.callee as ESTree.MemberExpression).object) === weak.name &&
        node.arguments[0] !== undefined &&
        chainText(node.arguments[0]) === receiverText
      ) {
        remembered = true;
      }
      return undefined;
    },
    context.sourceCode,
  );
  return remembered;
}

/** Whether the receiver is an AbortSignal by its name or its initialiser. */
function isSignalLike(context: Rule.RuleContext, receiver: ESTree.Node): boolean {
  const expression = unwrapTS(receiver);
  if (expression.type === 'Identifier') {
    if (SIGNAL_NAME.test(expression.name)) return true;
    const variable = resolve(context, expression);
    const init = variable && initializerOf(variable);
    return !!init && (isMember(unwrapTS(init), 'signal') || isSignalFactory(unwrapTS(init)));
  }
  if (expression.type === 'MemberExpression') return SIGNAL_NAME.test(memberName(expression) ?? '');
  return false;
}

function isSignalFactory(node: ESTree.Node): boolean {
  return (
    node.type === 'CallExpression' &&
    node.callee.type === 'MemberExpression' &&
    unwrapTS(node.callee.object).type === 'Identifier' &&
    (unwrapTS(node.callee.object) as ESTree.Identifier).name === 'AbortSignal'
  );
}

/**
 * A signal that dies with the operation: `controller.signal` of an
 * `AbortController` created in the same function, or `AbortSignal.timeout()`,
 * which aborts (and so fires and drops `once` listeners) on its own.
 */
function isLocalSignal(context: Rule.RuleContext, receiver: ESTree.Node, at: ESTree.Node): boolean {
  const expression = unwrapTS(receiver);
  const fn = enclosingFunction(at);
  // Created in a function around the listener (not at module level): one per call.
  const local = (identifier: ESTree.Identifier, test: (init: ESTree.Node) => boolean): boolean => {
    const variable = resolve(context, identifier);
    const init = variable && initializerOf(variable);
    if (!init || !test(unwrapTS(init))) return false;
    return fn !== undefined && !isModuleLevel(variable);
  };
  if (expression.type === 'MemberExpression' && memberName(expression) === 'signal') {
    const owner = unwrapTS(expression.object);
    return (
      owner.type === 'Identifier' &&
      local(owner, (init) => init.type === 'NewExpression' && unwrapTS(init.callee).type === 'Identifier' &&
        (unwrapTS(init.callee) as ESTree.Identifier).name === 'AbortController')
    );
  }
  if (expression.type === 'Identifier') {
    return local(expression, (init) =>
      // A signal made here (a timeout, or a composite of others) dies with this call.
      (isSignalFactory(init) && ['timeout', 'any', 'abort'].includes(memberName((init as ESTree.CallExpression).callee) ?? '')) ||
      (init.type === 'CallExpression' && unwrapTS(init.callee).type === 'Identifier' &&
        (unwrapTS(init.callee) as ESTree.Identifier).name === 'anySignal') ||
      (isMember(init, 'signal') && unwrapTS((init as ESTree.MemberExpression).object).type === 'NewExpression'),
    );
  }
  return false;
}

/** Whether the listener is removed somewhere other than inside itself. */
function isRemoved(context: Rule.RuleContext, receiverText: string, listener: ESTree.Node | undefined, kind: 'add' | 'property'): boolean {
  const sourceCode = context.sourceCode;
  const listenerNode = listener ? unwrapTS(listener) : undefined;
  const inline = listenerNode !== undefined && isFunction(listenerNode);
  const listenerText = listenerNode ? chainText(listenerNode) : undefined;
  let removed = false;
  walk(
    sourceCode.ast,
    (node: Node) => {
      if (removed) return 'skip';
      if (inline && node === listenerNode) return 'skip';
      if (kind === 'add' && node.type === 'CallExpression' && isMember(unwrapTS(node.callee), 'removeEventListener')) {
        const callee = unwrapTS(node.callee) as ESTree.MemberExpression;
        if (!sameName(chainText(callee.object), receiverText) || staticName(node.arguments[0]) !== 'abort') return undefined;
        const removedListener = node.arguments[1] && chainText(node.arguments[1]);
        // An inline function cannot be removed by name; a named one must match
        // (by its last name: `this.#onAbort` is often removed through a local
        // `onAbort`). A listener object that removes itself (`handleEvent`)
        // is removed as `this`.
        if (!inline && removedListener !== undefined && (sameName(removedListener, listenerText) || removedListener === 'this')) {
          if (!listenerNode || !isInsideListenerOf(node, listenerText)) removed = true;
        }
      }
      if (
        kind === 'property' &&
        node.type === 'AssignmentExpression' &&
        isMember(node.left, 'onabort') &&
        chainText((node.left as ESTree.MemberExpression).object) === receiverText
      ) {
        const value = unwrapTS(node.right);
        if (value.type === 'Literal' || (value.type === 'Identifier' && value.name === 'undefined')) removed = true;
      }
      return undefined;
    },
    sourceCode,
  );
  return removed;
}

/** Whether two member chains end in the same name (`hub.signal` and `signal`; `this.#onAbort` and `onAbort`). */
function sameName(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const last = (text: string): string => text.slice(text.lastIndexOf('.') + 1).replace(/^[#_]+/, '');
  return a === b || last(a) === last(b);
}

/** Whether `node` sits inside the function that a named listener refers to (removal on abort only). */
function isInsideListenerOf(node: ESTree.Node, listenerText: string | undefined): boolean {
  if (!listenerText) return false;
  for (let current = parentOf(node); current; current = parentOf(current)) {
    if (!isFunction(current)) continue;
    if (current.type === 'FunctionDeclaration' && current.id?.name === listenerText) return true;
    const parent = parentOf(current);
    if (parent?.type === 'VariableDeclarator' && parent.id.type === 'Identifier' && parent.id.name === listenerText) return true;
    if (parent?.type === 'AssignmentExpression' && chainText(parent.left) === listenerText) return true;
    if (parent?.type === 'MethodDefinition' && `this.${staticName(parent.key, parent.computed)}` === listenerText) return true;
    if (parent?.type === 'PropertyDefinition' && `this.${staticName(parent.key, parent.computed)}` === listenerText) return true;
  }
  return false;
}

/** Whether the file's parser reads `using` declarations (the suggestion writes one). */
function supportsUsing(context: Rule.RuleContext): boolean {
  const { parser, ecmaVersion } = context.languageOptions as {
    parser?: { meta?: { name?: string } };
    ecmaVersion?: number | 'latest';
  };
  if (parser?.meta?.name === 'typescript-eslint/parser') return true;
  // ESLint normalises `'latest'` to a year; `using` is ES2026.
  return ecmaVersion === 'latest' || (typeof ecmaVersion === 'number' && ecmaVersion >= 2026);
}

function isInsidePromiseExecutor(node: ESTree.Node): boolean {
  const fn = enclosingFunction(node);
  const parent = fn && parentOf(fn);
  return (
    parent?.type === 'NewExpression' &&
    unwrapTS(parent.callee).type === 'Identifier' &&
    (unwrapTS(parent.callee) as ESTree.Identifier).name === 'Promise'
  );
}
