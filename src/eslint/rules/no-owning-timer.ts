// Rule `leakproof/no-owning-timer`: a recurring timer in a class whose
// callback holds the instance.
//
// Leak: Node's timer list is a GC root. `setInterval(this.check.bind(this))`
// keeps the instance alive for as long as the interval runs; `unref()` lets the
// process exit but does not let the instance go. An object that is dropped
// without `close()` – or that is never closed because its timer started in
// the constructor – stays in memory forever (nodejs/node#48604).
// Invariant: a report names a timer created in a class, whose callback reaches
// the instance, which recurs, and which either is unref'd at construction or
// is not cleared by any closing method of the class.
import type { Rule, Scope } from 'eslint';
import type * as ESTree from 'estree';
import {
  chainText,
  freeName,
  importFixes,
  isFunction,
  isMember,
  memberName,
  parentOf,
  resolve,
  initializerOf,
  some,
  staticName,
  unwrapTS,
  usesThis,
  walk,
  type Node,
} from '../utils.js';
import { docsUrl } from '../docs.js';

const CLOSING = /^(close|dispose|destroy|stop|shutdown|terminate|end|disconnect|teardown|clean|abort|cancel|clear|reset|detach|unsubscribe|kill|quit|exit|release|free|finish|unmount|unref|dispose)/i;
/** A closing verb as a later camelCase word: `onClose`, `handleDestroy`, `onTestRunEnd`. */
const CLOSING_WORD = /(Close|Dispose|Destroy|Stop|Shutdown|Terminate|End|Disconnect|Teardown|Cleanup|Abort|Cancel|Clear|Reset|Detach|Unsubscribe|Kill|Quit|Exit|Release|Finish|Unmount)(?![a-z])/;
const CLOSING_SYMBOLS = new Set(['Symbol.dispose', 'Symbol.asyncDispose']);
const TIMER_OBJECTS = new Set(['globalThis', 'global', 'window', 'self', 'timers']);

export const noOwningTimer: Rule.RuleModule = {
  meta: {
    type: 'problem',
    docs: {
      description:
        'Disallow recurring timers that own their object. Reported: `setInterval(cb, …)` – or a `setTimeout` whose ' +
        'callback re-arms it (calls `setTimeout` again or the method that created it) – inside a class, where `cb` ' +
        'reaches the instance (`f.bind(this)`, a function using `this` or an alias of it, or `this` as an extra ' +
        'argument), and the timer is either `unref()`\'d and started in the constructor or a field initialiser, or ' +
        'never cleared (`clearInterval`/`clearTimeout`/`.close()`/`[Symbol.dispose]()` on the stored handle) in a ' +
        'closing method: `close`, `dispose`, `destroy`, `stop`, `shutdown`, `[Symbol.dispose]`, … (a method whose ' +
        'name starts with a closing verb or has one as a later camelCase word, like `onClose` or `onRunEnd`), directly or through one `this.method()` call. A cleared timer in a class that ' +
        'holds a `new WeakRef(…)` (a weak-timer handle) is not reported. Such a timer is long-lived: ' +
        'it runs until cleared, and the timer list is a GC root.',
      recommended: true,
      url: docsUrl('no-owning-timer'),
    },
    hasSuggestions: true,
    schema: [],
    messages: {
      owning:
        '`{{timer}}` holds this instance through its callback{{why}}, so the object cannot be collected while the timer ' +
        "runs. Use `{{replacement}}(this, (self) => …, ms)` from 'leakproof', which reaches the object through a WeakRef and stops when it is collected.",
      useWeak: "Replace with `{{replacement}}(this, ({{param}}) => …)` from 'leakproof'",
    },
  },
  create(context) {
    const sourceCode = context.sourceCode;
    return {
      CallExpression(node) {
        const timer = timerName(context, node.callee);
        if (!timer) return;
        const classBody = enclosingClassBody(node);
        if (!classBody) return;
        const callback = node.arguments[0] && unwrapTS(node.arguments[0]);
        if (!callback || callback.type === 'SpreadElement') return;
        if (!capturesInstance(context, node, callback)) return;
        const member = enclosingMember(node, classBody);
        if (timer === 'setTimeout' && !rearms(context, callback, member)) return;

        // The handle: `this.x = setInterval(…)[.unref()]`.
        let expression: ESTree.Node = node;
        let unrefChained = false;
        const chainParent = parentOf(node);
        if (chainParent?.type === 'MemberExpression' && memberName(chainParent) === 'unref') {
          const call = parentOf(chainParent);
          if (call?.type === 'CallExpression' && call.callee === chainParent) {
            expression = call;
            unrefChained = true;
          }
        }
        const whole = expression;
        // `repeat ? setInterval(…) : setTimeout(…)` stores whichever was made.
        while (parentOf(expression)?.type === 'ConditionalExpression' && (parentOf(expression) as ESTree.ConditionalExpression).test !== expression) {
          expression = parentOf(expression)!;
        }
        const holder = parentOf(expression);
        let local: string | undefined;
        let store =
          holder?.type === 'AssignmentExpression' && holder.right === expression
            ? chainText(holder.left)
            : holder?.type === 'PropertyDefinition' && holder.value === expression
              ? `this.${staticName(holder.key, holder.computed)}`
              : undefined;
        // `const timer = setInterval(…); this.#timer = timer;`
        if (holder?.type === 'VariableDeclarator' && holder.id.type === 'Identifier') {
          local = holder.id.name;
          const variable = sourceCode.getDeclaredVariables(holder)[0];
          for (const reference of variable?.references ?? []) {
            const parent = parentOf(reference.identifier);
            if (parent?.type === 'AssignmentExpression' && parent.right === reference.identifier) {
              store = chainText(parent.left);
            }
          }
        }
        const unref =
          unrefChained ||
          (store !== undefined && callsOn(classBody, store, 'unref', sourceCode)) ||
          (local !== undefined && callsOn(enclosingMember(node, classBody) ?? classBody, local, 'unref', sourceCode));
        const atConstruction =
          member?.type === 'PropertyDefinition' ||
          (member?.type === 'MethodDefinition' && member.kind === 'constructor');
        const cleared = store !== undefined && clearedOnClose(classBody, store, sourceCode);
        if (cleared && !(unref && atConstruction)) return;
        // The weak-timer pattern itself: the timer owns a small handle that
        // reaches its real owner through a WeakRef and is cleared by the handle.
        if (cleared && some(classBody, (n) => n.type === 'NewExpression' && unwrapTS(n.callee).type === 'Identifier' && (unwrapTS(n.callee) as ESTree.Identifier).name === 'WeakRef', sourceCode)) return;

        const replacement = timer === 'setInterval' ? 'weakInterval' : 'weakTimeout';
        const why = !cleared
          ? ' and nothing in a closing method clears it'
          : ' and it is unref()\'d at construction, so an instance never closed stays';
        const param = freeName(context, 'self', callback);
        const fixable = whole !== expression ? undefined : suggestionFixes(context, node, callback, param, store, unrefChained, classBody);
        context.report({
          node,
          messageId: 'owning',
          data: { timer, why, replacement },
          suggest: fixable
            ? [
                {
                  messageId: 'useWeak',
                  data: { replacement, param },
                  fix(fixer) {
                    const imports = importFixes(context, fixer, replacement, node);
                    if (!imports) return null;
                    return [...fixable(fixer, replacement, whole), ...imports];
                  },
                },
              ]
            : [],
        });
      },
    };
  },
};

function timerName(context: Rule.RuleContext, callee: ESTree.Node): 'setInterval' | 'setTimeout' | undefined {
  const expression = unwrapTS(callee);
  let name: string | undefined;
  if (expression.type === 'Identifier') {
    if (resolve(context, expression)?.defs.some((definition) => definition.type !== 'ImportBinding')) return undefined;
    name = expression.name;
  } else if (expression.type === 'MemberExpression') {
    const object = unwrapTS(expression.object);
    if (object.type !== 'Identifier' || !TIMER_OBJECTS.has(object.name)) return undefined;
    name = memberName(expression);
  }
  return name === 'setInterval' || name === 'setTimeout' ? name : undefined;
}

function enclosingClassBody(node: ESTree.Node): ESTree.ClassBody | undefined {
  for (let current = parentOf(node); current; current = parentOf(current)) {
    if (current.type === 'ClassBody') return current;
    // A plain function inside a method rebinds `this`; the class is still the owner if it captures an alias.
  }
  return undefined;
}

function enclosingMember(node: ESTree.Node, classBody: ESTree.ClassBody): Node | undefined {
  for (let current: Node | undefined = node as Node; current; current = parentOf(current)) {
    if (parentOf(current) === classBody) return current;
  }
  return undefined;
}

/** Whether the callback (or an extra argument) reaches the instance. */
function capturesInstance(context: Rule.RuleContext, call: ESTree.CallExpression, callback: ESTree.Node): boolean {
  const sourceCode = context.sourceCode;
  if (call.arguments.slice(2).some((argument) => unwrapTS(argument).type === 'ThisExpression')) return true;
  if (
    callback.type === 'CallExpression' &&
    isMember(unwrapTS(callback.callee), 'bind') &&
    callback.arguments[0] !== undefined &&
    unwrapTS(callback.arguments[0]).type === 'ThisExpression'
  ) {
    return true;
  }
  if (callback.type === 'ArrowFunctionExpression' && usesThis(callback, sourceCode)) return true;
  if (isFunction(callback)) {
    // `const self = this; setInterval(function () { self.tick(); })`
    return some(
      callback,
      (node) => {
        if (node.type !== 'Identifier') return false;
        const parent = parentOf(node);
        if (parent?.type === 'MemberExpression' && parent.property === node && !parent.computed) return false;
        const variable = resolve(context, node);
        const init = variable && initializerOf(variable);
        return !!init && unwrapTS(init).type === 'ThisExpression';
      },
      sourceCode,
    );
  }
  return false;
}

/** Whether a `setTimeout` callback schedules the next run: calls `setTimeout` or the method that created it. */
function rearms(context: Rule.RuleContext, callback: ESTree.Node, member: Node | undefined): boolean {
  const method = member?.type === 'MethodDefinition' ? staticName(member.key, member.computed) : undefined;
  const target =
    callback.type === 'CallExpression' && isMember(unwrapTS(callback.callee), 'bind')
      ? unwrapTS((unwrapTS(callback.callee) as ESTree.MemberExpression).object)
      : callback;
  if (target.type === 'MemberExpression' && method !== undefined && memberName(target) === method) return true;
  if (!isFunction(target)) return false;
  return some(
    target,
    (node) =>
      node.type === 'CallExpression' &&
      (timerName(context, node.callee) === 'setTimeout' ||
        (method !== undefined &&
          node.callee.type === 'MemberExpression' &&
          unwrapTS(node.callee.object).type === 'ThisExpression' &&
          memberName(node.callee) === method)),
    context.sourceCode,
  );
}

function callsOn(root: ESTree.Node, store: string, method: string, sourceCode: Rule.RuleContext['sourceCode']): boolean {
  return some(
    root,
    (node) =>
      node.type === 'CallExpression' &&
      node.callee.type === 'MemberExpression' &&
      memberName(node.callee) === method &&
      chainText(node.callee.object) === store,
    sourceCode,
  );
}

function clears(root: ESTree.Node, store: string, sourceCode: Rule.RuleContext['sourceCode']): boolean {
  // `const timer = this.#timer; … clearInterval(timer)` names the handle through a local.
  const isHandle = (node: ESTree.Node): boolean => {
    if (chainText(node) === store) return true;
    const expression = unwrapTS(node);
    if (expression.type !== 'Identifier') return false;
    const variable = findVariable(sourceCode, expression);
    const init = variable && initializerOf(variable);
    return !!init && chainText(init) === store;
  };
  return some(
    root,
    (node) => {
      if (node.type !== 'CallExpression') return false;
      const callee = unwrapTS(node.callee);
      const name = callee.type === 'Identifier' ? callee.name : memberName(callee);
      if ((name === 'clearInterval' || name === 'clearTimeout') && node.arguments[0]) {
        return isHandle(node.arguments[0]);
      }
      if (callee.type === 'MemberExpression' && isHandle(callee.object)) {
        return name === 'close' || isDisposeKey(callee);
      }
      return false;
    },
    sourceCode,
  );
}

function findVariable(sourceCode: Rule.RuleContext['sourceCode'], identifier: ESTree.Identifier): Scope.Variable | undefined {
  for (let scope: Scope.Scope | null = sourceCode.getScope(identifier); scope; scope = scope.upper) {
    const variable = scope.set.get(identifier.name);
    if (variable) return variable;
  }
  return undefined;
}

function isDisposeKey(member: ESTree.MemberExpression): boolean {
  return member.computed && CLOSING_SYMBOLS.has(chainText(member.property) ?? '');
}

function methodName(member: ESTree.MethodDefinition): string | undefined {
  if (member.computed) return chainText(member.key);
  return staticName(member.key)?.replace(/^[#_]+/, '');
}

function isClosing(member: ESTree.MethodDefinition): boolean {
  const name = methodName(member);
  if (name === undefined) return false;
  return CLOSING_SYMBOLS.has(name) || CLOSING.test(name) || CLOSING_WORD.test(name);
}

/** Whether a closing method clears `store`, directly or through one `this.method()` call. */
function clearedOnClose(classBody: ESTree.ClassBody, store: string, sourceCode: Rule.RuleContext['sourceCode']): boolean {
  const methods = classBody.body.filter((member): member is ESTree.MethodDefinition => member.type === 'MethodDefinition');
  const clearing = new Set(methods.filter((method) => clears(method.value, store, sourceCode)).map((method) => staticName(method.key, method.computed)));
  return methods.some(
    (method) =>
      isClosing(method) &&
      (clears(method.value, store, sourceCode) ||
        some(
          method.value,
          (node) =>
            node.type === 'CallExpression' &&
            node.callee.type === 'MemberExpression' &&
            unwrapTS(node.callee.object).type === 'ThisExpression' &&
            clearing.has(memberName(node.callee)),
          sourceCode,
        )),
  );
}

type FixBuilder = (fixer: Rule.RuleFixer, replacement: string, whole: ESTree.Node) => Rule.Fix[];

/**
 * The rewrite to weakInterval/weakTimeout, when it is mechanical: the callback
 * is `this.m.bind(this)` or an arrow without parameters, there are exactly two
 * arguments, and the stored handle is used only to clear it (rewritten to
 * `[Symbol.dispose]()`), assigned, or tested.
 */
function suggestionFixes(
  context: Rule.RuleContext,
  call: ESTree.CallExpression,
  callback: ESTree.Node,
  param: string,
  store: string | undefined,
  unrefChained: boolean,
  classBody: ESTree.ClassBody,
): FixBuilder | undefined {
  const sourceCode = context.sourceCode;
  if (call.arguments.length !== 2) return undefined;
  let body: (fixer: Rule.RuleFixer) => string;
  if (
    callback.type === 'CallExpression' &&
    callback.arguments.length === 1 &&
    isMember(unwrapTS(callback.callee), 'bind')
  ) {
    const target = unwrapTS((unwrapTS(callback.callee) as ESTree.MemberExpression).object);
    if (target.type !== 'MemberExpression' || unwrapTS(target.object).type !== 'ThisExpression') return undefined;
    const text = sourceCode.getText(target.property);
    const access = target.computed ? `${param}[${text}]` : `${param}.${text}`;
    body = () => `(${param}) => ${access}()`;
  } else if (callback.type === 'ArrowFunctionExpression' && callback.params.length === 0 && !callback.async) {
    const edits: [number, number][] = [];
    walk(
      callback,
      (node) => {
        if (node !== callback && (node.type === 'FunctionExpression' || node.type === 'FunctionDeclaration')) return 'skip';
        if (node.type === 'ThisExpression') edits.push(node.range!);
        return undefined;
      },
      sourceCode,
    );
    const [start] = callback.body.range!;
    const original = sourceCode.getText(callback.body);
    let text = '';
    let at = 0;
    for (const [from, to] of edits.sort((a, b) => a[0] - b[0])) {
      text += original.slice(at, from - start) + param;
      at = to - start;
    }
    text += original.slice(at);
    body = () => `(${param}) => ${text}`;
  } else {
    return undefined;
  }
  const clearCalls: ESTree.CallExpression[] = [];
  if (store !== undefined) {
    let safe = true;
    walk(
      classBody,
      (node) => {
        if (!safe) return 'skip';
        if (chainText(node) !== store || node.type === 'Identifier' && parentOf(node)?.type === 'MemberExpression') return undefined;
        const parent = parentOf(node);
        if (parent?.type === 'CallExpression' && parent.arguments[0] === node) {
          const callee = unwrapTS(parent.callee);
          const name = callee.type === 'Identifier' ? callee.name : undefined;
          if (name === 'clearInterval' || name === 'clearTimeout') {
            clearCalls.push(parent);
            return 'skip';
          }
        }
        if (parent?.type === 'AssignmentExpression' && parent.left === node) return 'skip';
        if (parent?.type === 'PropertyDefinition') return 'skip';
        if (parent?.type === 'IfStatement' || parent?.type === 'LogicalExpression' || (parent?.type === 'UnaryExpression' && parent.operator === '!')) {
          return 'skip';
        }
        if (parent?.type === 'MemberExpression' && parent.object === node) {
          safe = false;
          return 'skip';
        }
        safe = false;
        return 'skip';
      },
      sourceCode,
    );
    if (!safe) return undefined;
  }
  return (fixer, replacement, whole) => {
    const ms = sourceCode.getText(call.arguments[1]);
    const options = unrefChained ? '' : ', { unref: false }';
    const fixes = [fixer.replaceText(whole, `${replacement}(this, ${body(fixer)}, ${ms}${options})`)];
    for (const clear of clearCalls) {
      fixes.push(fixer.replaceText(clear, `${store}?.[Symbol.dispose]()`));
    }
    return fixes;
  };
}
