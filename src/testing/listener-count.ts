// Listener counts for the cleanup assertions: an abort listener left on a
// long-lived signal is the most common leak this library exists to prevent.

import { getEventListeners } from 'node:events';
import { invalidArgType } from '../internal/validate.js';

interface EmitterLike {
  listenerCount(type: string | symbol): number;
}

/**
 * How many listeners for `type` are registered on `target`: an `EventTarget`
 * (an `AbortSignal`, say) or an `EventEmitter`.
 *
 * @example
 * ```ts
 * import { listenerCount } from 'leakproof/testing';
 * assert.equal(listenerCount(signal, 'abort'), 0);
 * ```
 */
export function listenerCount(target: EventTarget | EmitterLike, type: string | symbol): number {
  if (typeof type !== 'string' && typeof type !== 'symbol') {
    throw invalidArgType('type', 'of type string or symbol', type);
  }
  if (target !== null && typeof target === 'object') {
    if (typeof (target as EmitterLike).listenerCount === 'function') {
      return (target as EmitterLike).listenerCount(type);
    }
    if (typeof (target as EventTarget).addEventListener === 'function' && typeof type === 'string') {
      return getEventListeners(target as EventTarget, type).length;
    }
  }
  throw invalidArgType('target', 'an EventTarget or an EventEmitter', target);
}
