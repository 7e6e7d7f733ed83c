// Where each rule's documentation is: its section of the README.md that ships
// in the package, as a `file:` URL (the project has no public home to link to,
// and an invented address would be a dead link in every editor).
//
// Leak: none; computed once at load.
// Invariant: the URL names the README.md next to the installed package's
// `dist/` (or `src/`): this file is bundled into `dist/eslint/index.{js,cjs}`
// and lives at `src/eslint/docs.ts`, both two levels below the package root.
import { pathToFileURL } from 'node:url';
import type { RuleName } from './index.js';

/**
 * The README heading each rule's docs URL points at, as GitHub slugs it.
 * Every rule is described in the table of the "Find leaks in your code"
 * section, which has no heading per rule.
 */
export const RULE_ANCHORS: Record<RuleName, string> = {
  'no-leaky-race': 'find-leaks-in-your-code',
  'no-lingering-abort-listener': 'find-leaks-in-your-code',
  'no-unbounded-cache': 'find-leaks-in-your-code',
  'no-owning-timer': 'find-leaks-in-your-code',
  'no-unbounded-events-on': 'find-leaks-in-your-code',
  'no-unclosed-iterator': 'find-leaks-in-your-code',
};

// The CommonJS build defines `__filename`; the ES module build (and the
// TypeScript source under vitest) has `import.meta.url` instead. tsup's own
// CommonJS shim for `import.meta.url` writes `file:${__filename}`, which breaks
// on a path holding `#`, `?` or `%`; `pathToFileURL` escapes them.
const here: string = typeof __filename === 'string' ? pathToFileURL(__filename).href : import.meta.url;
const readme = new URL('../../README.md', here);

/** The `file:` URL of the README section documenting `rule`. */
export function docsUrl(rule: RuleName): string {
  return `${readme.href}#${RULE_ANCHORS[rule]}`;
}
