// `leakproof/eslint` as a user gets it: the packed tarball installed into a
// fresh project next to ESLint 9, and next to ESLint 10, linting a file with
// all six patterns through `leakproof.configs.all`. No network: the
// project's node_modules holds the unpacked tarball and a symlink to the ESLint
// copy in this repository's node_modules. Runs against dist/ (`npm test`
// builds first).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const modules = join(root, 'node_modules');
const fixture = fileURLToPath(new URL('./fixtures/all-six.js', import.meta.url));
const ruleIds = [
  'leakproof/no-leaky-race',
  'leakproof/no-lingering-abort-listener',
  'leakproof/no-owning-timer',
  'leakproof/no-unbounded-cache',
  'leakproof/no-unbounded-events-on',
  'leakproof/no-unclosed-iterator',
];

let work: string;
let unpacked: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'leakproof-eslint-install-'));
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
    cwd: root,
    encoding: 'utf8',
  });
  const [{ filename }] = JSON.parse(out) as [{ filename: string }];
  execFileSync('tar', ['-xzf', join(work, filename), '-C', work]);
  unpacked = join(work, 'package');
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function project(name: string, eslintPackage: string): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  cpSync(unpacked, join(dir, 'node_modules', 'leakproof'), { recursive: true });
  symlinkSync(join(modules, eslintPackage), join(dir, 'node_modules', 'eslint'), 'dir');
  writeFileSync(
    join(dir, 'eslint.config.js'),
    "import leakproof from 'leakproof/eslint';\nexport default [leakproof.configs.all];\n",
  );
  cpSync(fixture, join(dir, 'all-six.js'));
  return dir;
}

function lint(dir: string): { ruleIds: string[]; suggestions: number[]; version: string } {
  const bin = join(dir, 'node_modules', 'eslint', 'bin', 'eslint.js');
  let stdout: string;
  try {
    stdout = execFileSync(process.execPath, [bin, '--format', 'json', 'all-six.js'], { cwd: dir, encoding: 'utf8' });
  } catch (error) {
    // ESLint exits 1 when it reports errors; its JSON is still on stdout.
    stdout = (error as { stdout: string }).stdout;
  }
  const [result] = JSON.parse(stdout) as [{ messages: { ruleId: string | null; suggestions?: unknown[] }[] }];
  const version = execFileSync(process.execPath, [bin, '--version'], { cwd: dir, encoding: 'utf8' }).trim();
  return {
    ruleIds: result.messages.map((message) => String(message.ruleId)).sort(),
    suggestions: result.messages.map((message) => message.suggestions?.length ?? 0),
    version,
  };
}

describe('leakproof/eslint from the packed tarball', () => {
  it('ships the eslint entry in both module formats', () => {
    expect(readdirSync(join(unpacked, 'dist', 'eslint')).sort()).toEqual(
      expect.arrayContaining(['index.cjs', 'index.d.cts', 'index.d.ts', 'index.js']),
    );
    expect(existsSync(join(unpacked, 'dist', 'eslint', 'index.js'))).toBe(true);
  });

  it('loads without eslint installed (no runtime dependency)', () => {
    const dir = join(work, 'without-eslint');
    mkdirSync(join(dir, 'node_modules'), { recursive: true });
    cpSync(unpacked, join(dir, 'node_modules', 'leakproof'), { recursive: true });
    const script = "const { default: p } = await import('leakproof/eslint'); console.log(Object.keys(p.rules).length);";
    expect(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8' }).trim()).toBe('6');
  }, 60_000);

  it('flags all six patterns with suggestions in a fresh ESLint 9 project', () => {
    const result = lint(project('with-eslint-9', 'eslint'));
    expect(result.version).toMatch(/^v9\./);
    expect(result.ruleIds).toEqual(ruleIds);
    expect(result.suggestions.every((count) => count > 0)).toBe(true);
  }, 60_000);

  it('flags all six patterns with suggestions in a fresh ESLint 10 project', () => {
    const result = lint(project('with-eslint-10', 'eslint-v10'));
    expect(result.version).toMatch(/^v10\./);
    expect(result.ruleIds).toEqual(ruleIds);
    expect(result.suggestions.every((count) => count > 0)).toBe(true);
  }, 60_000);

  it("gives each rule a docs URL to the installed package's README.md, through import and require()", () => {
    // `#`, `%` and a space in the path: a URL built by pasting the path would break.
    const dir = project('with-docs #1 %41', 'eslint');
    const print = (p: string): string => `console.log(JSON.stringify(Object.values(${p}.rules).map((rule) => rule.meta.docs.url)))`;
    const esm = execFileSync(process.execPath, ['--input-type=module', '-e', `const { default: p } = await import('leakproof/eslint'); ${print('p')}`], { cwd: dir, encoding: 'utf8' });
    const cjs = execFileSync(process.execPath, ['-e', `const p = require('leakproof/eslint'); ${print('p')}`], { cwd: dir, encoding: 'utf8' });
    const readme = join(dir, 'node_modules', 'leakproof', 'README.md');
    for (const urls of [JSON.parse(esm), JSON.parse(cjs)] as string[][]) {
      expect(urls).toHaveLength(6);
      for (const url of urls) {
        expect(fileURLToPath(new URL(url))).toBe(readme);
        expect(existsSync(readme)).toBe(true);
        expect(new URL(url).hash).toMatch(/^#[a-z0-9-]+$/);
      }
    }
  }, 60_000);

  it('loads through require() with meta, rules and configs, and the package version in meta', () => {
    const dir = project('with-require', 'eslint');
    const script =
      "const p = require('leakproof/eslint'); if (p.default.configs !== p.configs) throw new Error('two plugins'); console.log(JSON.stringify({ meta: p.meta, rules: Object.keys(p.rules).length, recommended: Object.keys(p.configs.recommended.rules).length, all: Object.keys(p.configs.all.rules).length }));";
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8' })) as {
      meta: { name: string; version: string };
      rules: number;
      recommended: number;
      all: number;
    };
    const pkg = JSON.parse(execFileSync(process.execPath, ['-p', "JSON.stringify(require('./package.json'))"], { cwd: root, encoding: 'utf8' })) as { version: string };
    expect(out).toEqual({ meta: { name: 'leakproof/eslint', version: pkg.version, namespace: 'leakproof' }, rules: 6, recommended: 5, all: 6 });
  }, 60_000);
});
