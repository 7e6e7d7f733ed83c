// Case study 4: close() leaves work running.
//
// Symptom (cited in issue 5): a websocket library's close path left its
// goroutines running, 153,983 of them at shutdown in one report. The Node
// shape: connections that were closed still have their read loops, ping
// timers and pending writes running, and memory grows with every connection
// ever opened.
// Cause: `close()` only marked the connection closed and ended the socket's
// write side; nothing stopped the read loop, cleared the ping timer or settled
// the writes waiting for an answer, and each of them keeps the connection.
// Fix: the connection owns a `Scope`: the read loop and every write run with
// `scope.run`, the timer and the socket are `scope.defer`red, and `close()`
// is `scope.close(reason)`.
//
// Real parts: a TCP connection over loopback to a `net` peer that streams a
// heartbeat line every few milliseconds (and keeps streaming after our FIN:
// `allowHalfOpen`), answers `req <id> ack` at once and never answers
// `req <id> hold`. The ping timer is ref'ed, as in most code, and counted
// through `process.getActiveResourcesInfo()`.
//
// Refs: leakproof issue 5 (section 3, case 4).

import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { abortableIterator } from '../../src/abortable-iterator.js';
import { ClosedError } from '../../src/errors.js';
import { type CloseResult, Scope } from '../../src/scope.js';
import { expectCollectable, expectRetained, gcUntil, LeakError, track, type Tracker } from '../../src/testing/index.js';

const PING_MS = 5;
const HEARTBEAT_MS = 5;
/** No wait in this file may take longer (a hang guard, not a timing assertion). */
const STEP_LIMIT_MS = 5_000;

// ---------------------------------------------------------------------------
// The peer

let peer: net.Server;
const peerSockets = new Set<net.Socket>();
let port = 0;

beforeEach(async () => {
  peer = net.createServer({ allowHalfOpen: true }, servePeer);
  await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
  port = (peer.address() as AddressInfo).port;
});

afterEach(async () => {
  // Stop what a naive connection left running (it is reached weakly, see below).
  for (const ref of leftovers) ref.deref()?.[Symbol.dispose]();
  leftovers.length = 0;
  for (const socket of peerSockets) socket.destroy();
  await new Promise((resolve) => peer.close(resolve));
});

function servePeer(socket: net.Socket): void {
  peerSockets.add(socket);
  socket.on('error', ignore);
  const heartbeat = setInterval(writeLine, HEARTBEAT_MS, socket, 'tick').unref();
  socket.once('close', () => {
    clearInterval(heartbeat);
    peerSockets.delete(socket);
  });
  let rest = '';
  socket.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString('latin1')).split('\n');
    rest = lines.pop()!;
    for (const line of lines) {
      const [kind, id, mode] = line.split(' ');
      if (kind === 'req' && mode === 'ack') writeLine(socket, `ack ${id}`);
    }
  });
}

function writeLine(socket: net.Socket, line: string): void {
  if (socket.writable) socket.write(`${line}\n`);
}

function ignore(): void {}

async function connect(): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  await withLimit(once(socket, 'connect'), 'connect');
  return socket;
}

// ---------------------------------------------------------------------------
// What both connections share

/** What a connection did, kept outside it so the test can watch without holding it. */
interface Stats {
  /** Chunks the read loop has handled. */
  reads: number;
  /** Ping timer callbacks run. */
  pings: number;
  /** The read loop's `finally` ran. */
  loopExited: boolean;
}

/** A write waiting for the peer's `ack <id>`; detaches from the signal when settled. */
class PendingWrite {
  readonly #pending: Map<number, PendingWrite>;
  readonly #id: number;
  readonly #resolve: () => void;
  readonly #reject: (reason: unknown) => void;
  readonly #signal: AbortSignal | undefined;

  constructor(
    pending: Map<number, PendingWrite>,
    id: number,
    resolve: () => void,
    reject: (reason: unknown) => void,
    signal: AbortSignal | undefined,
  ) {
    this.#pending = pending;
    this.#id = id;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#signal = signal;
    pending.set(id, this);
    signal?.addEventListener('abort', this, { once: true });
  }

  acknowledge(): void {
    this.#detach();
    this.#resolve();
  }

  /** The abort listener: an aborted write gives up with the signal's reason. */
  handleEvent(): void {
    this.#detach();
    this.#reject(this.#signal!.reason);
  }

  #detach(): void {
    this.#pending.delete(this.#id);
    this.#signal?.removeEventListener('abort', this);
  }
}

function request(
  socket: net.Socket,
  pending: Map<number, PendingWrite>,
  id: number,
  mode: 'ack' | 'hold',
  signal?: AbortSignal,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    new PendingWrite(pending, id, resolve, reject, signal);
    socket.write(`req ${id} ${mode}\n`);
  });
}

/** Parses the peer's lines: acknowledges writes; counts every chunk as a read. */
class LineReader {
  #rest = '';
  constructor(readonly pending: Map<number, PendingWrite>) {}

  handle(chunk: Buffer): void {
    const lines = (this.#rest + chunk.toString('latin1')).split('\n');
    this.#rest = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith('ack ')) this.pending.get(Number(line.slice(4)))?.acknowledge();
    }
  }
}

/** WeakRefs to every ping timer, so the test can count the active ones without keeping them. */
const pingTimers: Array<WeakRef<ReturnType<typeof setInterval>>> = [];

function startPing(socket: net.Socket, stats: Stats, isClosed: () => boolean): ReturnType<typeof setInterval> {
  const timer = setInterval(ping, PING_MS, socket, stats, isClosed);
  pingTimers.push(new WeakRef(timer));
  return timer;
}

function ping(socket: net.Socket, stats: Stats, isClosed: () => boolean): void {
  stats.pings++;
  if (!isClosed() && socket.writable) socket.write('ping\n');
}

function activeTimeouts(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
}

/**
 * How many ping timers were still active (ref'ed timers in
 * getActiveResourcesInfo): clears them all and counts how many active timers
 * that removed. Synchronous, so timers of the test runner cannot come or go in
 * between.
 */
function clearPingTimersAndCountActive(): number {
  const before = activeTimeouts();
  for (const ref of pingTimers) {
    const timer = ref.deref();
    if (timer !== undefined) clearInterval(timer);
  }
  pingTimers.length = 0;
  return before - activeTimeouts();
}

// ---------------------------------------------------------------------------
// The naive connection

interface Connection {
  write(mode: 'ack' | 'hold'): Promise<void>;
  close(reason?: unknown): unknown;
}

/** Test teardown of naive connections only: what their close() should have done. */
const leftovers: Array<WeakRef<Disposable>> = [];

class NaiveConnection implements Connection {
  /** Per-connection state a real connection carries (buffers, session data). */
  readonly session = new Array<number>(1 << 15).fill(0);
  readonly #socket: net.Socket;
  readonly #pending = new Map<number, PendingWrite>();
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #stats: Stats;
  #closed = false;
  #nextId = 0;

  constructor(socket: net.Socket, stats: Stats) {
    this.#socket = socket;
    this.#stats = stats;
    this.#timer = startPing(socket, stats, () => this.#closed);
    void this.#readLoop();
    leftovers.push(new WeakRef<Disposable>(this));
  }

  /** Test teardown only (reached through a WeakRef): what close() should have done. */
  [Symbol.dispose](): void {
    clearInterval(this.#timer);
    this.#socket.destroy();
  }

  async #readLoop(): Promise<void> {
    const reader = new LineReader(this.#pending);
    try {
      for await (const chunk of this.#socket) {
        this.#stats.reads++;
        reader.handle(chunk as Buffer);
      }
    } catch {
      // The socket failed: the loop ends either way.
    } finally {
      this.#stats.loopExited = true;
    }
  }

  write(mode: 'ack' | 'hold'): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('closed'));
    return request(this.#socket, this.#pending, this.#nextId++, mode);
  }

  /** The bug: marks the connection closed and half-closes the socket; nothing else. */
  close(): void {
    this.#closed = true;
    this.#socket.end();
  }
}

// ---------------------------------------------------------------------------
// The same connection with a Scope

/** The reason a connection closes with, unless given one. */
class ConnectionClosedError extends Error {
  override readonly name = 'ConnectionClosedError';
  readonly code = 'ERR_CONNECTION_CLOSED';
}

class ScopedConnection implements Connection {
  readonly session = new Array<number>(1 << 15).fill(0);
  readonly #socket: net.Socket;
  readonly #pending = new Map<number, PendingWrite>();
  readonly #scope = new Scope({ closeTimeout: STEP_LIMIT_MS });
  #nextId = 0;

  constructor(socket: net.Socket, stats: Stats) {
    this.#socket = socket;
    startWork(this.#scope, socket, this.#pending, stats);
  }

  write(mode: 'ack' | 'hold'): Promise<void> {
    const id = this.#nextId++;
    return this.#scope.run((signal) => request(this.#socket, this.#pending, id, mode, signal));
  }

  close(reason: unknown = new ConnectionClosedError('The connection was closed')): Promise<CloseResult> {
    return this.#scope.close(reason);
  }
}

/**
 * Starts the connection's work under its scope. Module-level, so that the
 * long-lived callbacks (the timer's, the loop's) cannot capture the connection.
 */
function startWork(scope: Scope, socket: net.Socket, pending: Map<number, PendingWrite>, stats: Stats): void {
  // Cleanups run last-in first-out, after every task has ended.
  scope.defer(socket.destroy.bind(socket));
  const timer = startPing(socket, stats, () => scope.state !== 'open');
  scope.defer(clearInterval.bind(null, timer));
  void scope.run((signal) => readLoop(socket, pending, stats, signal));
}

/** The read loop, as before, over an iterator that the scope's signal ends. */
async function readLoop(
  socket: net.Socket,
  pending: Map<number, PendingWrite>,
  stats: Stats,
  signal: AbortSignal,
): Promise<void> {
  const reader = new LineReader(pending);
  try {
    for await (const chunk of abortableIterator(socket, { signal })) {
      stats.reads++;
      reader.handle(chunk as Buffer);
    }
  } finally {
    stats.loopExited = true;
  }
}

// ---------------------------------------------------------------------------
// Scenario

/** How the writes a test started ended, without holding the connection. */
interface Writes {
  started: number;
  fulfilled: number;
  rejections: unknown[];
}

function observe(writes: Writes, promise: Promise<void>): void {
  writes.started++;
  promise.then(
    () => void writes.fulfilled++,
    (error: unknown) => void writes.rejections.push(error),
  );
}

/**
 * Opens a connection in a frame of its own, proves it works (one acknowledged
 * write), leaves `held` writes waiting, and returns its close function only:
 * the test holds nothing else of it.
 */
async function open(
  Kind: new (socket: net.Socket, stats: Stats) => Connection,
  tracker: Tracker,
  stats: Stats,
  writes: Writes,
  held: number,
): Promise<(reason?: unknown) => unknown> {
  const connection = new Kind(await connect(), stats);
  tracker.add(connection, Kind.name);
  await withLimit(connection.write('ack'), 'an acknowledged write');
  for (let i = 0; i < held; i++) observe(writes, connection.write('hold'));
  await waitUntil(() => stats.reads > 0 && stats.pings > 0, 'the first read and ping');
  return closeOf(connection);
}

function closeOf(connection: Connection): (reason?: unknown) => unknown {
  return (reason) => connection.close(reason);
}

function newStats(): Stats {
  return { reads: 0, pings: 0, loopExited: false };
}

/** Whether `count()` changed within twenty ping/heartbeat periods. */
async function stillCounting(count: () => number): Promise<boolean> {
  const before = count();
  for (let i = 0; i < 20; i++) {
    await sleep(PING_MS);
    if (count() !== before) return true;
  }
  return false;
}

async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + STEP_LIMIT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(1);
  }
}

function withLimit<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), STEP_LIMIT_MS);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

const HELD = 3;

describe('case 4: close() leaves work running', () => {
  describe('leaks', () => {
    it('positive control: after a naive close() the loop reads on, the ping timer ticks on, writes hang and the connection is kept', async () => {
      const stats = newStats();
      const writes: Writes = { started: 0, fulfilled: 0, rejections: [] };
      const connections = track();
      let close: ((reason?: unknown) => unknown) | null = await open(NaiveConnection, connections, stats, writes, HELD);
      close();
      close = null;
      await sleep(PING_MS * 4);

      // The read loop is still running, and so is the ping timer.
      expect(stats.loopExited).toBe(false);
      expect(await stillCounting(() => stats.reads)).toBe(true);
      expect(await stillCounting(() => stats.pings)).toBe(true);
      // No pending write ever settles.
      expect(writes).toEqual({ started: HELD, fulfilled: 0, rejections: [] });
      // And all of it keeps the connection.
      const error = await expectCollectable(connections).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LeakError);
      expect((error as LeakError).alive).toBe(1);
      // One ref'ed timer still active per closed connection.
      expect(clearPingTimersAndCountActive()).toBe(1);
    });

    it('leaves nothing after close() with a Scope: zero timers, the loop exited, every write rejected, the connection collectable', async () => {
      const stats = newStats();
      const writes: Writes = { started: 0, fulfilled: 0, rejections: [] };
      const connections = track();
      let close: ((reason?: unknown) => unknown) | null = await open(ScopedConnection, connections, stats, writes, HELD);
      const reason = new ConnectionClosedError('client went away');
      const closing = close(reason) as Promise<CloseResult>;
      close = null;
      // Every pending write is rejected with the close reason at once...
      await Promise.resolve();
      expect(writes.rejections).toHaveLength(HELD);
      expect(writes.rejections.every((e) => e === reason)).toBe(true);
      // ...and no task outlived the close: it had nothing to give up on.
      expect(await withLimit(closing, 'the close')).toEqual({ pending: 0 });
      expect(writes).toEqual({ started: HELD, fulfilled: 0, rejections: expect.any(Array) });

      expect(stats.loopExited).toBe(true);
      expect(await stillCounting(() => stats.reads)).toBe(false);
      expect(await stillCounting(() => stats.pings)).toBe(false);
      expect(clearPingTimersAndCountActive()).toBe(0);
      await expectCollectable(connections);
      // The peer saw the socket go away.
      await waitUntil(() => peerSockets.size === 0, 'the peer to see the close');
    });
  });

  describe('semantics', () => {
    it('rejects a write on a closed connection with ClosedError, its cause the close reason', async () => {
      const connection = new ScopedConnection(await connect(), newStats());
      await withLimit(connection.write('ack'), 'an acknowledged write');
      const reason = new ConnectionClosedError('done');
      await connection.close(reason);
      const late = await connection.write('ack').catch((e: unknown) => e);
      expect(late).toBeInstanceOf(ClosedError);
      expect((late as ClosedError).cause).toBe(reason);
      // Closing again is harmless.
      expect(await connection.close()).toEqual({ pending: 0 });
    });
  });

  describe('cleanup', () => {
    it('keeps an open connection reading, pinging and its waiting writer alive through GCs (counter-test)', async () => {
      const stats = newStats();
      const connection = new ScopedConnection(await connect(), stats);
      const writers = track();
      const writes: Writes = { started: 0, fulfilled: 0, rejections: [] };
      startWriter(connection, writers, writes);
      expect(await gcUntil(() => false, { rounds: 4, heapSnapshot: false })).toBe(false);
      // The answer may still come: the writer waiting for it stays alive.
      await expectRetained(writers);
      expect(stats.loopExited).toBe(false);
      expect(await stillCounting(() => stats.reads)).toBe(true);
      expect(await stillCounting(() => stats.pings)).toBe(true);
      await withLimit(connection.write('ack'), 'an acknowledged write');
      // Closing releases the writer with the reason.
      await connection.close();
      expect(writes.rejections).toHaveLength(1);
      await expectCollectable(writers);
      expect(clearPingTimersAndCountActive()).toBe(0);
    });
  });
});

/** A large caller object awaiting a write that the peer never acknowledges. */
class Writer {
  readonly draft = new Array<number>(1 << 15).fill(1);
  async send(connection: Connection, writes: Writes): Promise<void> {
    writes.started++;
    try {
      await connection.write('hold');
      writes.fulfilled++;
    } catch (error) {
      writes.rejections.push(error);
    }
  }
}

function startWriter(connection: Connection, tracker: Tracker, writes: Writes): void {
  const writer = new Writer();
  tracker.add(writer, 'writer');
  void writer.send(connection, writes);
}
