// Rule `leakproof/no-unbounded-cache`: a module-level (or class-static)
// collection that functions add to and nothing ever shrinks.
//
// Leak: a module lives as long as the process, so a `Map` at module level that
// a function fills with one entry per distinct key holds every key and value
// ever seen. Without a delete, clear or size check anywhere in the module the
// growth has no bound but the key space.
// Invariant: a report names a collection whose every use is visible in this
// file (not exported, not passed to other code), none of those uses can
// remove an entry, and at least one insert after load has a key this file
// does not confine to a fixed set of values (a cache keyed by the parser's
// keyword lists, or a warn-once Set, is bounded by the code and not reported).
import type { Rule, Scope, SourceCode } from 'eslint';
import type * as ESTree from 'estree';
import {
  enclosingFunction,
  importFixes,
  isFunction,
  isLoop,
  isTopLevelScope,
  memberName,
  parentOf,
  resolve,
  scopeOf,
  some,
  staticName,
  unwrapTS,
  walk,
} from '../utils.js';
import { docsUrl } from '../docs.js';

type Kind = 'Map' | 'Set' | 'array' | 'object';

const GROW: Record<Kind, ReadonlySet<string>> = {
  Map: new Set(['set']),
  Set: new Set(['add']),
  array: new Set(['push', 'unshift']),
  object: new Set(),
};
const SHRINK = new Set(['delete', 'clear', 'splice', 'shift', 'pop', 'length', 'size']);
/** Methods that only read, or return a new value: using them neither grows nor shrinks nor escapes. */
const READ = new Set([
  'get', 'has', 'forEach', 'keys', 'values', 'entries', 'includes', 'indexOf', 'find', 'findIndex', 'some',
  'every', 'map', 'filter', 'reduce', 'slice', 'join', 'at', 'concat', 'toString', 'hasOwnProperty',
]);
const LRU_METHODS = new Set(['get', 'set', 'has', 'delete', 'clear', 'size', 'keys', 'values', 'entries', 'forEach']);

export const noUnboundedCache: Rule.RuleModule = {
  meta: {
    type: 'problem',
    docs: {
      description:
        'Disallow module-level caches that only grow. Reported: a `Map`, `Set`, array literal or object literal ' +
        '(`{}` / `Object.create(null)`) bound at module level or in a `static` class field – long-lived because the ' +
        'module or class lives as long as the process – that a function adds to (`.set`, `.add`, `.push`, ' +
        '`.unshift`, `x[key] = …` with a computed key) while nothing in the module deletes, clears, splices, shifts, ' +
        'pops, reassigns it or reads its `size`/`length`. "Only grows" means at least one such insert can add a key ' +
        'the module does not fix in advance: an insert is not counted when its key can take only values fixed by the ' +
        "module's code (literals, constants, reads of a constant table, `typeof`/comparisons, and parameters of an " +
        'unexported function every call of which in the module passes such values), nor in the warn-once idiom ' +
        '(`if (!seen.has(k)) { seen.add(k); console.warn(…) }`, each entry paired with a printed warning). A ' +
        'collection that is exported or passed to other code is not reported (it may be bounded there). ' +
        '`WeakMap`/`WeakSet` are never reported.',
      recommended: false,
      url: docsUrl('no-unbounded-cache'),
    },
    hasSuggestions: true,
    schema: [],
    messages: {
      unbounded:
        '`{{name}}` lives as long as the module and only grows: {{grow}} adds to it, and nothing deletes, clears or ' +
        "checks its size. Bound it with `LRU` (`new LRU({ max })`) or cache through `memoize(fn, { max })` from 'leakproof'.",
      useLRU: "Replace `new Map()` with `new LRU({ max: 1000 })` from 'leakproof'",
    },
  },
  create(context) {
    const sourceCode = context.sourceCode;
    const domain = new FiniteDomain(context);
    return {
      'Program:exit'(program: ESTree.Program) {
        for (const statement of program.body) {
          const declaration =
            statement.type === 'VariableDeclaration'
              ? statement
              : statement.type === 'ExportNamedDeclaration'
                ? undefined // exported: other modules may shrink it
                : undefined;
          if (declaration) {
            for (const declarator of declaration.declarations) {
              if (declarator.id.type !== 'Identifier' || !declarator.init) continue;
              const kind = kindOf(declarator.init);
              if (!kind) continue;
              const variable = scopeOf(context, declarator).set.get(declarator.id.name) ??
                findInTopLevel(context, declarator.id.name);
              if (!variable || !isTopLevelScope(variable.scope)) continue;
              const uses = variable.references
                .filter((reference) => !reference.init)
                .map((reference) => reference.identifier as ESTree.Node);
              if (isExported(program, declarator.id.name)) continue;
              report(declarator.id.name, kind, declarator.init, uses, declaration.kind !== 'const' ? variable : undefined);
            }
          }
          const classNode =
            statement.type === 'ClassDeclaration'
              ? statement
              : statement.type === 'VariableDeclaration' &&
                  statement.declarations.length === 1 &&
                  statement.declarations[0]!.init?.type === 'ClassExpression'
                ? statement.declarations[0]!.init
                : undefined;
          if (classNode) checkStatics(classNode);
        }
      },
    };

    function checkStatics(classNode: ESTree.ClassDeclaration | ESTree.ClassExpression): void {
      const className = classNode.id?.name ?? (parentOf(classNode)?.type === 'VariableDeclarator'
        ? ((parentOf(classNode) as ESTree.VariableDeclarator).id as ESTree.Identifier).name
        : undefined);
      for (const member of classNode.body.body) {
        if (member.type !== 'PropertyDefinition' || !member.static || !member.value) continue;
        const name = staticName(member.key, member.computed);
        if (!name) continue;
        const kind = kindOf(member.value);
        if (!kind) continue;
        const uses: ESTree.Node[] = [];
        walk(
          sourceCode.ast,
          (node) => {
            if (node.type !== 'MemberExpression' || memberName(node) !== name) return undefined;
            const object = unwrapTS(node.object);
            const viaThis = object.type === 'ThisExpression' && isStaticContext(node, classNode);
            const viaName = className !== undefined && object.type === 'Identifier' && object.name === className;
            if (viaThis || viaName) uses.push(node);
            return undefined;
          },
          sourceCode,
        );
        report(`${className ?? 'class'}.${name}`, kind, member.value, uses, undefined);
      }
    }

    /**
     * Whether an insert cannot grow the collection past a bound the module's
     * code fixes: its key takes finitely many values (see `FiniteDomain`), or
     * it is the warn-once idiom (see `isWarnOnce`).
     */
    function boundedInsert(use: ESTree.Node, kind: Kind): boolean {
      if (kind === 'array') return false; // every push adds an element, whatever its value
      let node: ESTree.Node = use;
      let member = parentOf(node);
      while (member && TS_WRAPPERS.has(member.type)) {
        node = member;
        member = parentOf(node);
      }
      if (member?.type !== 'MemberExpression' || member.object !== node) return false;
      const outer = parentOf(member);
      let key: ESTree.Node | undefined;
      if (outer?.type === 'CallExpression' && outer.callee === member) {
        key = outer.arguments[0];
        if (key && key.type !== 'SpreadElement' && isWarnOnce(outer, member, key, sourceCode)) return true;
      } else if (member.computed) {
        key = member.property;
      }
      return !!key && key.type !== 'SpreadElement' && domain.finite(key);
    }

    function report(name: string, kind: Kind, init: ESTree.Expression, uses: ESTree.Node[], reassignable: Scope.Variable | undefined): void {
      if (reassignable && reassignable.references.some((reference) => reference.isWrite() && !reference.init)) return;
      let grower: string | undefined;
      let allLRU = kind === 'Map';
      for (const use of uses) {
        const verdict = classifyUse(use, kind);
        if (verdict === 'escape' || verdict === 'shrink') return;
        if (verdict.startsWith('grow:')) {
          if (!grower && growsAfterLoad(context, use) && !boundedInsert(use, kind)) grower = verdict.slice(5);
        }
        const parent = parentOf(use);
        const method = parent?.type === 'MemberExpression' && parent.object === use ? memberName(parent) : undefined;
        if (!method || !LRU_METHODS.has(method)) allLRU = false;
      }
      if (!grower) return;
      const canSuggest = allLRU && unwrapTS(init).type === 'NewExpression' && (unwrapTS(init) as ESTree.NewExpression).arguments.length === 0;
      context.report({
        node: init,
        messageId: 'unbounded',
        data: { name, grow: grower },
        suggest: canSuggest
          ? [
              {
                messageId: 'useLRU',
                fix(fixer) {
                  const imports = importFixes(context, fixer, 'LRU', init);
                  if (!imports) return null;
                  const typeArguments = (unwrapTS(init) as { typeArguments?: ESTree.Node }).typeArguments;
                  const types = typeArguments ? sourceCode.getText(typeArguments) : '';
                  return [fixer.replaceText(unwrapTS(init), `new LRU${types}({ max: 1000 })`), ...imports];
                },
              },
            ]
          : [],
      });
    }
  },
};

const TS_WRAPPERS = new Set(['TSNonNullExpression', 'TSAsExpression', 'TSSatisfiesExpression', 'TSTypeAssertion']);
/** Operators whose result is a boolean, whatever their operands. */
const BOOLEAN_OPERATORS = new Set(['==', '!=', '===', '!==', '<', '<=', '>', '>=', 'in', 'instanceof']);
/** Unary operators whose result takes a fixed handful of values, whatever their operand. */
const FIXED_UNARY = new Set(['!', 'typeof', 'void', 'delete']);
const WARNING_METHODS = new Set(['emitWarning', 'warn']);

/**
 * Decides, from this module's code alone, whether an expression can take only
 * finitely many values – a set the code fixes, which no input can extend. The
 * definition, by cases (anything else is not finite):
 * - a string, number, boolean, null or bigint literal; `undefined`, `NaN`,
 *   `Infinity`; a template literal whose parts are finite;
 * - a comparison, `in`, `instanceof`, `!`, `typeof`, `void` (a boolean or one of
 *   a few strings, whatever the operands); arithmetic, string `+`, unary `-`/`+`/`~`,
 *   `a ? b : c`, `a || b`, `a && b`, `a ?? b` and `(…, b)` of finite parts;
 * - a read `T[k]` or `T.k` of a constant table: a module-level binding of an
 *   object or array literal, assigned once, whose every other use is such a read
 *   (so its values are the literal's, whatever `k` is);
 * - a binding evaluated once at load (declared at module level outside any loop
 *   and never reassigned): one value;
 * - a variable whose every assignment is finite, where `+=` and other compound
 *   assignments (and `++`/`--`) count only outside loops in the variable's own
 *   function, so each runs at most once per call;
 * - a parameter of a module-level function that is not exported and is only
 *   ever called directly in this module, with a finite argument (or none) in
 *   that position at every call.
 * A cycle (a parameter passed back into its own function) counts as not finite.
 */
class FiniteDomain {
  readonly #context: Rule.RuleContext;
  readonly #known = new Map<Scope.Variable, boolean>();
  readonly #active = new Set<Scope.Variable>();
  // The questions asked per file are few and small; the budget only stops a
  // pathological chain of calls from costing more than it can be worth.
  #budget = 5000;

  constructor(context: Rule.RuleContext) {
    this.#context = context;
  }

  finite(node: ESTree.Node): boolean {
    if (--this.#budget < 0) return false;
    const expression = unwrapTS(node);
    switch (expression.type) {
      case 'Literal':
        return !('regex' in expression && expression.regex);
      case 'TemplateLiteral':
        return expression.expressions.every((part) => this.finite(part));
      case 'Identifier':
        return this.#finiteIdentifier(expression);
      case 'BinaryExpression':
        if (BOOLEAN_OPERATORS.has(expression.operator)) return true;
        return expression.left.type !== 'PrivateIdentifier' && this.finite(expression.left) && this.finite(expression.right);
      case 'UnaryExpression':
        return FIXED_UNARY.has(expression.operator) || this.finite(expression.argument);
      case 'LogicalExpression':
        return this.finite(expression.left) && this.finite(expression.right);
      case 'ConditionalExpression':
        return this.finite(expression.consequent) && this.finite(expression.alternate);
      case 'SequenceExpression':
        return this.finite(expression.expressions[expression.expressions.length - 1]!);
      case 'AssignmentExpression':
        return expression.operator === '=' && this.finite(expression.right);
      case 'MemberExpression': {
        const object = unwrapTS(expression.object);
        if (object.type !== 'Identifier') return false;
        const variable = resolve(this.#context, object);
        return !!variable && this.#isConstantTable(variable);
      }
      default:
        return false;
    }
  }

  #finiteIdentifier(identifier: ESTree.Identifier): boolean {
    const variable = resolve(this.#context, identifier);
    if (!variable || variable.defs.length === 0) {
      return identifier.name === 'undefined' || identifier.name === 'NaN' || identifier.name === 'Infinity';
    }
    const known = this.#known.get(variable);
    if (known !== undefined) return known;
    if (this.#active.has(variable)) return false;
    this.#active.add(variable);
    let result = false;
    try {
      result = this.#finiteVariable(variable);
    } finally {
      this.#active.delete(variable);
    }
    this.#known.set(variable, result);
    return result;
  }

  #finiteVariable(variable: Scope.Variable): boolean {
    if (variable.defs.length !== 1) return false;
    const definition = variable.defs[0]!;
    if (definition.type === 'Parameter') return this.#finiteParameter(variable, definition);
    if (definition.type !== 'Variable') return false;
    const declarator = definition.node as ESTree.VariableDeclarator;
    if (isLoopHead(declarator)) return false;
    const writes = variable.references.filter((reference) => reference.isWrite());
    const reassigned = writes.some((reference) => !reference.init);
    if (!reassigned && declarator.init && !enclosingFunction(declarator) && !insideLoop(declarator, undefined)) return true;
    const home = enclosingFunction(declarator);
    return writes.every((reference) => {
      const target = reference.identifier;
      const parent = parentOf(target);
      if (parent?.type === 'VariableDeclarator' && parent.id === target) return !!parent.init && this.finite(parent.init);
      if (parent?.type === 'AssignmentExpression' && parent.left === target) {
        if (!this.finite(parent.right)) return false;
        return parent.operator === '=' || parent.operator === '||=' || parent.operator === '&&=' || parent.operator === '??='
          ? true
          : oncePerCall(parent, home);
      }
      if (parent?.type === 'UpdateExpression') return oncePerCall(parent, home);
      return false;
    });
  }

  #finiteParameter(variable: Scope.Variable, definition: Scope.Definition): boolean {
    const fn = definition.node as ESTree.Node;
    if (!isFunction(fn)) return false;
    const name = definition.name as ESTree.Identifier;
    const index = fn.params.findIndex(
      (param) => param === name || (param.type === 'AssignmentPattern' && param.left === name),
    );
    if (index === -1) return false;
    const param = fn.params[index]!;
    // A parameter reassigned in the body can take any value; in sloppy code a
    // write to `arguments[i]` reassigns it too.
    if (variable.references.some((reference) => reference.isWrite() && reference.identifier !== name)) return false;
    const args = this.#context.sourceCode.scopeManager.acquire(fn)?.set.get('arguments');
    if (args && args.references.length > 0) return false;
    const fallback = param.type === 'AssignmentPattern' ? param.right : undefined;
    if (fallback && !this.finite(fallback)) return false;
    const binding = functionBinding(this.#context, fn);
    if (!binding) return false;
    const calls: ESTree.CallExpression[] = [];
    for (const reference of binding.references) {
      if (reference.init) continue;
      if (reference.isWrite()) return false;
      const call = parentOf(reference.identifier);
      if (call?.type !== 'CallExpression' || call.callee !== reference.identifier) return false;
      calls.push(call);
    }
    if (calls.length === 0) return false;
    return calls.every((call) => {
      for (let i = 0; i < index; i++) {
        if (call.arguments[i]?.type === 'SpreadElement') return false;
      }
      const argument = call.arguments[index];
      if (!argument) return true; // undefined, or the (finite) default
      return argument.type !== 'SpreadElement' && this.finite(argument);
    });
  }

  /** A module-level object or array literal, assigned once, that is only ever read by member. */
  #isConstantTable(variable: Scope.Variable): boolean {
    if (variable.defs.length !== 1 || variable.defs[0]!.type !== 'Variable') return false;
    const declarator = variable.defs[0]!.node as ESTree.VariableDeclarator;
    const init = declarator.init && unwrapTS(declarator.init);
    if (!init || (init.type !== 'ObjectExpression' && init.type !== 'ArrayExpression')) return false;
    if (enclosingFunction(declarator) || insideLoop(declarator, undefined) || isLoopHead(declarator)) return false;
    return variable.references.every((reference) => {
      if (reference.init) return true;
      if (reference.isWrite()) return false;
      let node: ESTree.Node = reference.identifier;
      let member = parentOf(node);
      while (member && TS_WRAPPERS.has(member.type)) {
        node = member;
        member = parentOf(node);
      }
      if (member?.type !== 'MemberExpression' || member.object !== node) return false;
      const outer = parentOf(member);
      if (isWriteTarget(member)) return false;
      if (outer?.type === 'UnaryExpression' && outer.operator === 'delete') return false;
      if (outer?.type === 'CallExpression' && outer.callee === member) return false;
      return true;
    });
  }
}

/** The variable a module-level function is called through, when it is not exported. */
function functionBinding(context: Rule.RuleContext, fn: ESTree.Node): Scope.Variable | undefined {
  const parent = parentOf(fn);
  let declared: ESTree.Node;
  if (fn.type === 'FunctionDeclaration' && fn.id) {
    if (parent?.type === 'ExportNamedDeclaration' || parent?.type === 'ExportDefaultDeclaration') return undefined;
    declared = fn;
  } else if (parent?.type === 'VariableDeclarator' && parent.init === fn && parent.id.type === 'Identifier') {
    if (parentOf(parentOf(parent)!)?.type === 'ExportNamedDeclaration') return undefined;
    declared = parent;
  } else {
    return undefined;
  }
  if (enclosingFunction(fn)) return undefined;
  const variable = context.sourceCode
    .getDeclaredVariables(declared)
    .find((candidate) => candidate.defs.some((definition) => definition.type === 'FunctionName' || definition.type === 'Variable'));
  if (!variable || !isTopLevelScope(variable.scope)) return undefined;
  if (isExported(context.sourceCode.ast, variable.name)) return undefined;
  return variable;
}

/** Whether `declarator` is the head of a `for…in`/`for…of` (its value comes from the loop). */
function isLoopHead(declarator: ESTree.VariableDeclarator): boolean {
  const declaration = parentOf(declarator);
  const loop = declaration && parentOf(declaration);
  return (loop?.type === 'ForInStatement' || loop?.type === 'ForOfStatement') && loop.left === declaration;
}

/** Whether a loop lies between `node` and `home` (a function, or the program when undefined). */
function insideLoop(node: ESTree.Node, home: ESTree.Node | undefined): boolean {
  for (let current = parentOf(node); current && current !== home; current = parentOf(current)) {
    if (isLoop(current)) return true;
    if (isFunction(current)) return false;
  }
  return false;
}

/** Whether `node` runs at most once per call of `home`: directly in it, outside any loop. */
function oncePerCall(node: ESTree.Node, home: ESTree.Node | undefined): boolean {
  return enclosingFunction(node) === home && !insideLoop(node, home);
}

/**
 * The warn-once idiom: `if (!seen.has(k)) { seen.add(k); warn(…) }` or
 * `if (seen.has(k)) return; seen.add(k); warn(…)`. Each entry comes with a
 * warning the program prints, so the collection cannot outgrow the program's
 * own output, and keeping it is what stops the repeats. Exactly: the insert is
 * a statement; a has-check of the same collection and key (same source text)
 * either encloses it as `if (!….has(k))` or precedes it in the same block as
 * `if (….has(k)) return/throw`; and another statement of that block calls
 * `console.*`, `emitWarning` or `warn`.
 */
function isWarnOnce(call: ESTree.CallExpression, member: ESTree.MemberExpression, key: ESTree.Node, sourceCode: SourceCode): boolean {
  const statement = parentOf(call);
  if (statement?.type !== 'ExpressionStatement') return false;
  const block = parentOf(statement);
  const body = block?.type === 'BlockStatement' || block?.type === 'StaticBlock' ? block.body : undefined;
  if (!body) return false;
  const collection = sourceCode.getText(member.object);
  const keyText = sourceCode.getText(key);
  const isHas = (test: ESTree.Node): boolean => {
    const expression = unwrapTS(test);
    return (
      expression.type === 'CallExpression' &&
      expression.callee.type === 'MemberExpression' &&
      memberName(expression.callee) === 'has' &&
      sourceCode.getText(expression.callee.object) === collection &&
      expression.arguments.length === 1 &&
      sourceCode.getText(expression.arguments[0]!) === keyText
    );
  };
  const position = body.indexOf(statement as ESTree.Statement);
  const guardedBefore = body.slice(0, position).some(
    (sibling) => sibling.type === 'IfStatement' && !sibling.alternate && isHas(sibling.test) && exits(sibling.consequent),
  );
  let guardedAround = false;
  for (let current: ESTree.Node | undefined = statement; current && !isFunction(current); current = parentOf(current)) {
    const parent = parentOf(current);
    if (parent?.type === 'IfStatement' && parent.consequent === current) {
      const test = unwrapTS(parent.test);
      if (test.type === 'UnaryExpression' && test.operator === '!' && isHas(test.argument)) guardedAround = true;
      break;
    }
  }
  if (!guardedBefore && !guardedAround) return false;
  return body.some((sibling) => sibling !== statement && some(sibling, isWarningCall, sourceCode, false));
}

function isWarningCall(node: ESTree.Node): boolean {
  if (node.type !== 'CallExpression') return false;
  const callee = unwrapTS(node.callee);
  if (callee.type === 'Identifier') return WARNING_METHODS.has(callee.name);
  if (callee.type !== 'MemberExpression') return false;
  const object = unwrapTS(callee.object);
  if (object.type === 'Identifier' && object.name === 'console') return true;
  const name = memberName(callee);
  return name !== undefined && WARNING_METHODS.has(name);
}

/** Whether a statement always leaves the block: `return`, `throw`, or a block ending in one. */
function exits(statement: ESTree.Statement): boolean {
  if (statement.type === 'ReturnStatement' || statement.type === 'ThrowStatement') return true;
  if (statement.type === 'BlockStatement') {
    const last = statement.body[statement.body.length - 1];
    return !!last && exits(last);
  }
  return false;
}

/**
 * Whether a write runs after the module has loaded: inside a function that is
 * not only ever called from the module's top level (a helper that fills a
 * table at load time, like Node's `E(code, message)`, is initialisation).
 */
function growsAfterLoad(context: Rule.RuleContext, use: ESTree.Node): boolean {
  const fn = enclosingFunction(use);
  if (!fn) return false;
  if (enclosingFunction(fn)) return true;
  let name: ESTree.Identifier | undefined;
  if (fn.type === 'FunctionDeclaration' && fn.id) name = fn.id;
  const parent = parentOf(fn);
  if (!name && parent?.type === 'VariableDeclarator' && parent.id.type === 'Identifier') name = parent.id;
  if (!name) return true;
  // Exported: other modules may call it at any time.
  if (parent?.type === 'ExportNamedDeclaration' || parent?.type === 'ExportDefaultDeclaration') return true;
  if (isExported(context.sourceCode.ast, name.name)) return true;
  const variable = context.sourceCode.getDeclaredVariables(fn.type === 'FunctionDeclaration' ? fn : parent!)[0];
  if (!variable) return true;
  const uses = variable.references.filter((reference) => !reference.init);
  if (uses.length === 0) return true;
  return uses.some((reference) => {
    const call = parentOf(reference.identifier);
    return !(call?.type === 'CallExpression' && call.callee === reference.identifier && !enclosingFunction(call));
  });
}

function findInTopLevel(context: Rule.RuleContext, name: string): Scope.Variable | undefined {
  const global = context.sourceCode.scopeManager.globalScope;
  if (!global) return undefined;
  if (global.set.has(name)) return global.set.get(name);
  for (const child of global.childScopes) {
    if (isTopLevelScope(child) && child.set.has(name)) return child.set.get(name);
  }
  return undefined;
}

function isExported(program: ESTree.Program, name: string): boolean {
  return program.body.some(
    (statement) =>
      (statement.type === 'ExportNamedDeclaration' &&
        statement.specifiers.some((specifier) => staticName(specifier.local) === name)) ||
      (statement.type === 'ExportDefaultDeclaration' &&
        statement.declaration.type === 'Identifier' &&
        statement.declaration.name === name),
  );
}

function kindOf(init: ESTree.Node): Kind | undefined {
  const expression = unwrapTS(init);
  if (expression.type === 'NewExpression') {
    const callee = unwrapTS(expression.callee);
    if (callee.type !== 'Identifier') return undefined;
    // `new Map(entries)` is a lookup table built from data; only empty ones are caches.
    if (expression.arguments.length > 0) return undefined;
    if (callee.name === 'Map') return 'Map';
    if (callee.name === 'Set') return 'Set';
    return undefined;
  }
  if (expression.type === 'ArrayExpression' && expression.elements.length === 0) return 'array';
  if (expression.type === 'ObjectExpression' && expression.properties.length === 0) return 'object';
  if (
    expression.type === 'CallExpression' &&
    expression.callee.type === 'MemberExpression' &&
    unwrapTS(expression.callee.object).type === 'Identifier' &&
    (unwrapTS(expression.callee.object) as ESTree.Identifier).name === 'Object' &&
    memberName(expression.callee) === 'create' &&
    expression.arguments.length === 1 &&
    expression.arguments[0]!.type === 'Literal' &&
    expression.arguments[0]!.value === null
  ) {
    return 'object';
  }
  return undefined;
}

/** What one reference does to the collection. */
function classifyUse(use: ESTree.Node, kind: Kind): 'grow:' | `grow:${string}` | 'shrink' | 'read' | 'escape' {
  let node: ESTree.Node = use;
  let parent = parentOf(node);
  while (parent && ['TSNonNullExpression', 'TSAsExpression', 'TSSatisfiesExpression'].includes(parent.type as string)) {
    node = parent;
    parent = parentOf(node);
  }
  if (!parent) return 'escape';
  if (parent.type === 'MemberExpression' && parent.object === node) {
    const outer = parentOf(parent);
    if (outer?.type === 'UnaryExpression' && outer.operator === 'delete') return 'shrink';
    const name = memberName(parent);
    if (name !== undefined) {
      if (SHRINK.has(name)) return 'shrink';
      if (GROW[kind].has(name) && outer?.type === 'CallExpression' && outer.callee === parent) return `grow:\`.${name}()\``;
      if (kind === 'Map' || kind === 'Set') return READ.has(name) ? 'read' : 'escape';
      // A literal key names one fixed slot: bounded.
      return 'read';
    }
    if (kind === 'Map' || kind === 'Set') return 'escape';
    return isWriteTarget(parent) ? 'grow:`[key] = …`' : 'read';
  }
  if (parent.type === 'ForOfStatement' && parent.right === node) return 'read';
  if (parent.type === 'ForInStatement' && parent.right === node) return 'read';
  if (parent.type === 'SpreadElement' && parentOf(parent)?.type === 'ArrayExpression') return 'read';
  if (parent.type === 'UnaryExpression' && parent.operator === 'typeof') return 'read';
  if (parent.type === 'BinaryExpression' && parent.operator === 'in' && parent.right === node) return 'read';
  if (parent.type === 'CallExpression' && parent.arguments.includes(node as ESTree.Expression)) {
    const callee = unwrapTS(parent.callee);
    const text =
      callee.type === 'MemberExpression' && unwrapTS(callee.object).type === 'Identifier'
        ? `${(unwrapTS(callee.object) as ESTree.Identifier).name}.${memberName(callee)}`
        : '';
    if (['Object.keys', 'Object.values', 'Object.entries', 'Array.from', 'JSON.stringify', 'Array.isArray'].includes(text)) {
      return 'read';
    }
  }
  return 'escape';
}

function isWriteTarget(member: ESTree.Node): boolean {
  const parent = parentOf(member);
  return (
    (parent?.type === 'AssignmentExpression' && parent.left === member) ||
    (parent?.type === 'UpdateExpression' && parent.argument === member)
  );
}

function isStaticContext(node: ESTree.Node, classNode: ESTree.Node): boolean {
  for (let current = parentOf(node); current && current !== classNode; current = parentOf(current)) {
    if ((current.type === 'MethodDefinition' || current.type === 'PropertyDefinition') && parentOf(current)?.parent === classNode) {
      return current.static;
    }
    if (current.type === 'StaticBlock') return true;
  }
  return false;
}
