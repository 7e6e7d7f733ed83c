// Shared helpers of the leakproof ESLint rules: AST and scope questions the six
// rules ask alike, and the import fixer every suggestion uses.
//
// The rules run without type information, so "long-lived" is decided from the
// syntax and from ESLint's scope analysis alone. Each helper answers one such
// question conservatively: when the answer is unknown it says "no", because a
// lint report the reader cannot act on costs more than a leak it misses.
//
// Only types are imported from `eslint`: the plugin has no runtime dependency.
import type { Rule, Scope, SourceCode } from 'eslint';
import type * as ESTree from 'estree';

/** An ESTree node as ESLint hands it to rules: with its parent. */
export type Node = ESTree.Node & { parent?: Node };

/** The parent of `node`, or undefined at the root. */
export function parentOf(node: ESTree.Node): Node | undefined {
  return (node as Node).parent;
}

/** Whether `node` is a function of any form. */
export function isFunction(
  node: ESTree.Node,
): node is ESTree.FunctionDeclaration | ESTree.FunctionExpression | ESTree.ArrowFunctionExpression {
  return (
    node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression'
  );
}

/** Whether `node` is a loop statement. */
export function isLoop(node: ESTree.Node): node is ESTree.ForStatement | ESTree.ForInStatement | ESTree.ForOfStatement | ESTree.WhileStatement | ESTree.DoWhileStatement {
  return (
    node.type === 'ForStatement' ||
    node.type === 'ForInStatement' ||
    node.type === 'ForOfStatement' ||
    node.type === 'WhileStatement' ||
    node.type === 'DoWhileStatement'
  );
}

/** The nearest enclosing function of `node`, or undefined at module level. */
export function enclosingFunction(node: ESTree.Node): Node | undefined {
  for (let current = parentOf(node); current; current = parentOf(current)) {
    if (isFunction(current)) return current;
  }
  return undefined;
}

/** Whether `inner` lies inside `outer` (by source range). */
export function contains(outer: ESTree.Node, inner: ESTree.Node): boolean {
  const [os, oe] = outer.range!;
  const [is, ie] = inner.range!;
  return os <= is && ie <= oe;
}

/** A property name written literally: `a.b`, `a['b']`, `a.#b` (as `#b`), `{ b: … }`. */
export function staticName(node: ESTree.Node | null | undefined, computed = false): string | undefined {
  if (!node) return undefined;
  if (node.type === 'Identifier' && !computed) return node.name;
  if (node.type === 'PrivateIdentifier') return `#${node.name}`;
  if (node.type === 'Literal' && typeof node.value === 'string') return node.value;
  if (node.type === 'TemplateLiteral' && node.expressions.length === 0) return node.quasis[0]?.value.cooked ?? undefined;
  return undefined;
}

/** The property name of a member expression, when written literally. */
export function memberName(node: ESTree.Node): string | undefined {
  if (node.type !== 'MemberExpression') return undefined;
  return staticName(node.property, node.computed);
}

/** Whether `node` is `….name` (or `…['name']`). */
export function isMember(node: ESTree.Node | null | undefined, name: string): node is ESTree.MemberExpression {
  return !!node && node.type === 'MemberExpression' && memberName(node) === name;
}


/** Strips TypeScript-only wrappers (`x as T`, `x!`, `<T>x`, `x satisfies T`) and optional-chain wrappers. */
export function unwrapTS(node: ESTree.Node): ESTree.Node {
  let current = node;
  while (TRANSPARENT.has(current.type)) current = (current as unknown as { expression: ESTree.Node }).expression;
  return current;
}

const TRANSPARENT = new Set(['TSAsExpression', 'TSNonNullExpression', 'TSTypeAssertion', 'TSSatisfiesExpression', 'ChainExpression']);

/** Whether `node` is `this`, `this.a.b`, `this.#a` – a chain of plain property reads rooted at `this`. */
export function isThisMemberChain(node: ESTree.Node): boolean {
  let current = unwrapTS(node);
  if (current.type !== 'MemberExpression') return false;
  while (current.type === 'MemberExpression') current = unwrapTS(current.object);
  return current.type === 'ThisExpression';
}

/** The text of a member chain of identifiers (`a.b.c`, `this.#x`), or undefined if any link is computed dynamically. */
export function chainText(node: ESTree.Node): string | undefined {
  const current = unwrapTS(node);
  if (current.type === 'Identifier') return current.name;
  if (current.type === 'ThisExpression') return 'this';
  if (current.type === 'MemberExpression') {
    const object = chainText(current.object);
    const name = staticName(current.property, current.computed);
    if (object === undefined || name === undefined) return undefined;
    return `${object}.${name}`;
  }
  return undefined;
}

/** The scope ESLint computed for `node`. */
export function scopeOf(context: Rule.RuleContext, node: ESTree.Node): Scope.Scope {
  return context.sourceCode.getScope(node);
}

/** The variable an identifier refers to, looked up from the identifier's scope outwards. */
export function resolve(context: Rule.RuleContext, identifier: ESTree.Identifier): Scope.Variable | undefined {
  for (let scope: Scope.Scope | null = scopeOf(context, identifier); scope; scope = scope.upper) {
    const variable = scope.set.get(identifier.name);
    if (variable) return variable;
  }
  return undefined;
}

/**
 * Whether a scope is the module's top level: an ES module, a script, or the
 * function scope ESLint wraps around a CommonJS file.
 */
export function isTopLevelScope(scope: Scope.Scope): boolean {
  return (
    scope.type === 'module' ||
    scope.type === 'global' ||
    (scope.type === 'function' && scope.block.type === 'Program')
  );
}

/** Whether a variable is declared at module level (including imports). */
export function isModuleLevel(variable: Scope.Variable): boolean {
  return isTopLevelScope(variable.scope);
}

/** The node where `variable` was defined, if a single definition exists. */
export function definitionOf(variable: Scope.Variable): Scope.Definition | undefined {
  return variable.defs.length === 1 ? variable.defs[0] : undefined;
}

/** The initialiser of a `const`/`let`/`var` binding with one definition. */
export function initializerOf(variable: Scope.Variable): ESTree.Expression | undefined {
  const definition = definitionOf(variable);
  if (!definition || definition.type !== 'Variable') return undefined;
  const declarator = definition.node as ESTree.VariableDeclarator;
  if (declarator.id.type !== 'Identifier') return undefined;
  return declarator.init ?? undefined;
}


/** Visits every node under `root` (not crossing into nested functions unless `intoFunctions`). */
export function walk(
  root: ESTree.Node,
  visit: (node: Node) => void | 'skip',
  sourceCode: SourceCode,
  intoFunctions = true,
): void {
  const keys = sourceCode.visitorKeys;
  const stack: ESTree.Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (visit(node as Node) === 'skip') continue;
    if (!intoFunctions && node !== root && isFunction(node)) continue;
    for (const key of keys[node.type] ?? []) {
      const child = (node as unknown as Record<string, unknown>)[key];
      if (Array.isArray(child)) {
        for (let i = child.length - 1; i >= 0; i--) {
          const item = child[i] as ESTree.Node | null;
          if (item && typeof item.type === 'string') stack.push(item);
        }
      } else if (child && typeof (child as ESTree.Node).type === 'string') {
        stack.push(child as ESTree.Node);
      }
    }
  }
}

/** Whether any node under `root` satisfies `test`. */
export function some(
  root: ESTree.Node,
  test: (node: Node) => boolean,
  sourceCode: SourceCode,
  intoFunctions = true,
): boolean {
  let found = false;
  walk(
    root,
    (node) => {
      if (found) return 'skip';
      if (test(node)) found = true;
      return undefined;
    },
    sourceCode,
    intoFunctions,
  );
  return found;
}

/** Whether a function body uses `this` (not counting nested non-arrow functions, which rebind it). */
export function usesThis(fn: ESTree.Node, sourceCode: SourceCode): boolean {
  let found = false;
  walk(
    fn,
    (node) => {
      if (found) return 'skip';
      if (node !== fn && (node.type === 'FunctionExpression' || node.type === 'FunctionDeclaration')) return 'skip';
      if (node.type === 'ThisExpression') found = true;
      return undefined;
    },
    sourceCode,
  );
  return found;
}

/** Whether an `{ … }` object literal has a property written as `name`. */
export function hasProperty(node: ESTree.Node | undefined, name: string): boolean {
  if (!node) return false;
  const object = unwrapTS(node);
  if (object.type !== 'ObjectExpression') return false;
  return object.properties.some(
    (property) => property.type === 'Property' && staticName(property.key, property.computed) === name,
  );
}

/** Whether an object literal could carry any key we cannot see (a spread). */
export function hasSpread(node: ESTree.Node): boolean {
  const object = unwrapTS(node);
  return object.type === 'ObjectExpression' && object.properties.some((property) => property.type === 'SpreadElement');
}


// ---------------------------------------------------------------------------
// Imports
// ---------------------------------------------------------------------------

const PACKAGE = 'leakproof';

/**
 * The fixes that make `name` refer to leakproof's export of that name in this
 * file, or undefined when that cannot be done safely: a different binding of
 * the same name is visible at `at`, or the file is a script without `import`
 * or `require`.
 */
export function importFixes(
  context: Rule.RuleContext,
  fixer: Rule.RuleFixer,
  name: string,
  at: ESTree.Node,
): Rule.Fix[] | undefined {
  const sourceCode = context.sourceCode;
  const program = sourceCode.ast;
  const existing = findBinding(context, name, at);
  if (existing) {
    return importsFromLeakproof(existing) ? [] : undefined;
  }
  const sourceType = context.languageOptions.sourceType ?? (program.sourceType as string);
  if (sourceType === 'module') {
    const declarations = program.body.filter(
      (statement): statement is ESTree.ImportDeclaration => statement.type === 'ImportDeclaration',
    );
    const ours = declarations.find(
      (declaration) =>
        declaration.source.value === PACKAGE &&
        (declaration as { importKind?: string }).importKind !== 'type' &&
        declaration.specifiers.length > 0 &&
        declaration.specifiers.every((specifier) => specifier.type === 'ImportSpecifier'),
    );
    if (ours) {
      const last = ours.specifiers[ours.specifiers.length - 1]!;
      return [fixer.insertTextAfter(last, `, ${name}`)];
    }
    const text = `import { ${name} } from '${PACKAGE}';\n`;
    const lastImport = declarations[declarations.length - 1];
    if (lastImport) return [fixer.insertTextAfter(lastImport, `\n${text.trimEnd()}`)];
    const first = program.body[0];
    if (first) return [fixer.insertTextBefore(first, text)];
    return [fixer.insertTextAfterRange([0, 0], text)];
  }
  if (sourceType === 'commonjs') {
    const text = `const { ${name} } = require('${PACKAGE}');\n`;
    const first = program.body.find((statement) => !isDirective(statement));
    if (first) return [fixer.insertTextBefore(first, text)];
    return undefined;
  }
  return undefined;
}

function isDirective(statement: ESTree.Node): boolean {
  return statement.type === 'ExpressionStatement' && 'directive' in statement && typeof statement.directive === 'string';
}

function findBinding(context: Rule.RuleContext, name: string, at: ESTree.Node): Scope.Variable | undefined {
  for (let scope: Scope.Scope | null = scopeOf(context, at); scope; scope = scope.upper) {
    const variable = scope.set.get(name);
    // Implicit globals (from `languageOptions.globals`) have no definitions;
    // an import shadows them safely.
    if (variable && variable.defs.length > 0) return variable;
  }
  // A module-level binding declared *after* `at` is still in scope.
  const variable = scopeOf(context, context.sourceCode.ast).set.get(name);
  if (variable && variable.defs.length > 0) return variable;
  for (const child of scopeOf(context, context.sourceCode.ast).childScopes) {
    if (child.type === 'module') {
      const moduleVariable = child.set.get(name);
      if (moduleVariable) return moduleVariable;
    }
  }
  return undefined;
}

function importsFromLeakproof(variable: Scope.Variable): boolean {
  const definition = definitionOf(variable);
  if (!definition || definition.type !== 'ImportBinding') return false;
  const declaration = definition.parent as ESTree.ImportDeclaration;
  const specifier = definition.node as ESTree.ImportSpecifier;
  return (
    declaration.source.value === PACKAGE &&
    specifier.type === 'ImportSpecifier' &&
    staticName(specifier.imported) === variable.name
  );
}

/** A name not bound anywhere visible from `at`, starting from `preferred`. */
export function freeName(context: Rule.RuleContext, preferred: string, at: ESTree.Node): string {
  const taken = (name: string): boolean => {
    for (let scope: Scope.Scope | null = scopeOf(context, at); scope; scope = scope.upper) {
      if (scope.set.has(name)) return true;
      if (scope.through.some((reference) => reference.identifier.name === name)) return true;
    }
    return false;
  };
  if (!taken(preferred)) return preferred;
  for (let i = 2; ; i++) {
    if (!taken(`${preferred}${i}`)) return `${preferred}${i}`;
  }
}
