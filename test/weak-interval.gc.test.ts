// GC-driven tests of `weakInterval` / `weakTimeout` (issue 5, section 2): an
// object whose only reference is its own timer is collected and the timer is
// cleared. Positive controls: the `http.createServer()`-without-`listen()`
// shape (an unref'ed `setInterval` bound to the object) and a weakInterval
// whose callback closes over its target (the documented misuse). Counter-tests:
// a live target keeps ticking through GCs.
//
// Unref'ed timers are invisible to process.getActiveResourcesInfo(), so they
// are counted through ticks and the handles' `active` flag; the `ref: true`
// variant is counted through getActiveResourcesInfo() as well.

import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { expectCollectable, expectFlatHeap, gcUntil, LeakError, track, type Tracker } from '../src/testing/index.js';
import { type WeakTimer, weakInterval, weakTimeout } from '../src/weak-interval.js';

let ticks = 0;
let fired = 0;
const leakyTimers: Array<ReturnType<typeof setInterval>> = [];
const leakyHandles: WeakTimer[] = [];

afterAll(() => {
  for (const timer of leakyTimers) clearInterval(timer);
  for (const handle of leakyHandles) handle[Symbol.dispose]();
});

function activeTimeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

type Timer = ReturnType<typeof setTimeout>;

/**
 * Runs `fn` and returns the timers it created (through the globals, which
 * weakInterval calls at call time). Holding the timer objects is harmless: a
 * weakInterval timer reaches its target only through a WeakRef.
 */
function captureTimers(fn: () => void): Timer[] {
  const timers: Timer[] = [];
  const { setInterval: originalInterval, setTimeout: originalTimeout } = globalThis;
  globalThis.setInterval = ((...args: Parameters<typeof setInterval>) => {
    const timer = originalInterval(...args);
    timers.push(timer);
    return timer;
  }) as typeof setInterval;
  globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
    const timer = originalTimeout(...args);
    timers.push(timer);
    return timer;
  }) as typeof setTimeout;
  try {
    fn();
  } finally {
    globalThis.setInterval = originalInterval;
    globalThis.setTimeout = originalTimeout;
  }
  return timers;
}

/**
 * How many of these (ref'ed) timers were still active: clears them all and
 * counts how many active timers that removed. Synchronous, so timers of the
 * test runner cannot come or go in between.
 */
function clearAndCountActive(timers: Timer[]): number {
  const before = activeTimeouts();
  for (const timer of timers) clearTimeout(timer);
  return before - activeTimeouts();
}

/** Created but never started, like `http.createServer()` without `listen()`. */
class Server {
  readonly connections = new Array(256).fill(0);
  readonly timer: WeakTimer;

  constructor(ms: number, unref = true) {
    this.timer = weakInterval(this, (server) => server.checkConnections(), ms, { ref: !unref });
  }

  checkConnections(): void {
    ticks++;
  }
}

/** The Node 18/20 shape: an unref'ed interval bound to the server. */
class LeakyServer {
  readonly connections = new Array(256).fill(0);

  constructor(ms: number, unref = true) {
    const timer = setInterval(this.checkConnections.bind(this), ms);
    if (unref) timer.unref();
    leakyTimers.push(timer);
  }

  checkConnections(): void {
    ticks++;
  }
}

/** The documented misuse: the callback closes over the target. */
class MisusedServer {
  readonly connections = new Array(256).fill(0);

  constructor(ms: number) {
    leakyHandles.push(weakInterval(this, () => this.checkConnections(), ms));
  }

  checkConnections(): void {
    ticks++;
  }
}

class Session {
  readonly data = new Array(256).fill(0);
  readonly timer: WeakTimer;

  constructor(ms: number, unref = true) {
    this.timer = weakTimeout(this, (session) => session.expire(), ms, { ref: !unref });
  }

  expire(): void {
    fired++;
  }
}

// Frames of their own: nothing of the test body keeps the objects.
function createServers(
  tracker: Tracker,
  handles: WeakTimer[],
  count: number,
  ms: number,
  unref = true,
  keep?: Server[],
): void {
  for (let i = 0; i < count; i++) {
    const server = new Server(ms, unref);
    handles.push(server.timer);
    tracker.add(server, `server ${i}`);
    keep?.push(server);
  }
}

function createLeaky(tracker: Tracker, count: number, ms: number, unref = true): void {
  for (let i = 0; i < count; i++) tracker.add(new LeakyServer(ms, unref), `leaky server ${i}`);
}

function createMisused(tracker: Tracker, count: number, ms: number): void {
  for (let i = 0; i < count; i++) tracker.add(new MisusedServer(ms), `misused server ${i}`);
}

function createSessions(tracker: Tracker, handles: WeakTimer[], count: number, ms: number, unref = true): void {
  for (let i = 0; i < count; i++) {
    const session = new Session(ms, unref);
    handles.push(session.timer);
    tracker.add(session, `session ${i}`);
  }
}

async function ticksStopped(): Promise<boolean> {
  const before = ticks;
  await sleep(30);
  return ticks === before;
}

describe('weakInterval', () => {
  describe('leaks', () => {
    it('servers owning a weakInterval are collected and their timers cleared', async () => {
      const tracker = track();
      const handles: WeakTimer[] = [];
      ticks = 0;
      // Held until they have been seen ticking: unheld, a collection in the
      // wait can end them before their first tick (CI, Node 20, under load:
      // 0 ticks in 20 ms).
      const keep: Server[] = [];
      createServers(tracker, handles, 200, 5, true, keep);
      for (let i = 0; i < 100 && ticks === 0; i++) await sleep(10);
      expect(ticks).toBeGreaterThan(0);
      keep.length = 0;
      await expectCollectable(tracker);
      expect(await gcUntil(() => handles.every((h) => !h.active))).toBe(true);
      expect(await ticksStopped()).toBe(true);
    });

    it('positive control: an unref’ed setInterval bound to the server keeps every server and keeps ticking', async () => {
      const tracker = track();
      ticks = 0;
      createLeaky(tracker, 200, 5);
      await expect(expectCollectable(tracker)).rejects.toBeInstanceOf(LeakError);
      expect(await ticksStopped()).toBe(false);
      for (const timer of leakyTimers.splice(0)) clearInterval(timer);
    });

    it('positive control: a callback that closes over its target keeps it (the documented rule)', async () => {
      const tracker = track();
      createMisused(tracker, 200, 5);
      await expect(expectCollectable(tracker)).rejects.toBeInstanceOf(LeakError);
      expect(leakyHandles.every((h) => h.active)).toBe(true);
      for (const handle of leakyHandles.splice(0)) handle[Symbol.dispose]();
    });

    it('with ref: true and a one-hour period, collection clears the timers (FinalizationRegistry)', async () => {
      const before = activeTimeouts();
      const tracker = track();
      const handles: WeakTimer[] = [];
      const timers = captureTimers(() => createServers(tracker, handles, 100, 3_600_000, false));
      expect(timers).toHaveLength(100);
      expect(activeTimeouts()).toBe(before + 100);
      await expectCollectable(tracker);
      // No tick can have noticed within the hour: only the registry clears them.
      expect(await gcUntil(() => handles.every((h) => !h.active))).toBe(true);
      expect(clearAndCountActive(timers)).toBe(0);
    });

    it('positive control: ref’ed setIntervals bound to their servers stay active, with their servers', async () => {
      const tracker = track();
      const timers = captureTimers(() => createLeaky(tracker, 100, 3_600_000, false));
      leakyTimers.length = 0;
      await expect(expectCollectable(tracker)).rejects.toBeInstanceOf(LeakError);
      expect(clearAndCountActive(timers)).toBe(100);
    });

    it('100,000 dropped servers with a never-disposed one-hour weakInterval: flat heap', async () => {
      // Measured ~1–3.5 B/object on Node 20–24 (one-time table growth only);
      // the bound setInterval of the control keeps ~390–460 B/object. 16 B is
      // far from both.
      const result = await expectFlatHeap(() => void new Server(3_600_000), {
        iterations: 100_000,
        maxBytesPerIteration: 16,
      });
      expect(result.bytesPerIteration).toBeLessThan(16);
    });

    it('positive control: the bound setInterval grows the heap per server', async () => {
      const error = await expectFlatHeap(() => void new LeakyServer(3_600_000), {
        iterations: 100_000,
        maxBytesPerIteration: 16,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LeakError);
      for (const timer of leakyTimers.splice(0)) clearInterval(timer);
    });

    it('counter-test: a live target keeps ticking through GCs', async () => {
      const live = { ticks: 0 };
      const timer = weakInterval(live, (t) => t.ticks++, 5);
      expect(await gcUntil(() => false)).toBe(false);
      const before = live.ticks;
      await sleep(30);
      expect(live.ticks).toBeGreaterThan(before);
      expect(timer.active).toBe(true);
      timer[Symbol.dispose]();
    });
  });
});

describe('weakTimeout', () => {
  describe('leaks', () => {
    it('a target collected before the timeout is released, its timer cleared and the callback never called', async () => {
      const tracker = track();
      const handles: WeakTimer[] = [];
      fired = 0;
      const timers = captureTimers(() => createSessions(tracker, handles, 100, 3_600_000, false));
      expect(timers).toHaveLength(100);
      await expectCollectable(tracker);
      expect(await gcUntil(() => handles.every((h) => !h.active))).toBe(true);
      expect(clearAndCountActive(timers)).toBe(0);
      expect(fired).toBe(0);
    });

    it('counter-test: a live target survives GCs and its callback fires', async () => {
      const live = { fired: 0 };
      const timer = weakTimeout(live, (t) => t.fired++, 50);
      expect(await gcUntil(() => false, { heapSnapshot: false })).toBe(false);
      for (let i = 0; i < 50 && live.fired === 0; i++) await sleep(10);
      expect(live.fired).toBe(1);
      expect(timer.active).toBe(false);
    });
  });
});
