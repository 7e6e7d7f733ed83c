// The plugin object: meta for --cache, rule docs, the recommended config, and
// the six rules firing together through it under ESLint 9 and 10.
import { readFileSync } from 'node:fs';
import { Linter as Linter9 } from 'eslint';
import { Linter as Linter10 } from 'eslint-v10';
import { describe, expect, it } from 'vitest';
import leakproof from '../../src/eslint/index.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
const fixture = readFileSync(new URL('./fixtures/all-six.js', import.meta.url), 'utf8');
const ruleNames = [
  'no-leaky-race',
  'no-lingering-abort-listener',
  'no-owning-timer',
  'no-unbounded-cache',
  'no-unbounded-events-on',
  'no-unclosed-iterator',
];

describe('leakproof/eslint plugin', () => {
  it('names itself and its version from package.json (the --cache key)', () => {
    expect(leakproof.meta).toEqual({ name: `${pkg.name}/eslint`, version: pkg.version, namespace: 'leakproof' });
  });

  it('has the six rules, each documented and offering suggestions', () => {
    expect(Object.keys(leakproof.rules).sort()).toEqual(ruleNames);
    for (const [name, rule] of Object.entries(leakproof.rules)) {
      // A file: URL to the README shipped with the package (docs-url.test.ts
      // checks the file and the anchor).
      expect(rule.meta?.docs?.url, name).toMatch(/^file:\/\/.*\/README\.md#[a-z0-9-]+$/);
      expect(rule.meta?.docs?.description).toMatch(/long-lived/);
      expect(rule.meta?.hasSuggestions).toBe(true);
      expect(rule.meta?.type).toBe('problem');
      expect(rule.meta?.schema).toEqual([]);
    }
  });

  it('enables every rule but no-unbounded-cache as an error in configs.recommended, with the plugin registered under its namespace', () => {
    const recommended = leakproof.configs.recommended;
    expect(recommended.name).toBe('leakproof/recommended');
    expect(recommended.plugins).toEqual({ leakproof });
    const five = ruleNames.filter((name) => name !== 'no-unbounded-cache');
    expect(recommended.rules).toEqual(Object.fromEntries(five.map((name) => [`leakproof/${name}`, 'error'])));
  });

  it('enables every rule as an error in configs.all', () => {
    const all = leakproof.configs.all;
    expect(all.name).toBe('leakproof/all');
    expect(all.plugins).toEqual({ leakproof });
    expect(all.rules).toEqual(Object.fromEntries(ruleNames.map((name) => [`leakproof/${name}`, 'error'])));
  });

  for (const [label, Linter] of [
    ['ESLint 9', Linter9],
    ['ESLint 10', Linter10],
  ] as const) {
    it(`reports each of the six patterns once through configs.all, five through configs.recommended (${label})`, () => {
      const linter = new Linter({ configType: 'flat' }) as Linter9;
      const messages = linter.verify(fixture, [leakproof.configs.all], 'all-six.js');
      expect(messages.filter((message) => message.fatal)).toEqual([]);
      expect(messages.map((message) => message.ruleId).sort()).toEqual(ruleNames.map((name) => `leakproof/${name}`));
      for (const message of messages) expect(message.suggestions?.length).toBe(1);
      const recommended = linter.verify(fixture, [leakproof.configs.recommended], 'all-six.js');
      expect(recommended.map((message) => message.ruleId).sort()).toEqual(
        ruleNames.filter((name) => name !== 'no-unbounded-cache').map((name) => `leakproof/${name}`),
      );
    });
  }
});
