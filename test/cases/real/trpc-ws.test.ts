// Real case 1: tRPC v11 WebSocket subscriptions, @trpc/server 11.0.0-rc.599.
//
// Report: trpc/trpc#6156 ("memory leak in trpc 11 subscriptions"), fixed by
// PR #6161, first released in 11.0.0-rc.601. In rc.599,
// `dist/adapters/ws.mjs` drives each subscription with
//   const abortPromise = new Promise((resolve) => { signal.onabort = () => resolve('abort') });
//   while (true) { const next = await Promise.race([iterator.next().catch(...), abortPromise]); ... }
// `abortPromise` stays pending while the subscription is open, and each
// `Promise.race` leaves a reaction on it that reaches the race's result
// promise and so `next`, the IteratorResult with the yielded value
// (nodejs/node#17469). Every payload the subscription ever sent stays
// reachable until the client unsubscribes or disconnects.
// rc.601 races through a vendored Unpromise (subscribe-once proxies).
// leakproof: the same rc.599 file with its one `Promise.race` replaced by
// leakproof's `race`. The patched copy is made here at run time, in a
// temporary directory, importing the rest of rc.599's dist by absolute URL; no
// copy of tRPC is committed.
//
// Real parts: `initTRPC` and `applyWSSHandler` of the published packages
// (`trpc-server-rc599` = @trpc/server@11.0.0-rc.599, and @trpc/server
// 11.0.0-rc.601), a `ws` WebSocketServer on a node:http server on 127.0.0.1
// (ephemeral port), and a real @trpc/client `wsLink` client over loopback.
// The client is @trpc/client 11.0.0-rc.601 against both servers: its rc.599
// cannot be installed next to rc.601 (exact peer dependency on its server).
// The subscription yields objects each carrying a 100 KB string (a string
// cannot be tracked by a WeakRef; its holder can); the connection stays open
// while the kit measures.
//
// Refs: https://github.com/trpc/trpc/issues/6156,
// https://github.com/trpc/trpc/pull/6161,
// https://github.com/nodejs/node/issues/17469.

import { EventEmitter, on } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createTRPCUntypedClient, createWSClient, wsLink } from '@trpc/client';
import { initTRPC as initTRPC601 } from '@trpc/server';
import { applyWSSHandler as applyWSSHandler601 } from '@trpc/server/adapters/ws';
import { initTRPC as initTRPC599 } from 'trpc-server-rc599';
import { applyWSSHandler as applyWSSHandler599 } from 'trpc-server-rc599/adapters/ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { expectCollectable, expectRetained, LeakError, track, type Tracker } from '../../../src/testing/index.js';
import { pathText } from './explanation.js';
import { report, settledBytes } from './report.js';

type Variant = 'rc.599' | 'rc.601' | 'rc.599 + race';
/** The two adapters' `applyWSSHandler`, called here with a router and no context. */
type ApplyWSSHandler = (options: { wss: WebSocketServer; router: unknown }) => unknown;

const N = 20;
/** Characters in one payload's text: ~100 KB. */
const TEXT_LENGTH = 100_000;
/** No step may wait longer than this (a hang guard, not a timing assertion). */
const STEP_LIMIT_MS = 10_000;

/** One message of the subscription. */
interface Payload {
  seq: number;
  text: string;
}

// ---------------------------------------------------------------------------
// rc.599 with leakproof's race: a patched copy of that one dist file.

const RACE_URL = pathToFileURL(fileURLToPath(new URL('../../../src/race.ts', import.meta.url))).href;
let patchDir: string | undefined;
let applyWSSHandlerPatched: ApplyWSSHandler | undefined;

/**
 * Copies rc.599's `dist/adapters/ws.mjs` to a temporary directory with its one
 * `Promise.race(` replaced by leakproof's `race(`, and imports it. Its
 * relative imports point at the installed rc.599 dist, so everything but that
 * call is the published code.
 */
async function loadPatchedAdapter(): Promise<ApplyWSSHandler> {
  const require = createRequire(import.meta.url);
  const original = require.resolve('trpc-server-rc599/adapters/ws').replace(/\.js$/, '.mjs');
  const distUrl = pathToFileURL(dirname(original)).href;
  const source = await readFile(original, 'utf8');
  expect(source.match(/Promise\.race\(/g)).toHaveLength(1);
  const patched =
    `import { race as __leakproofRace } from ${JSON.stringify(RACE_URL)};\n` +
    source
      .replace(/from '\.\.\//g, `from '${distUrl}/../`)
      .replace(/import '\.\.\//g, `import '${distUrl}/../`)
      .replace('Promise.race(', '__leakproofRace(');
  expect(patched).not.toContain('Promise.race(');
  patchDir = await mkdtemp(join(tmpdir(), 'leakproof-trpc-'));
  const file = join(patchDir, 'ws.mjs');
  await writeFile(file, patched);
  const module = (await import(/* @vite-ignore */ pathToFileURL(file).href)) as { applyWSSHandler: ApplyWSSHandler };
  return module.applyWSSHandler;
}

// ---------------------------------------------------------------------------
// Server and client

/** A running server with one connected client. */
interface Harness {
  readonly emitter: EventEmitter;
  /** Messages the client received. */
  received(): number;
  /** The `seq` of each message the client received, in order. */
  readonly sequence: number[];
  waitForReceived(n: number): Promise<void>;
  unsubscribe(): void;
  stop(): Promise<void>;
}

/** The subscription: every payload published on the emitter, until the subscription's signal aborts. */
async function* feed(emitter: EventEmitter, signal: AbortSignal | undefined): AsyncGenerator<Payload> {
  for await (const [payload] of on(emitter, 'payload', signal ? { signal } : {})) yield payload as Payload;
}

function makeRouter(variant: Variant, emitter: EventEmitter, generators: Tracker | undefined) {
  const subscribe = ({ signal }: { signal: AbortSignal | undefined }) => {
    const generator = feed(emitter, signal);
    generators?.add(generator, 'subscription generator');
    return generator;
  };
  if (variant === 'rc.601') {
    const t = initTRPC601.create();
    return t.router({ feed: t.procedure.subscription(subscribe) });
  }
  const t = initTRPC599.create();
  return t.router({ feed: t.procedure.subscription(subscribe) });
}

async function start(variant: Variant, generators?: Tracker): Promise<Harness> {
  const emitter = new EventEmitter();
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  const apply =
    variant === 'rc.601'
      ? (applyWSSHandler601 as unknown as ApplyWSSHandler)
      : variant === 'rc.599'
        ? (applyWSSHandler599 as unknown as ApplyWSSHandler)
        : applyWSSHandlerPatched!;
  apply({ wss, router: makeRouter(variant, emitter, generators) });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const wsClient = createWSClient({
    url: `ws://127.0.0.1:${port}`,
    // Node 20 has no global WebSocket; `ws` is the documented ponyfill.
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
  });
  const client = createTRPCUntypedClient({ links: [wsLink({ client: wsClient })] });
  let count = 0;
  const sequence: number[] = [];
  const subscription = client.subscription('feed', undefined, {
    onData: (data) => {
      count++;
      sequence.push((data as Payload).seq);
    },
  });
  // The server's generator has subscribed to the emitter: publishing may start.
  await until(() => emitter.listenerCount('payload') === 1, 'the subscription to start');
  return {
    emitter,
    sequence,
    received: () => count,
    waitForReceived: (n) => until(() => count >= n, `message ${n}`),
    unsubscribe: () => subscription.unsubscribe(),
    async stop() {
      subscription.unsubscribe();
      wsClient.close();
      for (const socket of wss.clients) socket.terminate();
      await new Promise((resolve) => wss.close(resolve));
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + STEP_LIMIT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await nextMacrotask();
  }
}

/** Creates one payload in a frame of its own, tracks it and publishes it. */
function publish(emitter: EventEmitter, tracker: Tracker, seq: number): void {
  // A string of its own per payload (its sequence number, padded), so no two
  // payloads share storage and each one's retention counts.
  const payload: Payload = { seq, text: String(seq).padEnd(TEXT_LENGTH, '.') };
  tracker.add(payload, `payload ${seq}`);
  emitter.emit('payload', payload);
}

/** Streams `n` payloads, each after the client received the previous one. */
async function stream(harness: Harness, tracker: Tracker, n: number, first = 0): Promise<void> {
  for (let seq = first; seq < first + n; seq++) {
    publish(harness.emitter, tracker, seq);
    await harness.waitForReceived(seq + 1);
  }
  // Let the server loop park on the next item.
  for (let i = 0; i < 5; i++) await nextMacrotask();
}

beforeAll(async () => {
  applyWSSHandlerPatched = await loadPatchedAdapter();
});

afterAll(async () => {
  if (patchDir !== undefined) await rm(patchDir, { recursive: true, force: true });
});

describe('real case 1: tRPC v11 WebSocket subscription (trpc/trpc#6156)', () => {
  describe('leaks', () => {
    it('positive control: rc.599 keeps every payload of an open subscription', async () => {
      const harness = await start('rc.599');
      const payloads = track();
      try {
        const before = await settledBytes();
        await stream(harness, payloads, N);
        expect(harness.received()).toBe(N);
        const grown = (await settledBytes()) - before;
        const error = await expectCollectable(payloads, { explain: true }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(LeakError);
        // Every payload, not stragglers: the abort promise holds every race.
        expect((error as LeakError).alive).toBe(N);
        expect((error as LeakError).labels).toContain('payload 0');
        // The explanation names the cause: rc.599's per-subscription
        // `abortPromise`, its pending reactions (one per race) and the race's
        // resolved value, the IteratorResult holding the payload.
        const { message, retainers } = error as LeakError;
        expect(retainers.map((r) => r.label)).toEqual(['payload 0', 'payload 1', 'payload 2']);
        for (const retainer of retainers) {
          const path = pathText(retainer);
          expect(path).toMatch(/trpc-server-rc599\/dist\/adapters\/ws\.mjs/);
          expect(path).toContain('`abortPromise`');
          expect(path).toContain('pending `.then` reaction');
          expect(path).toContain('resolved value');
        }
        expect(message).toContain('`abortPromise`');
        expect(message).toContain('pending `.then` reaction');
        // At least the texts stay: N x 100 KB of one-byte characters.
        expect(grown).toBeGreaterThan(N * TEXT_LENGTH * 0.9);
        report('1 tRPC', { version: '11.0.0-rc.599', messages: N, alive: N, retainedKiB: Math.round(grown / 1024) });
        // Unsubscribing resolves the abort promise, which frees the races.
        harness.unsubscribe();
        await until(() => harness.emitter.listenerCount('payload') === 0, 'the subscription to end');
        await expectCollectable(payloads);
      } finally {
        await harness.stop();
      }
    });

    for (const variant of ['rc.601', 'rc.599 + race'] as const) {
      it(`releases every payload of an open subscription (${variant})`, async () => {
        const harness = await start(variant);
        const payloads = track();
        try {
          const before = await settledBytes();
          await stream(harness, payloads, N);
          expect(harness.received()).toBe(N);
          const grown = (await settledBytes()) - before;
          // The loop is still running: the latest payload may be in its frame
          // while it waits for the next (measured: payload ${N - 1} only, on
          // rc.601 and the patched rc.599 alike).
          await expectCollectable(payloads, { atLeast: N - 1 });
          const stragglers = payloads.aliveLabels();
          expect(stragglers.filter((label) => label !== `payload ${N - 1}`)).toEqual([]);
          report('1 tRPC', {
            version: variant === 'rc.601' ? '11.0.0-rc.601' : '11.0.0-rc.599 + leakproof race',
            messages: N,
            alive: stragglers.length,
            retainedKiB: Math.round(grown / 1024),
          });
        } finally {
          await harness.stop();
        }
      });
    }
  });

  describe('semantics', () => {
    it('the patched rc.599 delivers every message in order and ends on unsubscribe', async () => {
      const harness = await start('rc.599 + race');
      try {
        const payloads = track();
        await stream(harness, payloads, 3);
        expect(harness.sequence).toEqual([0, 1, 2]);
        harness.unsubscribe();
        await until(() => harness.emitter.listenerCount('payload') === 0, 'the subscription to end');
      } finally {
        await harness.stop();
      }
    });
  });

  describe('cleanup', () => {
    it('keeps an open subscription working through the GC rounds, and releases it on unsubscribe (counter-test, rc.599 + race)', async () => {
      const generators = track();
      const harness = await start('rc.599 + race', generators);
      try {
        const payloads = track();
        await stream(harness, payloads, 2);
        // The subscription is open: its generator must survive the rounds...
        await expectRetained(generators);
        // ...and still deliver.
        await stream(harness, payloads, 1, 2);
        expect(harness.received()).toBe(3);
        harness.unsubscribe();
        await until(() => harness.emitter.listenerCount('payload') === 0, 'the subscription to end');
        await expectCollectable(generators);
        await expectCollectable(payloads);
      } finally {
        await harness.stop();
      }
    });
  });
});
