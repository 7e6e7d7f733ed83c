import { execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import {
  collectGarbage,
  expectCollectable,
  expectFlatHeap,
  GcUnavailableError,
  gcUntil,
  listenerCount,
  measureHeapSlope,
  track,
} from '../src/testing/index.js';

// The unit project runs without --expose-gc: exactly the situation in which
// the kit must refuse loudly instead of silently passing everything.
describe('leakproof/testing', () => {
  describe('validation', () => {
    it('throws GcUnavailableError naming --expose-gc when gc is not exposed', () => {
      expect(typeof (globalThis as { gc?: unknown }).gc).toBe('undefined');
      expect(() => collectGarbage()).toThrow(GcUnavailableError);
      expect(() => collectGarbage()).toThrow(/--expose-gc/);
    });

    it('rejects every check when gc is not exposed, never passes silently', async () => {
      await expect(gcUntil(() => true)).rejects.toBeInstanceOf(GcUnavailableError);
      await expect(expectCollectable(() => ({}))).rejects.toBeInstanceOf(GcUnavailableError);
      await expect(measureHeapSlope(() => {}, { iterations: 10 })).rejects.toBeInstanceOf(GcUnavailableError);
    });

    it('turns --expose-gc on at run time only when asked (allowFlagChange)', () => {
      const script = `
        import { collectGarbage, gcUntil } from ${JSON.stringify(new URL('../src/testing/index.ts', import.meta.url).href)};
        let ref;
        (() => { ref = new WeakRef({ big: new Array(1000) }); })();
        collectGarbage({ allowFlagChange: true });
        const ok = await gcUntil(() => ref.deref() === undefined, { allowFlagChange: true });
        console.log(JSON.stringify({ ok }));
      `;
      const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        encoding: 'utf8',
      });
      expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ ok: true });
    });

    it('works under node:test as well as vitest', () => {
      const fixture = new URL('./fixtures/node-test-kit.fixture.ts', import.meta.url).pathname;
      const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--test', '--test-reporter=tap', fixture], {
        encoding: 'utf8',
      });
      expect(out).toMatch(/# pass 1/);
      expect(out).toMatch(/# fail 0/);
      // Spawning node with a TypeScript loader takes seconds on a busy machine.
    }, 60_000);

    it('names the parameter in TypeError/RangeError messages', async () => {
      expect(() => collectGarbage({ allowFlagChange: 'yes' as never })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('options.allowFlagChange') }),
      );
      await expect(gcUntil('nope' as never)).rejects.toMatchObject({
        code: 'ERR_INVALID_ARG_TYPE',
        message: expect.stringContaining('"condition"'),
      });
      await expect(gcUntil(() => true, { rounds: 0 })).rejects.toMatchObject({
        name: 'RangeError',
        code: 'ERR_OUT_OF_RANGE',
        message: expect.stringContaining('options.rounds'),
      });
      await expect(expectCollectable(42 as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
      await expect(expectFlatHeap(() => {}, { iterations: 10, maxBytesPerIteration: -1 })).rejects.toMatchObject({
        code: 'ERR_OUT_OF_RANGE',
        message: expect.stringContaining('options.maxBytesPerIteration'),
      });
      await expect(measureHeapSlope(() => {}, { iterations: 1 })).rejects.toMatchObject({
        code: 'ERR_OUT_OF_RANGE',
        message: expect.stringContaining('options.iterations'),
      });
      expect(() => track().add(5 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
      expect(() => listenerCount({} as never, 'x')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    });
  });

  describe('semantics', () => {
    it('counts listeners on EventTargets and EventEmitters', () => {
      const controller = new AbortController();
      const listener = (): void => {};
      controller.signal.addEventListener('abort', listener);
      expect(listenerCount(controller.signal, 'abort')).toBe(1);
      controller.signal.removeEventListener('abort', listener);
      expect(listenerCount(controller.signal, 'abort')).toBe(0);
      const emitter = new EventEmitter();
      emitter.on('data', listener);
      emitter.on('data', listener);
      expect(listenerCount(emitter, 'data')).toBe(2);
    });

    it('tracks objects weakly and labels them', () => {
      const tracker = track();
      const kept = { a: 1 };
      tracker.add(kept, 'kept');
      tracker.add({ b: 2 });
      expect(tracker.size).toBe(2);
      expect(tracker.alive()).toBe(2);
      expect(tracker.aliveLabels()).toEqual(['kept', '#1']);
      expect(tracker.collected()).toBe(0);
    });
  });
});
