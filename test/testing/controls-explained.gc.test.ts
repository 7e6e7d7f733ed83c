// The positive controls of this repository's GC tests, re-created: each
// control's failure must name the mechanism its test is about (issue 9 §1).
// The originals live in test/*.gc.test.ts; these use the same libraries and
// the same leaks, and assert on the explanation instead of only on LeakError.
import { EventEmitter, on as nodeOn } from 'node:events';
// lru-cache's default build is minified (the class is `d`, its value slots
// `#t`); the raw build keeps the names a developer would look up.
import { LRUCache } from 'lru-cache/raw';
import QuickLRU from 'quick-lru';
import { describe, expect, it } from 'vitest';
import { race } from '../../src/race.js';
import { expectCollectable, LeakError, type Tracker, track } from '../../src/testing/index.js';

/** A long-lived holder, like a connection object that owns its abort promise. */
const connection = { closed: new Promise<never>(() => {}) };

function payload(tracker: Tracker, label: string): object {
  const value = { label, data: new Array<number>(64).fill(1) };
  tracker.add(value, label);
  return value;
}

async function leak(tracker: Tracker): Promise<LeakError> {
  const error: unknown = await expectCollectable(tracker, { rounds: 3, explain: true }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(LeakError);
  return error as LeakError;
}

function path(error: LeakError): string {
  return error.retainers.map((r) => r.steps.map((s) => `${s.holder} ${s.edge}`).join(' | ')).join('\n');
}

/** race.gc.test.ts's control: a reaction on the long-lived contender that reaches the race's result. */
function leakyRace(values: Iterable<unknown>): Promise<unknown> {
  const result = race(values);
  void connection.closed.then(() => result);
  return result;
}

function raceLoop(tracker: Tracker): void {
  for (let i = 0; i < 5; i++) void leakyRace([Promise.resolve(payload(tracker, `payload ${i}`)), connection.closed]);
}

function fillStale(cache: LRUCache<number, object>, tracker: Tracker): void {
  for (let i = 0; i < 20; i++) cache.set(i, payload(tracker, `stale ${i}`));
}

function fillQuick(cache: QuickLRU<number, object>, tracker: Tracker): void {
  for (let i = 0; i < 25; i++) cache.set(i, payload(tracker, `evicted ${i}`));
}

function emitAll(emitter: EventEmitter, tracker: Tracker): void {
  for (let i = 0; i < 20; i++) emitter.emit('n', payload(tracker, `event ${i}`));
}

describe('positive controls explain their mechanism', () => {
  it("names the long-lived promise's pending reactions for a race that keeps its result (race)", async () => {
    const tracker = track();
    raceLoop(tracker);
    const error = await leak(tracker);
    expect(error.retainers.length).toBe(3);
    expect(error.message).toMatch(/module-level variable `connection`/);
    expect(error.message).toMatch(/\.closed/);
    expect(error.message).toMatch(/pending `\.then` reaction/);
    expect(path(error)).toMatch(/\.closed.*pending `\.then` reaction.*resolved value/);
  });

  it("names lru-cache's preallocated value slots for stale entries (lru)", async () => {
    let now = 1000; // lru-cache treats a start time of 0 as "no ttl"
    const cache = new LRUCache<number, object>({ max: 200, ttl: 1000, ttlResolution: 0, perf: { now: () => now } });
    const tracker = track();
    fillStale(cache, tracker);
    now = 5000;
    const error = await leak(tracker);
    expect(error.message).toMatch(/LRUCache → \.#valList/);
    expect(path(error)).toMatch(/LRUCache \.#valList \| Array \[\d+\]/);
    expect(cache.size).toBe(20);
  });

  it("names quick-lru's old generation for evicted entries (lru)", async () => {
    const cache = new QuickLRU<number, object>({ maxSize: 10 });
    const tracker = track();
    fillQuick(cache, tracker);
    const error = await leak(tracker);
    expect(error.message).toMatch(/QuickLRU → \.#oldCache/);
    expect(path(error)).toMatch(/QuickLRU \.#oldCache.*Map entry/);
    expect(cache.size).toBeGreaterThan(0);
  });

  it("names events.on's buffer of unconsumed events after return() (on)", async () => {
    const emitter = new EventEmitter();
    const iterator = nodeOn(emitter, 'n');
    const tracker = track();
    emitAll(emitter, tracker);
    await iterator.return!();
    const error = await leak(tracker);
    expect(error.message).toMatch(/captured variable `unconsumedEvents`/);
    expect(path(error)).toMatch(/closure .*node:events.*captured variable `unconsumedEvents`/);
    expect((await iterator.next()).done).toBe(false);
  });
});
