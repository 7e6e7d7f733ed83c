// `anySignal`: `AbortSignal.any` that a long-lived input cannot keep alive.
//
// Leak: a composite must be reachable from each input, or it could not abort
// when that input does. The naive composite (`input.addEventListener('abort',
// () => controller.abort(input.reason))`) is reachable for as long as the
// input lives: `anySignal([shutdown, request.signal])` per request keeps every
// request's composite, and its listeners, until shutdown. The built-in holds
// composites through WeakRefs but on Node 20 never prunes them (100,000
// `AbortSignal.any([longLived])` calls leave 100,000 dead WeakRefs in the
// input's dependant set); Node 22.23 still keeps a FinalizationRegistry cell,
// two WeakRefs and an object per call (~176 B, measured); Node 24 is flat.
//
// Invariant: an input reaches its composite only through the composite's
// `CompositeLink` (subscribed to every input's shared abort hub,
// internal/abort-hub.ts: one native listener per input, O(1) join and leave).
// The link holds the composite through a WeakRef, and strongly only while the
// composite has `abort` listeners of its own (someone is waiting for it: like
// Node's `gcPersistentSignals`, a listener on a dropped composite must still
// run when an input aborts, as the built-in runs it). So a composite lives
// while user code holds it, or while it has listeners AND some input that can
// still abort it is alive; once its inputs are unreachable, nothing can ever
// abort it and it is collected with them, listeners or not. Nothing
// module-level reaches a composite or its link strongly: the module-level
// FinalizationRegistry that removes a collected composite's link from its
// live inputs' hubs holds the link through a WeakRef (a strongly held link
// would pin every composite with listeners for ever, which v0.1 did through a
// module-level set). The link leaves every hub when the composite aborts,
// when it is disposed, or once it has been collected.
//
// To see its listeners, a composite carries its own non-enumerable
// `addEventListener`/`removeEventListener` (forwarding to the built-ins and
// counting `abort` listeners) and `[Symbol.dispose]`, shared module-level
// functions. Nothing is written onto `AbortSignal.prototype`,
// `EventTarget.prototype` or a global. (v0.1 inserted a module-private
// prototype with `Object.setPrototypeOf` instead. bench/tricks.bench.ts
// measured no consistent gain for it: anySignal + dispose 1.29x / 1.01x / 1.07x,
// with a listener and abort 1.13x / 0.83x / 0.94x (Node 20.20 / 22.23 / 24.22,
// steady state), and 6-7% less memory per live composite on Node 20 and 24 but
// 25% more on Node 22 – so the plain form stays.)
//
// Refs: https://dom.spec.whatwg.org/#dom-abortsignal-any, nodejs/node#55354,
// #56001, #62367, #64481 (the built-in's fixes after Node 20).

import { ReturnsItsArgument } from './internal/stamp.js';
import { invalidArgType, validateAbortSignal } from './internal/validate.js';
import { type AbortHub, type AbortSubscriber, joinAbortHub, leaveAbortHub } from './internal/abort-hub.js';

/**
 * Returns a signal that aborts as soon as any of `signals` aborts, with that
 * signal's reason, like `AbortSignal.any`, and that can be disposed.
 *
 * If an input is already aborted, the result is already aborted (with the
 * first such input's reason) and nothing is attached to any input. An empty
 * input gives a signal that never aborts.
 *
 * Guarantees: the inputs reach the composite only weakly. Its subscription on
 * the inputs is removed when it aborts, when it is disposed, or after it has
 * been garbage-collected, so 100,000 composites of one long-lived input leave
 * no listener and no memory behind. Each input carries at most one native
 * listener for all leakproof subscriptions on it. A composite that has `abort`
 * listeners (added through its `addEventListener`, `onabort`, or a leakproof
 * primitive) is also held by its inputs, until it aborts, is disposed, or the
 * listeners are removed, so a listener on a dropped composite still runs when
 * an input aborts. Once every input is unreachable (nothing can abort it any
 * more) and user code drops it, a composite is collected, listeners or not.
 *
 * Does not: abort the composite when disposed (a disposed composite simply
 * never aborts). Flatten nested composites as the built-in does (a composite
 * of composites works, one hop per level). See the abort of an input before
 * that input's earlier-registered listeners have run: the composite aborts
 * from the input's shared leakproof listener. Track listeners added with
 * `EventTarget.prototype.addEventListener.call(composite, ...)`, which bypasses
 * the composite's own method: such a listener does not keep it alive.
 *
 * @param signals An iterable of AbortSignals, iterated once.
 * @returns A new AbortSignal (`instanceof AbortSignal` holds) whose
 * `[Symbol.dispose]` detaches it from its inputs.
 * @throws {TypeError} `ERR_INVALID_ARG_TYPE` when `signals` is not iterable
 * or one of its items is not an AbortSignal (named `signals[i]`); nothing is
 * attached then.
 *
 * @example
 * ```ts
 * import { anySignal } from 'leakproof';
 *
 * async function handle(request: Request, shutdown: AbortSignal) {
 *   using signal = anySignal([shutdown, request.signal, AbortSignal.timeout(30_000)]);
 *   return await fetch(upstream, { signal });
 * } // detached from `shutdown` here, not when shutdown finally aborts
 * ```
 */
export function anySignal(signals: Iterable<AbortSignal>): AbortSignal & Disposable {
  const inputs = readSignals(signals);
  // Spec step: an already-aborted input makes an already-aborted result.
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i]!;
    if (input.aborted) return adopt(AbortSignal.abort(input.reason));
  }
  const controller = new AbortController();
  const composite = adopt(controller.signal);
  const link = new CompositeLink(new WeakRef(composite));
  const state = new CompositeState(controller, link);
  StateStamp.write(composite, state);
  if (inputs.length === 0) {
    // Nothing can ever abort it, so nothing needs to keep it alive.
    state.closed = true;
    return composite;
  }
  try {
    for (let i = 0; i < inputs.length; i++) link.hubs.push(joinAbortHub(inputs[i]!, link));
  } catch (error) {
    // A foreign signal's addEventListener threw: leave nothing attached.
    state.closed = true;
    link.detach();
    throw error;
  }
  // No unregister token, on purpose: V8 keeps tokens in a hash table that
  // grows to the peak number of registrations and is not shrunk (measured on
  // Node 24: ~2 MB kept after 200,000 dropped composites, flat without it). A
  // disposed or aborted composite's cell just waits for the composite to be
  // collected; its callback then finds the link already detached.
  registry.register(composite, new WeakRef(link));
  return composite;
}

function readSignals(signals: unknown): AbortSignal[] {
  if (
    signals === null ||
    signals === undefined ||
    typeof (signals as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function'
  ) {
    throw invalidArgType('signals', 'an iterable of AbortSignal', signals);
  }
  // Read (and validate) everything before attaching anything: a bad item
  // leaves no input subscribed. `for...of` closes the iterator on a throw.
  const inputs: AbortSignal[] = [];
  for (const signal of signals as Iterable<unknown>) {
    validateAbortSignal(signal, `signals[${inputs.length}]`);
    inputs.push(signal);
  }
  return inputs;
}

/**
 * The composite's subscription on its inputs: what the inputs' hubs hold.
 * Reaches the composite only through `ref`; it is also the FinalizationRegistry
 * held value, so it must never hold the composite.
 */
class CompositeLink implements AbortSubscriber {
  readonly ref: WeakRef<AbortSignal>;
  /** The composite, held strongly while it has `abort` listeners (see the header). */
  pin: AbortSignal | null = null;
  hubs: AbortHub[] = [];
  #detached = false;

  constructor(ref: WeakRef<AbortSignal>) {
    this.ref = ref;
  }

  /** An input aborted; its hub has already dropped us. */
  abort(reason: unknown): void {
    if (this.#detached) return;
    const composite = this.pin ?? this.ref.deref();
    // Leave the other inputs first: aborting runs the composite's listeners,
    // and whatever they do must find it detached already.
    this.detach();
    if (composite !== undefined) abortComposite(composite, reason);
  }

  /** The one release path for the inputs' side. Idempotent. */
  detach(): void {
    if (this.#detached) return;
    this.#detached = true;
    const { hubs } = this;
    this.hubs = [];
    for (let i = 0; i < hubs.length; i++) leaveAbortHub(hubs[i]!, this);
  }
}

// Module-level, so it outlives every composite it watches (a registry only a
// local holds is itself collected, and then nothing is ever cleaned up). The
// held value is a WeakRef to the link: a registry holds its held values
// strongly, and the link of a composite with listeners reaches the composite.
// A link that is gone by then was reachable from no live input: nothing to leave.
const registry = /* @__PURE__ */ new FinalizationRegistry<WeakRef<CompositeLink>>(detachCollected);

function detachCollected(ref: WeakRef<CompositeLink>): void {
  ref.deref()?.detach();
}

const BUBBLE = 1;
const CAPTURE = 2;

/** What a composite holds: reachable from the composite only. */
class CompositeState {
  readonly controller: AbortController;
  readonly link: CompositeLink;
  /** Aborted or disposed (or never able to abort): no more tracking or pinning. */
  closed = false;
  /** `abort` listeners added through the composite: listener -> BUBBLE|CAPTURE bits. */
  listeners: Map<unknown, number> | null = null;
  /** Registrations in `listeners` (a listener may count twice, once per capture flag). */
  listenerCount = 0;

  constructor(controller: AbortController, link: CompositeLink) {
    this.controller = controller;
    this.link = link;
  }
}

/** Stops tracking and unpins; returns false when already closed. */
function close(state: CompositeState): boolean {
  if (state.closed) return false;
  state.closed = true;
  state.listeners = null;
  state.listenerCount = 0;
  state.link.pin = null;
  return true;
}

function abortComposite(composite: AbortSignal, reason: unknown): void {
  const state = StateStamp.read(composite);
  if (state === undefined || !close(state)) return;
  state.controller.abort(reason);
}

/** Counts one `abort` registration (listener, capture) in or out, and pins or unpins. */
function track(composite: AbortSignal, listener: unknown, options: unknown, adding: boolean): void {
  const state = StateStamp.read(composite);
  if (state === undefined || state.closed) return;
  if (listener === null || (typeof listener !== 'object' && typeof listener !== 'function')) return;
  let bit = BUBBLE;
  if (typeof options === 'boolean') {
    if (options) bit = CAPTURE;
  } else if (typeof options === 'object' && options !== null) {
    const { capture, signal } = options as { capture?: unknown; signal?: { aborted?: unknown } };
    if (capture) bit = CAPTURE;
    // The built-in adds nothing when `options.signal` is already aborted.
    if (adding && signal?.aborted === true) return;
  }
  const bits = state.listeners?.get(listener) ?? 0;
  if (adding) {
    if ((bits & bit) !== 0) return; // a duplicate: the built-in ignores it too
    (state.listeners ??= new Map()).set(listener, bits | bit);
    if (++state.listenerCount === 1) state.link.pin = composite;
  } else {
    if ((bits & bit) === 0) return;
    const rest = bits & ~bit;
    if (rest === 0) state.listeners!.delete(listener);
    else state.listeners!.set(listener, rest);
    if (--state.listenerCount === 0) state.link.pin = null;
  }
}

// Trick: the composite's state lives in a private field on the composite
// itself (base-class return override, internal/stamp.ts) instead of a
// module-level WeakMap: invisible to reflection, dies with the composite.
// What it buys: time per listener change and dispose, which look the state
// up. Measured in bench/tricks.bench.ts, rows "stamp on composites" (a copy of
// this file with a WeakMap) (Node 20.20 / 22.23 / 24.22, bench/tricks.bench.ts, without ÷ with, 2026-12-05): anySignal + dispose 0.95x / 1.28x / 1.60x
// with the stamp in steady state (0.93x / 1.48x / 1.43x after a full GC): level
// on Node 20, faster on 22 and 24. Memory is level within ~50 B per live composite
// (Node 20.19.0, 22.23.5, 24.22.3). No leak guarantee needs it. The WeakMap
// is the fallback for an object that refuses the field.

class StateStamp extends ReturnsItsArgument {
  #state: CompositeState;

  private constructor(target: object, state: CompositeState) {
    super(target);
    this.#state = state;
  }

  static read(target: unknown): CompositeState | undefined {
    if (typeof target !== 'object' || target === null) return undefined;
    return #state in target ? (target as StateStamp).#state : fallbackStates.get(target);
  }

  static write(target: object, state: CompositeState): void {
    try {
      new StateStamp(target, state);
    } catch {
      fallbackStates.set(target, state);
    }
  }
}

const fallbackStates = /* @__PURE__ */ new WeakMap<object, CompositeState>();

// The composite's methods: module-level functions shared by every composite,
// `this` is the composite. They forward to the inherited methods first (read
// at call time, so nothing is read at import), so the built-in's validation
// and errors are unchanged, and count only what it accepted.
type NativeMethod = (this: AbortSignal, type: string, listener: unknown, options?: unknown) => void;

function compositeAddEventListener(this: AbortSignal, type: string, listener: unknown, options?: unknown): void {
  (EventTarget.prototype.addEventListener as NativeMethod).call(this, type, listener, options);
  if (String(type) === 'abort') track(this, listener, options, true);
}

function compositeRemoveEventListener(this: AbortSignal, type: string, listener: unknown, options?: unknown): void {
  (EventTarget.prototype.removeEventListener as NativeMethod).call(this, type, listener, options);
  if (String(type) === 'abort') track(this, listener, options, false);
}

function disposeComposite(this: unknown): void {
  const state = StateStamp.read(this);
  if (state === undefined || !close(state)) return;
  state.link.detach();
}

let compositeMethods: PropertyDescriptorMap | undefined;

/**
 * Gives `signal` the composite methods as own, non-enumerable properties
 * (like the built-in methods, which are non-enumerable on the prototype). The
 * descriptors are built once, on first use, so `Symbol.dispose` is read then,
 * not at import.
 */
function adopt(signal: AbortSignal): AbortSignal & Disposable {
  compositeMethods ??= {
    addEventListener: { value: compositeAddEventListener, writable: true, configurable: true },
    removeEventListener: { value: compositeRemoveEventListener, writable: true, configurable: true },
    [Symbol.dispose]: { value: disposeComposite, writable: true, configurable: true },
  };
  Object.defineProperties(signal, compositeMethods);
  return signal as AbortSignal & Disposable;
}
