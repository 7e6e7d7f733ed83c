import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { name: string; version: string };
// src/eslint/version.ts reads these; tsup defines them for the build.
const define = { __LEAKPROOF_NAME__: JSON.stringify(pkg.name), __LEAKPROOF_VERSION__: JSON.stringify(pkg.version) };

// Two projects: `unit` (behaviour, properties, types) runs in parallel threads;
// `gc` needs a real `gc()` and a heap of its own, so it runs in forked processes
// started with --expose-gc (vitest 4 reads `execArgv` at the top level of a
// project; the threads pool refuses the flag).
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
          include: ['test/**/*.gc.test.ts', 'test/cases/**/*.test.ts'],
          pool: 'forks',
          execArgv: ['--expose-gc'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
