// Duck-typed signals for the "user code throws" rows: objects that pass
// leakproof's AbortSignal check (`aborted`, add/removeEventListener) and
// whose methods throw on demand, plus a way to capture what the library
// reports through `reportError` instead of letting it become an uncaught
// exception of the test run.

type Listener = Parameters<EventTarget['addEventListener']>[1];

/** A signal-shaped object backed by an EventTarget whose methods can be made to throw. */
export interface DuckSignal {
  aborted: boolean;
  reason: unknown;
  addEventListener(type: string, listener: Listener): void;
  removeEventListener(type: string, listener: Listener): void;
  /** Aborts it: sets `aborted`/`reason`, then dispatches `abort`. */
  abort(reason?: unknown): void;
  /** Listeners currently on the backing target, by our own count. */
  readonly listeners: number;
  throwOnAdd: Error | null;
  throwOnRemove: Error | null;
}

export function duckSignal(): DuckSignal {
  const target = new EventTarget();
  let listeners = 0;
  const signal: DuckSignal = {
    aborted: false,
    reason: undefined,
    throwOnAdd: null,
    throwOnRemove: null,
    get listeners() {
      return listeners;
    },
    addEventListener(type, listener) {
      if (signal.throwOnAdd !== null) throw signal.throwOnAdd;
      target.addEventListener(type, listener);
      if (type === 'abort') listeners++;
    },
    removeEventListener(type, listener) {
      if (signal.throwOnRemove !== null) throw signal.throwOnRemove;
      target.removeEventListener(type, listener);
      if (type === 'abort') listeners--;
    },
    abort(reason = new DOMException('This operation was aborted', 'AbortError')) {
      signal.aborted = true;
      signal.reason = reason;
      target.dispatchEvent(new Event('abort'));
    },
  };
  return signal;
}

/**
 * Runs `body` with `globalThis.reportError` replaced by a collector and
 * returns what was reported (restoring the previous value, or its absence).
 */
export async function captureReports(body: () => unknown): Promise<unknown[]> {
  const global = globalThis as { reportError?: unknown };
  const had = Object.prototype.hasOwnProperty.call(global, 'reportError');
  const previous = global.reportError;
  const reported: unknown[] = [];
  global.reportError = (error: unknown) => {
    reported.push(error);
  };
  try {
    await body();
  } finally {
    if (had) global.reportError = previous;
    else delete global.reportError;
  }
  return reported;
}
