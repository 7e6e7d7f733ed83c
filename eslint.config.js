// Lints leakproof's own src/ with every rule of its ESLint plugin
// (`configs.all`; `npm run lint`, part of `npm test`, after `npm run build`).
import tsParser from '@typescript-eslint/parser';
import leakproof from './dist/eslint/index.js';

export default [
  { files: ['src/**/*.ts'], languageOptions: { parser: tsParser } },
  { ...leakproof.configs.all, files: ['src/**/*.ts'] },
];
