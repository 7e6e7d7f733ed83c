// Validation of the explanation options (no gc needed: bad input is refused
// before anything runs).
import { describe, expect, it } from 'vitest';
import { expectCollectable, expectFlatHeap, explainRetention } from '../../src/testing/index.js';

describe('explanation options', () => {
  describe('validation', () => {
    it('rejects a target that is not an object', async () => {
      await expect(explainRetention(42 as never)).rejects.toMatchObject({
        code: 'ERR_INVALID_ARG_TYPE',
        message: expect.stringContaining('"target"'),
      });
    });

    it('rejects unknown options of explainRetention with a hint', async () => {
      await expect(explainRetention({}, { maxHeapByte: 1 } as never)).rejects.toMatchObject({
        code: 'ERR_INVALID_ARG_VALUE',
        message: expect.stringContaining('Did you mean "maxHeapBytes"?'),
      });
      await expect(explainRetention({}, { maxHeapBytes: -1 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
      await expect(explainRetention({}, { label: 3 as never })).rejects.toMatchObject({ name: 'TypeError' });
    });

    it('rejects a malformed explain option of expectCollectable and expectFlatHeap', async () => {
      await expect(expectCollectable(() => ({}), { explain: { maxObject: 1 } as never })).rejects.toMatchObject({
        code: 'ERR_INVALID_ARG_VALUE',
        message: expect.stringContaining('Did you mean "maxObjects"?'),
      });
      await expect(expectCollectable(() => ({}), { explain: 'yes' as never })).rejects.toMatchObject({
        code: 'ERR_INVALID_ARG_TYPE',
      });
      await expect(expectCollectable(() => ({}), { explain: { maxObjects: 101 } })).rejects.toMatchObject({
        code: 'ERR_OUT_OF_RANGE',
        message: expect.stringContaining('options.explain.maxObjects'),
      });
      await expect(
        expectFlatHeap(() => {}, { iterations: 10, maxBytesPerIteration: 1, explain: { maxHeapBytes: -5 } }),
      ).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE', message: expect.stringContaining('options.explain.maxHeapBytes') });
    });
  });
});
