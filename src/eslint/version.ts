// The package's name and version for the plugin's `meta` (ESLint's cache key).
// tsup and vitest replace `__LEAKPROOF_NAME__`/`__LEAKPROOF_VERSION__` with the
// values in package.json at build time, so the plugin reads no file at run time.
declare const __LEAKPROOF_NAME__: string;
declare const __LEAKPROOF_VERSION__: string;

export const PACKAGE_NAME: string = __LEAKPROOF_NAME__;
export const PACKAGE_VERSION: string = __LEAKPROOF_VERSION__;
