// The kit rejects options it does not know, like every leakproof function: a
// typo (`round`) or another tool's option would otherwise be ignored and the
// check would silently run with its defaults.
import { describe, expect, it } from 'vitest';
import {
  collectGarbage,
  expectCollectable,
  expectFlatHeap,
  expectRetained,
  gcUntil,
  measureHeapSlope,
} from '../../src/testing/index.js';

const unknownOption = { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' };

describe('leakproof/testing options', () => {
  it('rejects an unknown option of collectGarbage, naming it', () => {
    expect(() => collectGarbage({ allowFlagChanges: true } as never)).toThrow(/"allowFlagChanges".*Did you mean "allowFlagChange"/);
  });

  it('rejects unknown options of gcUntil, expectCollectable and expectRetained, with the nearest name', async () => {
    await expect(gcUntil(() => true, { round: 2 } as never)).rejects.toMatchObject(unknownOption);
    await expect(expectCollectable(() => ({}), { atleast: 1 } as never)).rejects.toThrow(/"atleast".*Did you mean "atLeast"/);
    await expect(expectRetained(() => ({}), { explain: false } as never)).rejects.toMatchObject(unknownOption);
  });

  it('rejects unknown options of measureHeapSlope and expectFlatHeap', async () => {
    await expect(measureHeapSlope(() => {}, { iterations: 10, sample: 2 } as never)).rejects.toMatchObject(unknownOption);
    await expect(
      expectFlatHeap(() => {}, { iterations: 10, maxBytesPerIteration: 1, maxBytes: 1 } as never),
    ).rejects.toThrow(/"maxBytes"/);
  });
});
