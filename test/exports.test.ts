// The published shape: both entry points, both module systems, and
// tree-shaking. Runs against the built dist/ (`npm test` builds first).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = new URL('../dist/', import.meta.url);

describe('package exports', () => {
  it('has been built (run `npm run build` before this file)', () => {
    expect(existsSync(new URL('index.js', dist))).toBe(true);
    expect(existsSync(new URL('testing/index.cjs', dist))).toBe(true);
  });

  it('exposes the same names to ESM and CommonJS, by package name', async () => {
    const script = `
      const esm = await import('leakproof');
      const esmTesting = await import('leakproof/testing');
      const { createRequire } = await import('node:module');
      const require = createRequire(process.cwd() + '/');
      const cjs = require('leakproof');
      const cjsTesting = require('leakproof/testing');
      console.log(JSON.stringify({
        esm: Object.keys(esm).sort(), cjs: Object.keys(cjs).sort(),
        esmTesting: Object.keys(esmTesting).sort(), cjsTesting: Object.keys(cjsTesting).sort(),
      }));
    `;
    // Self-referencing the package by name resolves through its "exports" map.
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    const names = JSON.parse(out) as Record<string, string[]>;
    expect(names.esm).toEqual(names.cjs);
    expect(names.esmTesting).toEqual(names.cjsTesting);
    expect(names.esm).toEqual(
      [
        'Channel', 'ClosedError', 'LRU', 'MAX_PENDING_NEXT_CALLS', 'MEMOIZE_DEFAULT_MAX', 'OverflowError', 'Scope',
        'abortable', 'abortableIterator', 'any', 'anySignal', 'delay', 'isAbortError', 'memoize', 'memoizeAsync',
        'on', 'onAbort', 'pump', 'race', 'weakInterval', 'weakTimeout',
      ].sort(),
    );
    expect(names.esmTesting).toEqual(
      expect.arrayContaining(['collectGarbage', 'gcUntil', 'track', 'expectCollectable', 'expectRetained', 'LeakError']),
    );
    // The GC helpers never land in the main entry.
    expect(names.esm).not.toContain('collectGarbage');
  });

  it('has no default export and a race that behaves like Promise.race from CommonJS', async () => {
    const require = createRequire(import.meta.url);
    const cjs = require('../dist/index.cjs') as typeof import('../src/index.js') & { default?: unknown };
    expect(cjs.default).toBeUndefined();
    expect(await cjs.race([new Promise(() => {}), Promise.resolve('cjs')])).toBe('cjs');
  });

  it('tree-shakes: importing one small export brings nothing else along', async () => {
    const bundle = async (code: string): Promise<string> => {
      const result = await build({
        stdin: { contents: code, resolveDir: root, loader: 'js' },
        bundle: true,
        write: false,
        format: 'esm',
        platform: 'node',
        minify: false,
        logLevel: 'silent',
      });
      return result.outputFiles[0]!.text;
    };
    const small = await bundle(`import { isAbortError } from 'leakproof'; console.log(isAbortError);`);
    expect(small).not.toMatch(/FinalizationRegistry|WeakMap|class /);
    expect(small.length).toBeLessThan(1500);
    const raceOnly = await bundle(`import { race } from 'leakproof'; console.log(race);`);
    expect(raceOnly).toContain('function race');
    // esbuild prints classes as `var Name = class`.
    const classNamed = (name: string): RegExp => new RegExp(`\\b${name} = class\\b|\\bclass ${name}\\b`);
    expect(raceOnly).not.toMatch(/function any\b|function memoize\b|function pump\b/);
    for (const name of ['LRU', 'Channel', 'Scope']) expect(raceOnly).not.toMatch(classNamed(name));
    const lruOnly = await bundle(`import { LRU } from 'leakproof'; console.log(LRU);`);
    expect(lruOnly).toMatch(classNamed('LRU'));
    expect(lruOnly).not.toMatch(/function race\b|function pump\b/);
    for (const name of ['Channel', 'Scope']) expect(lruOnly).not.toMatch(classNamed(name));
  });
});
