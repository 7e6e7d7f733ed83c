// Rule `leakproof/no-unbounded-cache`: a module-level (or class-static)
// collection that functions add to and nothing ever shrinks.
//
// Leak: a module lives as long as the process, so a `Map` at module level that
// a function fills with one entry per distinct key holds every key and value
// ever seen. Without a delete, clear or size check anywhere in the module the
// growth has no bound but the key space.
// Invariant: a report names a collection whose every use is visible in this
// file (not exported, not passed to other code) and none of those uses can
// remove an entry.
import type { Rule, Scope } from 'eslint';
import type * as ESTree from 'estree';
import {
  enclosingFunction,
  importFixes,
  isTopLevelScope,
  memberName,
  parentOf,
  scopeOf,
  staticName,
  unwrapTS,
  walk,
} from '../utils.js';

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
        'pops, reassigns it or reads its `size`/`length`. A collection that is exported or passed to other code is ' +
        'not reported (it may be bounded there). `WeakMap`/`WeakSet` are never reported.',
      recommended: true,
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

    function report(name: string, kind: Kind, init: ESTree.Expression, uses: ESTree.Node[], reassignable: Scope.Variable | undefined): void {
      if (reassignable && reassignable.references.some((reference) => reference.isWrite() && !reference.init)) return;
      let grower: string | undefined;
      let allLRU = kind === 'Map';
      for (const use of uses) {
        const verdict = classifyUse(use, kind);
        if (verdict === 'escape' || verdict === 'shrink') return;
        if (verdict.startsWith('grow:')) {
          if (!grower && growsAfterLoad(context, use)) grower = verdict.slice(5);
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
