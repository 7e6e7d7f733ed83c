// Figures for the README's "Real leaks" table: each real case prints what it measured when
// LEAKPROOF_CASES_REPORT is set, and nothing otherwise (the assertions carry
// the same numbers as bounds).

import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { collectGarbage, retainedBytes } from '../../../src/testing/index.js';

export function report(testCase: string, figures: Record<string, number | string | boolean>): void {
  if (!process.env.LEAKPROOF_CASES_REPORT) return;
  const parts = Object.entries(figures).map(([key, value]) => `${key}=${String(value)}`);
  console.log(`[case ${testCase}] node ${process.version}: ${parts.join(' ')}`);
}

/** Retained bytes (heap plus off-heap) after two full collections. */
export async function settledBytes(): Promise<number> {
  for (let i = 0; i < 2; i++) {
    await nextMacrotask();
    collectGarbage();
  }
  await nextMacrotask();
  return retainedBytes();
}
