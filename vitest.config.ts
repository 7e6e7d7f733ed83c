import { defineConfig } from 'vitest/config';

// Two projects: `unit` (behaviour, properties, types) runs in parallel threads;
// `gc` needs a real `gc()` and a heap of its own, so it runs in forked processes
// started with --expose-gc (vitest 4 reads `execArgv` at the top level of a
// project; the threads pool refuses the flag).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.gc.test.ts', 'test/cases/**', 'node_modules/**'],
          pool: 'threads',
        },
      },
      {
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
