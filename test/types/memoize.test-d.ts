import { expectTypeOf } from 'vitest';
import { type Memoized, type MemoizeStats, memoize } from '../../src/memoize.js';
import {
  type MemoizeAsyncCallOptions,
  type MemoizeAsyncContext,
  type MemoizeAsyncStats,
  type MemoizedAsync,
  memoizeAsync,
} from '../../src/memoize-async.js';

// Checked by `tsc --noEmit` (npm test).

// --- memoize: the memoized function keeps the original signature ----------

const add = (a: number, b: number): number => a + b;
const mAdd = memoize(add);
expectTypeOf(mAdd).toEqualTypeOf<Memoized<typeof add>>();
expectTypeOf(mAdd).toMatchTypeOf<(a: number, b: number) => number>();
expectTypeOf(mAdd).parameters.toEqualTypeOf<[a: number, b: number]>();
expectTypeOf(mAdd).returns.toEqualTypeOf<number>();
expectTypeOf(mAdd.stats).toEqualTypeOf<MemoizeStats>();
expectTypeOf(mAdd.delete).parameters.toEqualTypeOf<[a: number, b: number]>();
expectTypeOf(mAdd.has).returns.toEqualTypeOf<boolean>();
expectTypeOf(mAdd.clear).toEqualTypeOf<() => void>();
// @ts-expect-error the wrong argument type is still an error
mAdd('1', 2);
// @ts-expect-error so is the wrong arity
mAdd(1);
// @ts-expect-error delete takes the same arguments
mAdd.delete('x');

// Optional and rest parameters, generics, overloads and `this` survive.
const optional = memoize((a: string, b?: number) => a.repeat(b ?? 1));
optional('x');
optional('x', 2);
const generic = memoize(<T>(value: T): T[] => [value]);
expectTypeOf(generic(1)).toEqualTypeOf<number[]>();
expectTypeOf(generic('a')).toEqualTypeOf<string[]>();
declare function overloaded(x: string): string;
declare function overloaded(x: number): number;
const mOverloaded = memoize(overloaded);
expectTypeOf(mOverloaded('a')).toEqualTypeOf<string>();
expectTypeOf(mOverloaded(1)).toEqualTypeOf<number>();
const withThis = memoize(function (this: { base: number }, x: number) {
  return this.base + x;
});
expectTypeOf(withThis).thisParameter.toEqualTypeOf<{ base: number }>();
// @ts-expect-error `this` is still required
withThis(1);

// Options are typed from the function's parameters.
memoize((user: { id: number }, field: string) => `${user.id}${field}`, {
  key: (user, field) => {
    expectTypeOf(user).toEqualTypeOf<{ id: number }>();
    expectTypeOf(field).toEqualTypeOf<string>();
    return user.id;
  },
  max: Infinity,
  ttl: 1000,
  weak: true,
});
// @ts-expect-error key's parameters must match fn's
memoize((a: number) => a, { key: (a: string) => a });
// @ts-expect-error weak is a boolean
memoize((a: number) => a, { weak: 'yes' });

// A promise-returning function is memoized as such: the result is the promise.
const mPromise = memoize(async (id: string) => id.length);
expectTypeOf(mPromise('a')).toEqualTypeOf<Promise<number>>();

// --- memoizeAsync: (key, { signal }?) => Promise<value> -----------------------

declare function fetchUser(id: string, options: { signal: AbortSignal }): Promise<{ name: string }>;
const getUser = memoizeAsync((id: string, { signal }) => fetchUser(id, { signal }), {
  max: 1000,
  ttl: 60_000,
});
expectTypeOf(getUser).toEqualTypeOf<MemoizedAsync<string, { name: string }>>();
expectTypeOf(getUser('a')).toEqualTypeOf<Promise<{ name: string }>>();
expectTypeOf(getUser('a', { signal: new AbortController().signal })).toEqualTypeOf<Promise<{ name: string }>>();
expectTypeOf(getUser('a', {})).toEqualTypeOf<Promise<{ name: string }>>();
expectTypeOf(getUser('a', undefined)).toEqualTypeOf<Promise<{ name: string }>>();
expectTypeOf(getUser).parameters.toEqualTypeOf<[key: string, options?: MemoizeAsyncCallOptions]>();
expectTypeOf(getUser.stats).toEqualTypeOf<MemoizeAsyncStats>();
expectTypeOf(getUser.delete).parameters.toEqualTypeOf<[key: string]>();
expectTypeOf(getUser.has).parameters.toEqualTypeOf<[key: string]>();
// @ts-expect-error the key argument is required
getUser();
// @ts-expect-error the key argument keeps its type
getUser(1);
// @ts-expect-error the options are { signal? }
getUser('a', { signal: 'no' });
// @ts-expect-error a second key value is not accepted
getUser('a', 'b');
// @ts-expect-error nothing after the options
getUser('a', {}, 1);
// @ts-expect-error delete does not take the options
getUser.delete('a', {});

// The p-memoize habit: fn ignores the context.
const plain = memoizeAsync(async (id: string) => ({ id }));
expectTypeOf(plain('a')).toEqualTypeOf<Promise<{ id: string }>>();

// Several values as one array key, a synchronous result, and no key at all.
const twoKeys = memoizeAsync(
  ([a, b]: [number, string], ctx) => {
    expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal>();
    return `${a}${b}`;
  },
  { key: ([a, b]) => `${a}:${b}` },
);
expectTypeOf(twoKeys([1, 'b'])).toEqualTypeOf<Promise<string>>();
expectTypeOf(twoKeys([1, 'b'], { signal: AbortSignal.timeout(5) })).toEqualTypeOf<Promise<string>>();
const noKeys = memoizeAsync(async () => true);
expectTypeOf(noKeys()).toEqualTypeOf<Promise<boolean>>();
expectTypeOf(noKeys(undefined, { signal: undefined })).toEqualTypeOf<Promise<boolean>>();
// A nested promise is awaited in the result type.
const nested = memoizeAsync(async (_x: number, _ctx: MemoizeAsyncContext) => Promise.resolve(1));
expectTypeOf(nested(1)).toEqualTypeOf<Promise<number>>();

// key() sees the key; `this` is passed through.
memoizeAsync((user: { id: number }) => Promise.resolve(user), {
  key: (user) => {
    expectTypeOf(user).toEqualTypeOf<{ id: number }>();
    return user.id;
  },
});
const withThisAsync = memoizeAsync(async function (this: { base: number }, x: number) {
  return this.base + x;
});
expectTypeOf(withThisAsync.call({ base: 1 }, 2)).toEqualTypeOf<Promise<number>>();
// @ts-expect-error arity is gone: the key is one value
memoizeAsync(async (id: string) => id, { arity: 1 });
