// Reading the kit's explanation of a LeakError the way a user reads it: the
// rendered message, and the structured `retainers` (one entry per explained
// survivor, each a chain of { holder, edge } steps from a GC root).

import { type RetainerExplanation } from '../../../src/testing/index.js';

/** One explained path as text, one `holder → edge` step a line. */
export function pathText(explanation: RetainerExplanation): string {
  return explanation.steps.map((step) => `${step.holder} → ${step.edge}`).join('\n');
}
