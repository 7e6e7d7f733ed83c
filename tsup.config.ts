import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  // Both entries share src/internal; splitting keeps one copy of it per format.
  splitting: true,
  treeshake: true,
  target: 'node20',
  platform: 'node',
});
