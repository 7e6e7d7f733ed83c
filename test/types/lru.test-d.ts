// Type-level checks for `LRU` (run by `tsc --noEmit`, not by vitest).

import { expectTypeOf } from 'vitest';
import { type EvictReason, LRU, type LRUOptions, type LRUSetOptions } from '../../src/lru.js';

// An unbounded cache does not compile: `max` is required.
// @ts-expect-error -- missing max
new LRU({});
// @ts-expect-error -- missing options
new LRU();
// @ts-expect-error -- max must be a number
new LRU({ max: '10' });
// @ts-expect-error -- unknown reasons are not EvictReasons
const badReason: EvictReason = 'expired';
void badReason;

const cache = new LRU<string, { id: number }>({ max: 100, ttl: 1000 });
expectTypeOf(cache.get('a')).toEqualTypeOf<{ id: number } | undefined>();
expectTypeOf(cache.peek('a')).toEqualTypeOf<{ id: number } | undefined>();
expectTypeOf(cache.has('a')).toEqualTypeOf<boolean>();
expectTypeOf(cache.delete('a')).toEqualTypeOf<boolean>();
expectTypeOf(cache.clear()).toEqualTypeOf<void>();
expectTypeOf(cache.set('a', { id: 1 })).toEqualTypeOf<typeof cache>();
expectTypeOf(cache.set('a', { id: 1 }, { ttl: 5 }).set('b', { id: 2 })).toEqualTypeOf<typeof cache>();
expectTypeOf(cache.size).toEqualTypeOf<number>();
expectTypeOf(cache.max).toEqualTypeOf<number>();
expectTypeOf(cache.keys()).toEqualTypeOf<IterableIterator<string>>();
expectTypeOf(cache.values()).toEqualTypeOf<IterableIterator<{ id: number }>>();
expectTypeOf(cache.entries()).toEqualTypeOf<IterableIterator<[string, { id: number }]>>();
expectTypeOf([...cache]).toEqualTypeOf<Array<[string, { id: number }]>>();
expectTypeOf(cache).toMatchTypeOf<Disposable>();
expectTypeOf<LRUSetOptions>().toEqualTypeOf<{ ttl?: number }>();

// @ts-expect-error -- wrong key type
cache.get(1);
// @ts-expect-error -- wrong value type
cache.set('a', { id: 'x' });
// @ts-expect-error -- size and max are read-only
cache.size = 3;
// @ts-expect-error -- unknown set option
cache.set('a', { id: 1 }, { maxAge: 5 });

// Key and value types are inferred from the callbacks.
const sized = new LRU({ max: Infinity, maxSize: 1024, sizeOf: (value: string, key: number) => value.length + key });
expectTypeOf(sized).toEqualTypeOf<LRU<number, string>>();

new LRU<string, number>({
  max: 10,
  onEvict: (value, key, reason) => {
    expectTypeOf(value).toEqualTypeOf<number>();
    expectTypeOf(key).toEqualTypeOf<string>();
    expectTypeOf(reason).toEqualTypeOf<EvictReason>();
  },
});

expectTypeOf<EvictReason>().toEqualTypeOf<'evict' | 'expire' | 'delete' | 'set' | 'clear'>();
expectTypeOf<LRUOptions<string, number>['max']>().toEqualTypeOf<number>();
expectTypeOf<LRUOptions<string, number>['sizeOf']>().toEqualTypeOf<((value: number, key: string) => number) | undefined>();

// `using` disposes the cache at the end of the block.
function scoped(): void {
  using local = new LRU<string, number>({ max: 1 });
  local.set('a', 1);
}
scoped();

// onError receives onEvict's errors as `unknown`.
new LRU<string, number>({
  max: 1,
  ttl: 1000,
  onEvict: () => {
    throw new Error('x');
  },
  onError: (error) => {
    expectTypeOf(error).toEqualTypeOf<unknown>();
  },
});
// @ts-expect-error lru-cache's `dispose` is not an option here (it is `onEvict`)
new LRU<string, number>({ max: 1, dispose: () => {} });
