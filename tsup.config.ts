import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  // No shared chunks: each entry is one self-contained file (the testing kit
  // carries its own copy of the few validators it shares with the main entry),
  // and a bundler tree-shakes within it.
  splitting: false,
  treeshake: true,
  target: 'node20',
  platform: 'node',
});
