// Runs one rule's cases under ESLint 9's and ESLint 10's RuleTester, with
// espree for JavaScript cases and @typescript-eslint/parser for TypeScript ones.
import tsParser from '@typescript-eslint/parser';
import type { Rule } from 'eslint';
import { RuleTester as RuleTester9 } from 'eslint';
import { RuleTester as RuleTester10 } from 'eslint-v10';
import { describe, it } from 'vitest';

export interface Valid {
  code: string;
  /** Parse with @typescript-eslint/parser as a .ts file. */
  ts?: boolean;
  sourceType?: 'module' | 'commonjs' | 'script';
  ecmaVersion?: number;
  name?: string;
}

export interface Invalid extends Valid {
  /** The message id, or one per expected report. */
  errors: string | string[];
  /** The output of the (first) report's suggestion, or null when it offers none. */
  suggestion: string | null;
}

const testers = [
  ['ESLint 9', RuleTester9],
  ['ESLint 10', RuleTester10],
] as const;

for (const [, Tester] of testers) {
  Tester.describe = describe;
  Tester.it = it;
  // No itOnly: a case marked `only: true` then fails loudly instead of
  // silently skipping every other case.
}

function options(test: Valid): Record<string, unknown> {
  return {
    code: test.code,
    ...(test.name ? { name: test.name } : {}),
    ...(test.ts ? { filename: 'file.ts' } : {}),
    languageOptions: {
      ecmaVersion: test.ecmaVersion ?? 'latest',
      sourceType: test.sourceType ?? 'module',
      ...(test.ts ? { parser: tsParser } : {}),
    },
  };
}

/** Runs the cases under both ESLint majors. */
export function ruleTests(
  name: string,
  rule: Rule.RuleModule,
  suggestionId: string,
  tests: { valid: Valid[]; invalid: Invalid[] },
): void {
  for (const [label, Tester] of testers) {
    describe(label, () => {
      const tester = new Tester();
      tester.run(name, rule as never, {
        valid: tests.valid.map((test) => options(test)) as never,
        invalid: tests.invalid.map((test) => {
          const ids = typeof test.errors === 'string' ? [test.errors] : test.errors;
          return {
            ...options(test),
            errors: ids.map((messageId, index) => ({
              messageId,
              suggestions:
                index === 0 && test.suggestion !== null ? [{ messageId: suggestionId, output: test.suggestion }] : index === 0 ? [] : undefined,
            })),
          };
        }) as never,
      });
    });
  }
}
