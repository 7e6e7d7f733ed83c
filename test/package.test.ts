// The packed tarball, as a user installs it: its types resolve from a fresh
// consumer project under every moduleResolution people use, and every
// relative link in its README points at a file the tarball ships (on npm the
// tarball is the only context a README has).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
let work: string;
let unpacked: string;
let shipped: string[];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'leakproof-pack-'));
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' });
  const [info] = JSON.parse(out) as Array<{ filename: string; files: Array<{ path: string }> }>;
  shipped = info!.files.map((f) => f.path);
  unpacked = join(work, 'unpacked');
  mkdirSync(unpacked);
  execFileSync('tar', ['-xzf', join(work, info!.filename), '-C', unpacked]);
}, 120_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

const consumer = `
import { race, LRU, abortableIterator, isAbortError } from 'leakproof';
import { expectCollectable, track, LeakError } from 'leakproof/testing';

export async function main(): Promise<void> {
  const value: string = await race([Promise.resolve('a'), new Promise<string>(() => {})]);
  const cache = new LRU<string, number>({ max: 10 });
  cache.set(value, 1);
  const tracker = track();
  tracker.add({}, 'x');
  await expectCollectable(tracker).catch((error: unknown) => error instanceof LeakError || isAbortError(error));
  void abortableIterator;
}
`;

describe('packed tarball', () => {
  it.each([
    ['node16', 'node16'],
    ['esnext', 'bundler'],
    ['commonjs', 'node10'],
  ])('type-checks a consumer with module %s, moduleResolution %s', { timeout: 120_000 }, (module, moduleResolution) => {
    const project = join(work, `consumer-${moduleResolution}`);
    mkdirSync(join(project, 'node_modules', '@types'), { recursive: true });
    symlinkSync(join(unpacked, 'package'), join(project, 'node_modules', 'leakproof'));
    symlinkSync(join(root, 'node_modules', '@types', 'node'), join(project, 'node_modules', '@types', 'node'));
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    writeFileSync(join(project, 'index.ts'), consumer);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module,
          moduleResolution,
          target: 'es2022',
          lib: ['es2022', 'esnext.disposable'],
          strict: true,
          noEmit: true,
          types: ['node'],
          ...(moduleResolution === 'node10' ? { ignoreDeprecations: '5.0' } : {}),
        },
        files: ['index.ts'],
      }),
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', project], { cwd: project, encoding: 'utf8' });
    } catch (error) {
      output = String((error as { stdout?: unknown }).stdout ?? error);
    }
    expect(output).toBe('');
  });

  it('ships every file its README links to', () => {
    const readme = readFileSync(join(unpacked, 'package', 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\((?!https?:|#|mailto:)([^)\s#]+)[^)]*\)/g)].map((m) => m[1]!);
    const missing = links.filter((link) => !shipped.includes(link.replace(/^\.\//, '')));
    expect(missing).toEqual([]);
  });

  it('ships the sources its source maps point at', () => {
    const maps = shipped.filter((f) => f.endsWith('.map'));
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(unpacked, 'package', map), 'utf8')) as { sources: string[] };
      const dir = map.slice(0, map.lastIndexOf('/') + 1);
      for (const source of sources) {
        const resolved = new URL(source, `file:///${dir}`).pathname.slice(1);
        expect(shipped, `${map} → ${source}`).toContain(resolved);
      }
    }
  });
});
