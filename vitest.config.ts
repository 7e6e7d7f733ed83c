import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { name: string; version: string };
// src/eslint/version.ts reads these; tsup defines them for the build.
const define = { __LEAKPROOF_NAME__: JSON.stringify(pkg.name), __LEAKPROOF_VERSION__: JSON.stringify(pkg.version) };

// Three projects: `unit` (behaviour, properties, types) runs in parallel threads;
// `gc` needs a real `gc()` and a heap of its own, so it runs in forked processes
// started with --expose-gc (vitest 4 reads `execArgv` inside each project's
// `test` block; the threads pool refuses the flag). `gc-dist` runs the same GC
// tests against the built `dist/` – the code users install – because retention
// depends on the emitted code (closure contexts, inlined helpers), not on the
// TypeScript source.

const gcInclude = ['test/**/*.gc.test.ts', 'test/cases/**/*.test.ts'];
// A failing leak check explains itself with a heap snapshot (leakproof/testing).
// The suite's ~90 positive controls fail on purpose; explaining each would
// double the GC run, so explanations are off by default here and on in every
// test that asserts one (`explain: true`).
const gcEnv = { LEAKPROOF_EXPLAIN: '0' };
const dist = (path: string) => fileURLToPath(new URL(`./dist/${path}`, import.meta.url));

export default defineConfig({
  test: {
    projects: [
      {
        define,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.gc.test.ts', 'test/cases/**', 'node_modules/**'],
          pool: 'threads',
        },
      },
      {
        define,
        test: {
          name: 'gc',
          include: gcInclude,
          env: gcEnv,
          pool: 'forks',
          execArgv: ['--expose-gc'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        define,
        resolve: {
          // Every public module of src/ is one export of the main entry; the
          // kit's modules are the `leakproof/testing` entry. Internal modules
          // (src/internal/*) are not public and stay as source.
          alias: [
            { find: /^(?:\.\.\/)+src\/testing\/[\w-]+\.js$/, replacement: dist('testing/index.js') },
            { find: /^(?:\.\.\/)+src\/(?!internal\/|testing\/|eslint\/)[\w-]+\.js$/, replacement: dist('index.js') },
          ],
        },
        test: {
          name: 'gc-dist',
          include: gcInclude,
          // Reads an internal module (the snapshot reader) that dist/ does not export.
          exclude: ['test/testing/heap-snapshot-real.gc.test.ts', 'node_modules/**'],
          env: { ...gcEnv, LEAKPROOF_TARGET: 'dist' },
          pool: 'forks',
          execArgv: ['--expose-gc'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
