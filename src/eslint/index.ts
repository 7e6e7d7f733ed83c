// `leakproof/eslint`: a flat-config ESLint plugin that finds the leaking
// patterns leakproof's primitives replace, and suggests the replacement.
//
// Leak: none of its own. The plugin is loaded once per ESLint process and
// holds nothing per file: every rule keeps its state in `create`'s closure,
// which ESLint drops after the file.
// Invariant: no runtime dependency – `eslint` and `estree` are imported for
// types only, and the version comes from package.json at build time.
//
// @example
// ```js
// // eslint.config.js
// import leakproof from 'leakproof/eslint';
// export default [leakproof.configs.recommended];
// ```
import type { ESLint, Linter, Rule } from 'eslint';
import { noLeakyRace } from './rules/no-leaky-race.js';
import { noLingeringAbortListener } from './rules/no-lingering-abort-listener.js';
import { noOwningTimer } from './rules/no-owning-timer.js';
import { noUnboundedCache } from './rules/no-unbounded-cache.js';
import { noUnboundedEventsOn } from './rules/no-unbounded-events-on.js';
import { noUnclosedIterator } from './rules/no-unclosed-iterator.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version.js';

const rules = {
  'no-leaky-race': noLeakyRace,
  'no-lingering-abort-listener': noLingeringAbortListener,
  'no-unbounded-cache': noUnboundedCache,
  'no-owning-timer': noOwningTimer,
  'no-unbounded-events-on': noUnboundedEventsOn,
  'no-unclosed-iterator': noUnclosedIterator,
} satisfies Record<string, Rule.RuleModule>;

/** The rule names, as configured: `leakproof/<name>`. */
export type RuleName = keyof typeof rules;

/** The plugin object: `meta` (for `--cache`), `rules`, `configs.recommended` and `configs.all`. */
export interface LeakproofPlugin extends ESLint.Plugin {
  meta: { name: string; version: string; namespace: 'leakproof' };
  rules: Record<RuleName, Rule.RuleModule>;
  configs: { recommended: Linter.Config; all: Linter.Config };
}

/**
 * The leakproof ESLint plugin. Add `leakproof.configs.recommended` to a flat
 * config to report five leaking patterns as errors, each with an editor
 * suggestion that rewrites to the leakproof primitive where that is safe;
 * `leakproof.configs.all` adds the sixth, `no-unbounded-cache`, whose reports
 * on real code were mostly bounded caches (see `bench/eslint/corpus.md`).
 *
 * Guarantees: works on JavaScript and on TypeScript parsed by
 * `@typescript-eslint/parser`, with ESLint 9 and 10, without type
 * information. Does not: prove a leak – each rule reports a pattern that
 * leaks when its "long-lived" part lives long (see each rule's docs).
 *
 * @example
 * ```js
 * // eslint.config.js
 * import leakproof from 'leakproof/eslint';
 *
 * export default [
 *   leakproof.configs.recommended,
 *   { rules: { 'leakproof/no-unbounded-cache': 'warn' } },
 * ];
 * ```
 */
const plugin: LeakproofPlugin = {
  meta: { name: `${PACKAGE_NAME}/eslint`, version: PACKAGE_VERSION, namespace: 'leakproof' },
  rules,
  configs: { recommended: {}, all: {} },
};

// Not recommended: on the corpus of 13 packages' shipped JavaScript
// (bench/eslint/corpus.md) none of no-unbounded-cache's 7 reports was a true
// leak and 3 retained nothing that grows; the other five rules made 7 reports,
// all true leaks.
const NOT_RECOMMENDED: ReadonlySet<string> = new Set<RuleName>(['no-unbounded-cache']);
const asErrors = (names: string[]): Linter.RulesRecord =>
  Object.fromEntries(names.map((name) => [`leakproof/${name}`, 'error']));

plugin.configs.recommended = {
  name: 'leakproof/recommended',
  plugins: { leakproof: plugin },
  rules: asErrors(Object.keys(rules).filter((name) => !NOT_RECOMMENDED.has(name))),
};
plugin.configs.all = {
  name: 'leakproof/all',
  plugins: { leakproof: plugin },
  rules: asErrors(Object.keys(rules)),
};

export default plugin;

// The same members as named exports, so that `require('leakproof/eslint')`
// (which sees the module namespace) has `configs.recommended` too, and the
// CommonJS types match the CommonJS file without `export =`.
const { meta, configs } = plugin;
export { meta, rules, configs };
