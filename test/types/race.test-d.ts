import { expectTypeOf } from 'vitest';
import { any, race } from '../../src/race.js';

// Same overloads as the built-ins: checked by `tsc --noEmit` (npm test).
expectTypeOf(race([Promise.resolve(1), 'a'] as const)).toEqualTypeOf<Promise<number | 'a'>>();
expectTypeOf(race([Promise.resolve(1), Promise.resolve('a')])).toEqualTypeOf<Promise<number | string>>();
expectTypeOf(race(new Set([Promise.resolve(1)]))).toEqualTypeOf<Promise<number>>();
expectTypeOf(race([])).toEqualTypeOf<Promise<never>>();
expectTypeOf(any([Promise.resolve(1), 'a'] as const)).toEqualTypeOf<Promise<number | 'a'>>();
expectTypeOf(race).parameter(0).toMatchTypeOf<Iterable<unknown>>();

// The types match Promise.race exactly.
declare const mixed: [Promise<number>, Promise<string>, boolean];
expectTypeOf(race(mixed)).toEqualTypeOf(Promise.race(mixed));
expectTypeOf(any(mixed)).toEqualTypeOf(Promise.any(mixed));

// @ts-expect-error a number is not iterable
void race(5);
