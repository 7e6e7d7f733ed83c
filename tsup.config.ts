import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { name: string; version: string };

export default defineConfig({
  entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts', 'eslint/index': 'src/eslint/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  // No shared chunks: each entry is one self-contained file (the testing kit
  // carries its own copy of the few validators it shares with the main entry),
  // and a bundler tree-shakes within it.
  splitting: false,
  // The ESLint plugin's `meta.version` (ESLint's cache key), read here so the
  // plugin reads no file at run time (src/eslint/version.ts).
  define: { __LEAKPROOF_NAME__: JSON.stringify(pkg.name), __LEAKPROOF_VERSION__: JSON.stringify(pkg.version) },
  treeshake: true,
  target: 'node20',
  platform: 'node',
});
