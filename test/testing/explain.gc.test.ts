// Retainer paths on failure (issue 9 §1): each leak below is a real mechanism,
// and the failure must name the holder a developer would look for, in the
// message and in `err.retainers`.
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { expectCollectable, explainRetention, LeakError, type RetainerExplanation } from '../../src/testing/index.js';

/** A long-lived holder, like a connection object that owns its abort promise. */
const holder = { forever: new Promise<never>(() => {}) };
const cache = new Map<string, object>();
const emitter = new EventEmitter();
const target = new EventTarget();
const timers: NodeJS.Timeout[] = [];
/** A long-lived key and the WeakMap whose values it keeps alive. */
const session = { id: 'session-7' };
const metadata = new WeakMap<object, object>();

async function failure(factory: () => object, label: string): Promise<LeakError> {
  const error: unknown = await expectCollectable(factory, { rounds: 2, label, explain: true }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(LeakError);
  return error as LeakError;
}

function flat(explanation: RetainerExplanation | undefined): string {
  if (explanation === undefined) return '';
  return [explanation.root, ...explanation.steps.flatMap((s) => [s.holder, s.edge])].join(' | ');
}

function raceLoop(): object {
  const value = { payload: 'raced' };
  for (let i = 0; i < 3; i++) void Promise.race([Promise.resolve(i === 1 ? value : {}), holder.forever]);
  return value;
}

function intervalCapture(): object {
  const value = { payload: 'captured' };
  const timer = setInterval(function refresh() {
    void value;
  }, 1_000_000);
  timer.unref();
  timers.push(timer);
  return value;
}

function moduleMap(): object {
  const value = { payload: 'cached' };
  cache.set('session:1', value);
  return value;
}

function weakMapValue(): object {
  const value = { payload: 'metadata' };
  metadata.set(session, value);
  return value;
}

function emitterListener(): object {
  const value = { payload: 'listened' };
  emitter.on('data', function onData() {
    void value;
  });
  return value;
}

function eventTargetListener(): object {
  const value = { payload: 'listened' };
  target.addEventListener('message', function onMessage() {
    void value;
  });
  return value;
}

function suspendedAsync(): object {
  const value = { payload: 'parked' };
  void (async function waitForever(local: object) {
    await holder.forever;
    return local;
  })(value);
  return value;
}

const cjs = createRequire(import.meta.url)('./fixtures/cjs-cache.cjs') as {
  remember(key: string, value: object): void;
  forget(): void;
};

function globalSlot(): object {
  const value = { payload: 'global' };
  (globalThis as Record<string, unknown>).leakproofTestGlobal = value;
  return value;
}

function cjsCache(): object {
  const value = { payload: 'cjs' };
  cjs.remember('k', value);
  return value;
}

/** An owner whose interval callback is bound to it (the http.createServer() shape, nodejs/node#48604). */
class Poller {
  readonly timer: NodeJS.Timeout;
  constructor() {
    this.timer = setInterval(this.poll.bind(this), 1_000_000);
    this.timer.unref();
    timers.push(this.timer);
  }
  poll(): void {}
}

describe('explanations of retained objects', () => {
  it('names the long-lived promise, its pending reactions and the resolved value for Promise.race in a loop', async () => {
    const error = await failure(raceLoop, 'raced value');
    expect(error.message).toMatch(/module-level variable `holder`/);
    expect(error.message).toMatch(/pending `\.then` reaction/);
    expect(error.message).toMatch(/resolved value/);
    const path = flat(error.retainers[0]);
    expect(path).toMatch(/\.forever/);
    expect(path).toMatch(/pending `\.then` reaction/);
    expect(path).toMatch(/resolved value/);
  });

  it('names the closure, its location and the captured variable for a setInterval callback', async () => {
    const error = await failure(intervalCapture, 'captured value');
    expect(error.message).toMatch(/pending timer/);
    expect(error.message).toMatch(/closure `refresh` \(.*explain\.gc\.test\.ts:\d+:\d+\)/);
    expect(error.message).toMatch(/captured variable `value`/);
    expect(flat(error.retainers[0])).toMatch(/pending timer.*closure `refresh`.*captured variable `value`/);
    for (const timer of timers.splice(0)) clearInterval(timer);
  });

  it('names the pending timer and the bound `this` for an interval bound to its owner', async () => {
    const error = await failure(() => new Poller(), 'poller');
    expect(error.message).toMatch(/poller is held by pending timer \(Timeout\) → callback/);
    expect(flat(error.retainers[0])).toMatch(/pending timer \(Timeout\) \| callback \| bound function \(\.bind\) \| bound `this`/);
    for (const timer of timers.splice(0)) clearInterval(timer);
  });

  it('names the module-level Map `cache` and its module', async () => {
    const error = await failure(moduleMap, 'cached value');
    expect(error.message).toMatch(/module-level variable `cache` of .*explain\.gc\.test\.ts/);
    expect(error.message).toMatch(/Map entry "session:1"/);
    expect(flat(error.retainers[0])).toMatch(/module-level variable `cache`.*Map entry/);
    cache.clear();
  });

  it('names the live key and the WeakMap for a WeakMap value, in words instead of V8\'s', async () => {
    const error = await failure(weakMapValue, 'metadata value');
    expect(error.message).toMatch(/module-level variable `session` of .*explain\.gc\.test\.ts/);
    expect(error.message).toMatch(/its value in a WeakMap \(the key keeps the value alive\)/);
    expect(error.message).not.toMatch(/part of key|pair in WeakMap|table @/);
    expect(flat(error.retainers[0])).toMatch(/module-level variable `session` \| Object \| its value in a WeakMap/);
    metadata.delete(session);
  });

  it('names a global variable', async () => {
    const error = await failure(globalSlot, 'global value');
    expect(error.message).toMatch(/global value is held by global `leakproofTestGlobal`/);
    expect(error.retainers[0]).toMatchObject({ root: 'global object', steps: [{ holder: 'global object', edge: 'global `leakproofTestGlobal`' }] });
    delete (globalThis as Record<string, unknown>).leakproofTestGlobal;
  });

  it('names the module-level variable of a CommonJS module', async () => {
    const error = await failure(cjsCache, 'cjs value');
    expect(error.message).toMatch(/module-level variable `cache` of .*fixtures\/cjs-cache\.cjs/);
    expect(flat(error.retainers[0])).toMatch(/module-level variable `cache`.*Map entry "k"/);
    cjs.forget();
  });

  it("names the event and the emitter for an EventEmitter listener", async () => {
    const error = await failure(emitterListener, 'listened value');
    expect(error.message).toMatch(/event listener for 'data' on EventEmitter/);
    expect(flat(error.retainers[0])).toMatch(/event listener for 'data' on EventEmitter.*closure `onData`/);
    emitter.removeAllListeners();
  });

  it('names the event and the target for an EventTarget listener', async () => {
    const error = await failure(eventTargetListener, 'listened value');
    expect(error.message).toMatch(/event listener for 'message' on EventTarget/);
    expect(flat(error.retainers[0])).toMatch(/event listener for 'message' on EventTarget.*closure `onMessage`/);
  });

  it('names the suspended async function whose frame holds the object', async () => {
    const error = await failure(suspendedAsync, 'parked value');
    expect(error.message).toMatch(/suspended async function `waitForever`/);
    expect(flat(error.retainers[0])).toMatch(/suspended async function `waitForever`/);
  });
});

describe('turning explanations off', () => {
  it('takes no snapshot and says why when explain is false', async () => {
    const error: unknown = await expectCollectable(moduleMap, { rounds: 2, explain: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeakError);
    expect((error as LeakError).retainers).toEqual([]);
    expect((error as LeakError).explanationUnavailable).toMatch(/turned off/);
    expect((error as LeakError).message).not.toMatch(/Why/);
    cache.clear();
  });

  it('says in one line that the heap is above the cap, and fails exactly as before', async () => {
    const error: unknown = await expectCollectable(moduleMap, { rounds: 2, explain: { maxHeapBytes: 1 } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LeakError);
    expect((error as LeakError).alive).toBe(1);
    expect((error as LeakError).retainers).toEqual([]);
    expect((error as LeakError).explanationUnavailable).toMatch(/above the explanation cap/);
    expect((error as LeakError).message.split('\n')).toHaveLength(2);
    cache.clear();
  });
});

describe('explainRetention', () => {
  it('explains an object the caller passes and keeps nothing of it', async () => {
    const ref = new WeakRef(moduleMap());
    const explained = await explainRetention(ref);
    expect(flat(explained)).toMatch(/module-level variable `cache`.*Map entry "session:1"/);
    cache.clear();
    await expectCollectable(() => ref.deref() ?? {}, { rounds: 5 });
  });
});
