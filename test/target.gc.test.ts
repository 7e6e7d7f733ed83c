// The `gc-dist` project must really run the GC tests against the built
// package: if its alias stopped matching, every "dist" run would silently
// re-test the source.
import { describe, expect, it } from 'vitest';
import { race } from '../src/race.js';
import { expectCollectable } from '../src/testing/index.js';

const distIndex = new URL('../dist/index.js', import.meta.url).href;
const distTesting = new URL('../dist/testing/index.js', import.meta.url).href;

describe('GC test target', () => {
  it('imports the primitives and the kit from dist/ in gc-dist and from src/ in gc', async () => {
    const builtIndex = (await import(distIndex)) as { race: unknown };
    const builtTesting = (await import(distTesting)) as { expectCollectable: unknown };
    const fromDist = process.env.LEAKPROOF_TARGET === 'dist';
    expect(race === builtIndex.race).toBe(fromDist);
    expect(expectCollectable === builtTesting.expectCollectable).toBe(fromDist);
  });
});
