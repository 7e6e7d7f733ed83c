// Rule `leakproof/no-unbounded-events-on`: Node's `events.on` without a bound.
//
// Leak: `events.on(emitter, name)` buffers every event the consumer has not yet
// pulled, without limit, and keeps its listener on the emitter until the loop
// ends. A consumer slower than the emitter, or one that stops pulling without
// leaving the loop, grows the buffer for as long as the emitter lives.
// Invariant: a report names a call of `on` imported from `events`/`node:events`
// whose options carry none of `close`, `highWaterMark`, `signal`.
import type { Rule, Scope } from 'eslint';
import type * as ESTree from 'estree';
import {
  definitionOf,
  hasProperty,
  hasSpread,
  importFixes,
  initializerOf,
  memberName,
  parentOf,
  resolve,
  staticName,
  unwrapTS,
} from '../utils.js';
import { docsUrl } from '../docs.js';

const EVENTS = new Set(['events', 'node:events']);

export const noUnboundedEventsOn: Rule.RuleModule = {
  meta: {
    type: 'problem',
    docs: {
      description:
        "Disallow `events.on(emitter, name)` from `events`/`node:events` without a bound. Reported: a call of `on` " +
        "imported (or required) from `events`/`node:events`, or of `on` on that module's namespace, default export or " +
        '`EventEmitter`, whose options object is missing or has none of `close`, `highWaterMark`, `signal`. Its buffer ' +
        'is long-lived: it grows with every event not yet consumed for as long as the emitter emits.',
      recommended: true,
      url: docsUrl('no-unbounded-events-on'),
    },
    hasSuggestions: true,
    schema: [],
    messages: {
      unbounded:
        "`on(emitter, {{event}})` from 'node:events' buffers events without limit while the consumer lags and holds " +
        "its listener until the loop ends. Pass `signal`/`close`/`highWaterMark`, or use `on` from 'leakproof', which " +
        'is bounded (`capacity`, default 1024).',
      useLeakproof: "Replace with `on(…, { capacity: 1024 })` from 'leakproof'",
    },
  },
  create(context) {
    const sourceCode = context.sourceCode;
    return {
      CallExpression(node) {
        const callee = unwrapTS(node.callee);
        const form = eventsOn(context, callee);
        if (!form) return;
        if (node.arguments.length < 2 || node.arguments.some((argument) => argument.type === 'SpreadElement')) return;
        const options = node.arguments[2];
        if (options) {
          const bag = unwrapTS(options);
          if (bag.type !== 'ObjectExpression' || hasSpread(bag)) return;
          if (['close', 'highWaterMark', 'signal'].some((key) => hasProperty(bag, key))) return;
        }
        const emptyOptions = !options || (unwrapTS(options) as ESTree.ObjectExpression).properties.length === 0;
        context.report({
          node,
          messageId: 'unbounded',
          data: { event: sourceCode.getText(node.arguments[1]) },
          suggest: emptyOptions ? suggest(node, form) : [],
        });
      },
    };

    function suggest(node: ESTree.CallExpression, form: Form): Rule.SuggestionReportDescriptor[] {
      const bound = '{ capacity: 1024 }';
      const argsFix = (fixer: Rule.RuleFixer): Rule.Fix =>
        node.arguments[2]
          ? fixer.replaceText(node.arguments[2], bound)
          : fixer.insertTextAfter(node.arguments[1]!, `, ${bound}`);
      if (form.kind === 'member') {
        return [
          {
            messageId: 'useLeakproof',
            fix(fixer) {
              const imports = importFixes(context, fixer, 'on', node);
              if (!imports) return null;
              return [fixer.replaceText(node.callee, 'on'), argsFix(fixer), ...imports];
            },
          },
        ];
      }
      // `on` imported from events: move the binding to leakproof when every use is a call.
      const variable = form.variable;
      const allCalls = variable.references.every(
        (reference) => {
          const parent = parentOf(reference.identifier);
          return parent?.type === 'CallExpression' && parent.callee === reference.identifier;
        },
      );
      const definition = definitionOf(variable);
      if (!allCalls || !definition || definition.type !== 'ImportBinding') return [];
      const declaration = definition.parent as ESTree.ImportDeclaration;
      const specifier = definition.node as ESTree.ImportSpecifier;
      if (specifier.type !== 'ImportSpecifier' || staticName(specifier.imported) !== 'on' || specifier.local.name !== 'on') return [];
      return [
        {
          messageId: 'useLeakproof',
          fix(fixer) {
            const fixes: Rule.Fix[] = [argsFix(fixer)];
            if (declaration.specifiers.length === 1) {
              fixes.push(fixer.replaceText(declaration, "import { on } from 'leakproof';"));
            } else {
              const tokenAfter = sourceCode.getTokenAfter(specifier);
              const tokenBefore = sourceCode.getTokenBefore(specifier);
              if (tokenAfter?.value === ',') {
                const next = sourceCode.getTokenAfter(tokenAfter);
                fixes.push(fixer.removeRange([specifier.range![0], next ? next.range[0] : tokenAfter.range[1]]));
              }
              else if (tokenBefore?.value === ',') fixes.push(fixer.removeRange([tokenBefore.range[0], specifier.range![1]]));
              else return null;
              fixes.push(fixer.insertTextAfter(declaration, "\nimport { on } from 'leakproof';"));
            }
            return fixes;
          },
        },
      ];
    }
  },
};

type Form = { kind: 'member' } | { kind: 'named'; variable: Scope.Variable };

/** Whether `callee` is Node's `events.on`, and in which form. */
function eventsOn(context: Rule.RuleContext, callee: ESTree.Node): Form | undefined {
  if (callee.type === 'Identifier') {
    if (callee.name !== 'on' && !isAliasOfOn(context, callee)) return undefined;
    const variable = resolve(context, callee);
    if (!variable) return undefined;
    return importsOnFromEvents(variable) ? { kind: 'named', variable } : undefined;
  }
  if (callee.type === 'MemberExpression' && memberName(callee) === 'on') {
    const object = unwrapTS(callee.object);
    // `require('events').on(…)`
    if (isRequireOfEvents(object)) return { kind: 'member' };
    if (object.type === 'Identifier') {
      const variable = resolve(context, object);
      if (variable && isEventsModule(variable)) return { kind: 'member' };
    }
  }
  return undefined;
}

function isAliasOfOn(context: Rule.RuleContext, callee: ESTree.Identifier): boolean {
  const variable = resolve(context, callee);
  const definition = variable && definitionOf(variable);
  if (!definition) return false;
  if (definition.type === 'ImportBinding') {
    const specifier = definition.node as ESTree.ImportSpecifier;
    return specifier.type === 'ImportSpecifier' && staticName(specifier.imported) === 'on';
  }
  return false;
}

function isRequireOfEvents(node: ESTree.Node): boolean {
  const expression = unwrapTS(node);
  return (
    expression.type === 'CallExpression' &&
    expression.callee.type === 'Identifier' &&
    expression.callee.name === 'require' &&
    EVENTS.has(staticName(expression.arguments[0]) ?? '')
  );
}

/** `on` as a named import or destructured require from events. */
function importsOnFromEvents(variable: Scope.Variable): boolean {
  const definition = definitionOf(variable);
  if (!definition) return false;
  if (definition.type === 'ImportBinding') {
    const declaration = definition.parent as ESTree.ImportDeclaration;
    const specifier = definition.node as ESTree.ImportSpecifier;
    return (
      EVENTS.has(String(declaration.source.value)) &&
      specifier.type === 'ImportSpecifier' &&
      staticName(specifier.imported) === 'on'
    );
  }
  if (definition.type === 'Variable') {
    const declarator = definition.node as ESTree.VariableDeclarator;
    if (declarator.id.type !== 'ObjectPattern' || !declarator.init) return false;
    const source = unwrapTS(declarator.init);
    const fromEvents =
      isRequireOfEvents(source) ||
      (source.type === 'AwaitExpression' && source.argument.type === 'ImportExpression' &&
        EVENTS.has(staticName(source.argument.source) ?? ''));
    return (
      fromEvents &&
      declarator.id.properties.some(
        (property) =>
          property.type === 'Property' &&
          staticName(property.key, property.computed) === 'on' &&
          property.value.type === 'Identifier' &&
          property.value.name === variable.name,
      )
    );
  }
  return false;
}

/** The events module itself, or its `EventEmitter` class (both have a static `on`). */
function isEventsModule(variable: Scope.Variable): boolean {
  const definition = definitionOf(variable);
  if (!definition) return false;
  if (definition.type === 'ImportBinding') {
    const declaration = definition.parent as ESTree.ImportDeclaration;
    if (!EVENTS.has(String(declaration.source.value))) return false;
    const specifier = definition.node as ESTree.ImportSpecifier | ESTree.ImportDefaultSpecifier | ESTree.ImportNamespaceSpecifier;
    if (specifier.type !== 'ImportSpecifier') return true;
    return staticName(specifier.imported) === 'EventEmitter';
  }
  const init = initializerOf(variable);
  if (init) {
    const source = unwrapTS(init);
    if (isRequireOfEvents(source)) return true;
    if (source.type === 'MemberExpression' && memberName(source) === 'EventEmitter' && isRequireOfEvents(source.object)) return true;
    return false;
  }
  if (definition.type === 'Variable') {
    const declarator = definition.node as ESTree.VariableDeclarator;
    if (declarator.id.type === 'ObjectPattern' && declarator.init && isRequireOfEvents(declarator.init)) {
      return declarator.id.properties.some(
        (property) =>
          property.type === 'Property' &&
          staticName(property.key, property.computed) === 'EventEmitter' &&
          property.value.type === 'Identifier' &&
          property.value.name === variable.name,
      );
    }
  }
  return false;
}

