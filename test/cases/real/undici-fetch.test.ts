// Real case 5: undici `fetch` with one long-lived AbortSignal.
//
// Report: nodejs/undici#3157 (listeners pile up on a signal reused across
// requests); undici 8.4.0's change cites nodejs/undici#5285. Up to 8.3.0 the
// `Request` constructor adds an `abort` listener to the caller's signal and
// removes it only from a FinalizationRegistry callback, once a GC has
// collected the request's internal AbortController. A signal shared by every
// request (a service's shutdown signal) therefore carries one listener per
// completed request until the next major GC gets round to them.
// 8.4.0 removes the listener when the fetch settles (end of body, error or
// abort).
// leakproof: give each request a signal of its own, `anySignal([shared])`,
// disposed when the request is done: the shared signal carries at most one
// listener (the shared abort hub's) whatever the undici version, and none
// between requests.
//
// undici 8 needs Node >= 22.19 (it fails to load on Node 20), so on Node 20
// only Node's built-in fetch (its bundled undici) is measured; on Node 22/24
// the built-in fetch is measured too (bundled undici 6.x / 7.x).
//
// What "leak" means here, measured: the listeners are *not* kept forever. A
// forced GC removes every one of them on every version measured; the kit's
// `gcUntil` shows it. What is left behind is one listener per request between
// GCs (up to N, and `MaxListenersExceededWarning` past the limit), which the
// tests assert as the peak count seen during a run of N requests. For the
// same reason there is no retainer path to show: `explainRetention` on a
// left-over listener (held only through a WeakRef) answered `undefined`, no
// longer reachable by the time its snapshot was taken (Node 20.20.2).
//
// Real parts: the published undici 8.3.0 and 8.4.0 (npm aliases), Node's
// built-in fetch, a node:http server on 127.0.0.1 (ephemeral port).
//
// Refs: https://github.com/nodejs/undici/issues/3157,
// https://github.com/nodejs/undici/issues/5285.

import http from 'node:http';
import { createRequire } from 'node:module';
import { type AddressInfo } from 'node:net';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anySignal } from '../../../src/any-signal.js';
import {
  expectCollectable,
  expectRetained,
  gcUntil,
  listenerCount,
  track,
  type Tracker,
} from '../../../src/testing/index.js';
import { report } from './report.js';

type Fetch = typeof globalThis.fetch;
type Variant = 'undici@8.3.0' | 'undici@8.4.0' | 'built-in fetch';

const N = 200;
/** undici 8's engines field. */
const UNDICI_8_LOADS = nodeAtLeast(22, 19);

/** The variants this Node can run. */
const VARIANTS: readonly Variant[] = UNDICI_8_LOADS
  ? ['undici@8.3.0', 'undici@8.4.0', 'built-in fetch']
  : ['built-in fetch'];
/** Those that leave a listener per request until a GC. */
const LEAKY: readonly Variant[] = VARIANTS.filter((variant) => variant !== 'undici@8.4.0');

function nodeAtLeast(major: number, minor: number): boolean {
  const [maj = 0, min = 0] = process.versions.node.split('.').map(Number);
  return maj > major || (maj === major && min >= minor);
}

function fetchOf(variant: Variant): Fetch {
  if (variant === 'built-in fetch') return globalThis.fetch;
  // Loaded lazily: on Node < 22.19 undici 8 throws at require time.
  const require = createRequire(import.meta.url);
  return (require(variant === 'undici@8.3.0' ? 'undici-8.3.0' : 'undici-8.4.0') as { fetch: Fetch }).fetch;
}

function versionOf(variant: Variant): string {
  return variant === 'built-in fetch' ? `built-in fetch (undici ${process.versions.undici})` : variant;
}

// ---------------------------------------------------------------------------
// The loopback server: `/` answers at once, `/hang` answers only when the test ends.

let server: http.Server;
let base: string;
const hanging: http.ServerResponse[] = [];

beforeAll(async () => {
  server = http.createServer((request, response) => {
    if (request.url === '/hang') hanging.push(response);
    else response.end('ok');
  });
  // No idle timeout on the server: a kept-alive socket closed by the server
  // while the client reuses it would fail a request with ECONNRESET.
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const response of hanging.splice(0)) response.end();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

// ---------------------------------------------------------------------------
// The two ways to pass the shared signal

/** What every request does: fetch, read the body. */
async function plainRequest(fetch: Fetch, url: string, shared: AbortSignal): Promise<string> {
  const response = await fetch(url, { signal: shared });
  return response.text();
}

/** The leakproof way: a signal of the request's own, detached from the shared one when done. */
async function ownSignalRequest(fetch: Fetch, url: string, shared: AbortSignal, composites?: Tracker): Promise<string> {
  const signal = anySignal([shared]);
  composites?.add(signal, 'request signal');
  try {
    const response = await fetch(url, { signal });
    return await response.text();
  } finally {
    signal[Symbol.dispose]();
  }
}

/** Runs `n` requests one after the other; returns the most listeners seen on `shared` after a request. */
async function runRequests(
  n: number,
  request: (url: string) => Promise<string>,
  shared: AbortSignal,
): Promise<{ peak: number; end: number }> {
  let peak = 0;
  for (let i = 0; i < n; i++) {
    expect(await request(`${base}/`)).toBe('ok');
    peak = Math.max(peak, listenerCount(shared, 'abort'));
  }
  // Let a fetch's end-of-body steps run.
  await nextMacrotask();
  return { peak, end: listenerCount(shared, 'abort') };
}

describe('real case 5: fetch with one long-lived AbortSignal (undici#3157)', () => {
  describe('leaks', () => {
    for (const variant of LEAKY) {
      it(`positive control: ${variant} leaves one abort listener per completed request until a GC collects the request`, async () => {
        const fetch = fetchOf(variant);
        const shutdown = new AbortController();
        const { peak, end } = await runRequests(N, (url) => plainRequest(fetch, url, shutdown.signal), shutdown.signal);
        // Between GCs the listeners pile up (how many a natural GC removed on
        // the way depends on the heap; the peak is what the signal carried).
        expect(peak).toBeGreaterThan(1);
        expect(peak).toBeLessThanOrEqual(N);
        // With forced GCs, the FinalizationRegistry removes all of them:
        // not a permanent leak, on the versions measured.
        let rounds = 0;
        const cleared = await gcUntil(() => (rounds++, listenerCount(shutdown.signal, 'abort') === 0));
        expect(cleared).toBe(true);
        report('5 fetch', { version: versionOf(variant), requests: N, peakListeners: peak, listenersAtEnd: end, gcRoundsToZero: rounds });
      });
    }
  });

  describe('fixes', () => {
    if (UNDICI_8_LOADS) {
      it('undici 8.4.0 removes each listener when its fetch settles, without a GC', async () => {
        const fetch = fetchOf('undici@8.4.0');
        const shutdown = new AbortController();
        const { peak, end } = await runRequests(N, (url) => plainRequest(fetch, url, shutdown.signal), shutdown.signal);
        expect(peak).toBeLessThanOrEqual(1);
        expect(end).toBe(0);
        report('5 fetch', { version: versionOf('undici@8.4.0'), requests: N, peakListeners: peak, listenersAtEnd: end });
      });
    }

    for (const variant of VARIANTS) {
      it(`a signal of each request's own (anySignal) leaves nothing on the shared signal (${variant})`, async () => {
        const fetch = fetchOf(variant);
        const shutdown = new AbortController();
        const composites = track();
        const { peak, end } = await runRequests(
          N,
          (url) => ownSignalRequest(fetch, url, shutdown.signal, composites),
          shutdown.signal,
        );
        // During a request: the shared hub's one listener; between requests: none.
        expect(peak).toBe(0);
        expect(end).toBe(0);
        // The per-request signals go too (on <= 8.3.0 once a GC lets the
        // FinalizationRegistry drop the listener it keeps on each).
        await expectCollectable(composites);
        report('5 fetch', { version: `${versionOf(variant)} + anySignal`, requests: N, peakListeners: peak, listenersAtEnd: end });
      });
    }
  });

  describe('semantics', () => {
    for (const variant of VARIANTS) {
      it(`keeps an in-flight request's own signal through GC rounds, and aborting the shared signal aborts the request (${variant})`, async () => {
        const fetch = fetchOf(variant);
        const shutdown = new AbortController();
        const composites = track();
        const pending = ownSignalRequest(fetch, `${base}/hang`, shutdown.signal, composites);
        while (hanging.length === 0) await nextMacrotask();
        expect(listenerCount(shutdown.signal, 'abort')).toBe(1);
        // Counter-test: GC rounds while the request is in flight must neither
        // collect its own signal nor cut the shared signal's link to it; the
        // abort below must still reach the request.
        await expectRetained(composites);
        const reason = new Error('shutting down');
        shutdown.abort(reason);
        await expect(pending).rejects.toBe(reason);
        expect(listenerCount(shutdown.signal, 'abort')).toBe(0);
        hanging.splice(0).forEach((response) => response.end());
      });
    }
  });
});
