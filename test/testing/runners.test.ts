// The node:test set-up the README documents, verified: the kit and its
// explanations work in a plain `node --expose-gc --test` run.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('test runner set-ups', () => {
  it('explains a leak under node --expose-gc --test', () => {
    const fixture = fileURLToPath(new URL('./fixtures/node-test-explain.fixture.ts', import.meta.url));
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--test', '--test-reporter=tap', fixture], {
      encoding: 'utf8',
    });
    expect(out).toMatch(/^# pass 1$/m);
    expect(out).toMatch(/^# fail 0$/m);
    expect(out).toMatch(/module-level variable `cache`/);
  }, 120_000);
});
