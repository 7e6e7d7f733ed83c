// Reporting a problem that has no caller to throw to (a timer callback)
// without crashing the process.
//
// Leak (of errors): an exception thrown from a timer callback is an uncaught
// exception; in Node that ends the process. Swallowing it instead hides a bug.
//
// Invariant: the problem is reported once, as a process warning (the channel
// Node itself uses for MaxListenersExceededWarning): printed to stderr unless
// `--no-warnings`, observable with `process.on('warning')`, never thrown.

/** The `type` of every warning leakproof emits. */
export const WARNING_TYPE = 'LeakproofWarning';

/**
 * Emits `message` as a process warning with `code`; `cause` (an error, say)
 * goes into the warning's detail with its stack. Where there is no
 * `process.emitWarning` (browsers, some bundles) it is logged with
 * `console.error`, which does not throw either.
 */
export function emitWarning(message: string, code: string, cause?: unknown): void {
  const detail = cause === undefined ? undefined : describeCause(cause);
  const emit = (globalThis as { process?: { emitWarning?: unknown } }).process?.emitWarning;
  if (typeof emit === 'function') {
    const options: { type: string; code: string; detail?: string } = { type: WARNING_TYPE, code };
    if (detail !== undefined) options.detail = detail;
    (emit as (warning: string, options: object) => void).call(process, message, options);
    return;
  }
  console.error(`${WARNING_TYPE} [${code}]: ${message}`, cause);
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) return cause.stack ?? `${cause.name}: ${cause.message}`;
  try {
    return String(cause);
  } catch {
    return Object.prototype.toString.call(cause);
  }
}
