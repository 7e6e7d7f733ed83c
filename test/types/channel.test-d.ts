// Type-level checks for `Channel` (run by `tsc --noEmit`, not by vitest).

import { expectTypeOf } from 'vitest';
import {
  Channel,
  type ChannelConsumer,
  type ChannelOptions,
  type ReceiveOptions,
  type SendOptions,
} from '../../src/index.js';

// An unbounded channel does not compile: `capacity` is required.
// @ts-expect-error -- missing capacity
new Channel({});
// @ts-expect-error -- missing options
new Channel();
// @ts-expect-error -- not a policy
new Channel({ capacity: 1, overflow: 'block' });
// @ts-expect-error -- unknown option
new Channel({ capacity: 1, size: 4 });

const jobs = new Channel<{ id: number }>({ capacity: 0 });
expectTypeOf(jobs.send({ id: 1 })).toEqualTypeOf<Promise<void>>();
expectTypeOf(jobs.send({ id: 1 }, { signal: AbortSignal.timeout(1) })).toEqualTypeOf<Promise<void>>();
expectTypeOf(jobs.trySend({ id: 1 })).toEqualTypeOf<boolean>();
expectTypeOf(jobs.receive()).toEqualTypeOf<Promise<IteratorResult<{ id: number }, undefined>>>();
expectTypeOf(jobs.receive({ signal: AbortSignal.timeout(1) })).toEqualTypeOf<
  Promise<IteratorResult<{ id: number }, undefined>>
>();
expectTypeOf(jobs.close).parameter(0).toEqualTypeOf<unknown>();
expectTypeOf(jobs[Symbol.asyncIterator]()).toEqualTypeOf<ChannelConsumer<{ id: number }>>();
expectTypeOf(jobs[Symbol.asyncDispose]()).toEqualTypeOf<Promise<void>>();
expectTypeOf<ChannelOptions['capacity']>().toEqualTypeOf<number>();
expectTypeOf<SendOptions['signal']>().toEqualTypeOf<AbortSignal | undefined>();
expectTypeOf<ReceiveOptions['signal']>().toEqualTypeOf<AbortSignal | undefined>();

// The channel is iterable, not an iterator: next() and return() belong to consumers.
// @ts-expect-error -- no next() on the channel
void jobs.next;
// @ts-expect-error -- no return() on the channel
void jobs.return;

const consumer = jobs[Symbol.asyncIterator]();
expectTypeOf(consumer.next()).toEqualTypeOf<Promise<IteratorResult<{ id: number }, undefined>>>();
expectTypeOf(consumer.return()).toEqualTypeOf<Promise<IteratorReturnResult<undefined>>>();
expectTypeOf(consumer[Symbol.asyncIterator]()).toEqualTypeOf<ChannelConsumer<{ id: number }>>();
expectTypeOf(consumer).toMatchTypeOf<AsyncDisposable>();

async function worker(source: Channel<{ id: number }>): Promise<number> {
  let sum = 0;
  for await (const job of source) {
    expectTypeOf(job).toEqualTypeOf<{ id: number }>();
    sum += job.id;
  }
  return sum;
}
void worker;
