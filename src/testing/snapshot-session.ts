// Taking a heap snapshot of this process through `node:inspector`, and
// learning the snapshot ids of live objects.
//
// Leak it prevents: the inspector keeps every object it hands out (a remote
// object id) in an object group until the group is released, and heap object
// tracking keeps a timer and an id map; an explanation left half-done would
// leave both behind.
//
// Invariant: every session is disconnected, its object group released and
// heap object tracking stopped in one `finally` (`close()`), whatever throws.
// The object whose id is asked for sits in one global slot only until the
// inspector answers (synchronously on Node 20–24), and the frames here hold
// its WeakRef, never the object. Node 20 answers `takeHeapSnapshot` before
// `post` returns; Node 22 and 24 stream the chunks and answer in later tasks,
// so the snapshot is awaited.

import { HeapSnapshotReader, type HeapSnapshot } from './heap-snapshot.js';

type InspectorModule = typeof import('node:inspector');
type InspectorSession = InstanceType<InspectorModule['Session']>;

const OBJECT_GROUP = 'leakproof-explain';
// The one global key the kit ever writes, for the instant it takes to ask the
// inspector for a remote id of an object (Runtime.evaluate reads globals only).
const HANDOFF = '__leakproofExplainTarget';

let inspector: InspectorModule | null | undefined;

async function loadInspector(): Promise<InspectorModule | undefined> {
  if (inspector === undefined) {
    try {
      inspector = await import('node:inspector');
    } catch {
      // Node built without inspector support (--without-inspector), or a runtime that is not Node.
      inspector = null;
    }
  }
  return inspector ?? undefined;
}

/** A connected inspector session with heap object tracking on. */
export class SnapshotSession {
  readonly #session: InspectorSession;
  #closed = false;

  private constructor(session: InspectorSession) {
    this.#session = session;
  }

  /**
   * Opens a session and turns heap object tracking on: only then does
   * `HeapProfiler.getHeapObjectId` answer anything but `'0'`, and the ids it
   * gives stay valid through collections until the snapshot is taken.
   * @returns the session, or a one-line reason when there can be none (no `node:inspector`, refused).
   */
  static async open(): Promise<SnapshotSession | string> {
    const mod = await loadInspector();
    if (mod === undefined) return 'node:inspector is not available in this runtime';
    const session = new mod.Session();
    try {
      session.connect();
    } catch (error) {
      return `the inspector refused a session (${(error as Error).message})`;
    }
    const opened = new SnapshotSession(session);
    try {
      opened.#post('HeapProfiler.enable');
      opened.#post('HeapProfiler.startTrackingHeapObjects', { trackAllocations: false });
    } catch (error) {
      opened.close();
      return `the inspector refused heap object tracking (${(error as Error).message})`;
    }
    return opened;
  }

  /**
   * The heap snapshot id of the object behind `ref` (0 when it has none or
   * was collected). The object is read once, into the global hand-off slot,
   * which is cleared (and the inspector's object group released) before this
   * resolves.
   */
  async objectId(ref: WeakRef<object>): Promise<number> {
    if (!handOff(ref)) return 0;
    const global = globalThis as Record<string, unknown>;
    try {
      const evaluated = (await this.#call('Runtime.evaluate', {
        expression: `globalThis.${HANDOFF}`,
        objectGroup: OBJECT_GROUP,
        silent: true,
      })) as { result: { objectId?: string } };
      delete global[HANDOFF];
      const objectId = evaluated.result.objectId;
      if (objectId === undefined) return 0;
      const answer = (await this.#call('HeapProfiler.getHeapObjectId', { objectId })) as { heapSnapshotObjectId: string };
      return Number(answer.heapSnapshotObjectId);
    } finally {
      delete global[HANDOFF];
      await this.#call('Runtime.releaseObjectGroup', { objectGroup: OBJECT_GROUP }).catch(() => {});
    }
  }

  /**
   * Takes a snapshot (V8 runs a full collection first) and parses it as it
   * streams. Heap object tracking stays on, so ids learned earlier still
   * name the same objects. `timing.parseMs` (for the benchmark) adds the
   * time spent reading chunks, which the snapshot's own time includes.
   */
  async snapshot(timing?: { parseMs: number }): Promise<HeapSnapshot> {
    const reader = new HeapSnapshotReader();
    let failure: unknown;
    const onChunk = (message: { params: { chunk: string } }): void => {
      if (failure !== undefined) return;
      const start = timing === undefined ? 0 : performance.now();
      try {
        reader.push(message.params.chunk);
      } catch (error) {
        failure = error;
      }
      if (timing !== undefined) timing.parseMs += performance.now() - start;
    };
    this.#session.on('HeapProfiler.addHeapSnapshotChunk', onChunk);
    try {
      await this.#call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    } finally {
      this.#session.off('HeapProfiler.addHeapSnapshotChunk', onChunk);
    }
    if (failure !== undefined) throw failure;
    const start = timing === undefined ? 0 : performance.now();
    const snapshot = reader.finish();
    if (timing !== undefined) timing.parseMs += performance.now() - start;
    return snapshot;
  }

  /** Stops tracking and disconnects; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      // `disable` stops tracking without the extra snapshot `stopTrackingHeapObjects` would take.
      this.#post('HeapProfiler.disable');
    } catch {
      // The session is going away: nothing more to release on a failed disable.
    } finally {
      this.#session.disconnect();
    }
  }

  #call(method: string, params?: object): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#session.post(method, params ?? {}, (error: Error | null, value: unknown) => {
        if (error) reject(error);
        else resolve(value);
      });
    });
  }

  // For set-up and tear-down, which every Node version answers synchronously.
  #post(method: string, params?: object): unknown {
    let result: unknown;
    let failure: Error | null | undefined;
    let answered = false;
    this.#session.post(method, params ?? {}, (error: Error | null, value: unknown) => {
      answered = true;
      failure = error;
      result = value;
    });
    if (!answered) throw new Error(`the inspector did not answer ${method} synchronously`);
    if (failure) throw failure;
    return result;
  }
}

// A frame of its own: the dereferenced object does not outlive it, except in
// the hand-off slot.
function handOff(ref: WeakRef<object>): boolean {
  const target = ref.deref();
  if (target === undefined) return false;
  (globalThis as Record<string, unknown>)[HANDOFF] = target;
  return true;
}
