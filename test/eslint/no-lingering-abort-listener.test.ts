import { noLingeringAbortListener } from '../../src/eslint/rules/no-lingering-abort-listener.js';
import { ruleTests } from './tester.js';

ruleTests('no-lingering-abort-listener', noLingeringAbortListener, 'useOnAbort', {
  valid: [
    {
      name: 'a listener removed in finally',
      code: `async function run(signal) {
  const onAbort = () => socket.destroy();
  signal.addEventListener('abort', onAbort);
  try { await work(); } finally { signal.removeEventListener('abort', onAbort); }
}`,
    },
    {
      name: 'a listener removed when the promise settles',
      code: `function run(signal) {
  const stop = () => job.cancel();
  signal.addEventListener('abort', stop, { once: true });
  return job.promise.finally(() => signal.removeEventListener('abort', stop));
}`,
    },
    {
      name: 'a listener tied to the operation by a signal option',
      code: "async function run(signal, done) { signal.addEventListener('abort', () => stop(), { signal: done }); await work(); }",
    },
    {
      name: 'a signal of an AbortController created in the same function',
      code: "function f() { const controller = new AbortController(); controller.signal.addEventListener('abort', () => log('x')); return controller; }",
    },
    {
      name: 'an AbortSignal.timeout created in the same function',
      code: "async function f() { const signal = AbortSignal.timeout(1000); signal.addEventListener('abort', () => log('t'), { once: true }); await g(signal); }",
    },
    {
      name: 'a composite signal made in the same function',
      code: "import { anySignal } from 'leakproof';\nfunction f(a, b) { const signal = anySignal([a, b]); signal.addEventListener('abort', () => log(signal.reason)); return signal; }",
    },
    { name: 'an abort event of a request object', code: "xhr.addEventListener('abort', () => retry());" },
    { name: 'another event on a signal-like object', code: "signal.addEventListener('close', () => done());" },
    {
      name: 'onabort reset to null after the operation',
      code: 'async function run(signal) { signal.onabort = () => cancel(); try { await work(); } finally { signal.onabort = null; } }',
    },
    { name: 'onabort cleared', code: 'signal.onabort = null;' },
    {
      name: 'options held in a variable (may carry a signal)',
      code: "function f(signal, options) { signal.addEventListener('abort', onAbort, options); }",
    },
    {
      name: 'a listener method removed in close()',
      code: `class Task {
  constructor(signal) { this.signal = signal; this.signal.addEventListener('abort', this.onAbort); }
  onAbort = () => this.cancel();
  close() { this.signal.removeEventListener('abort', this.onAbort); }
}`,
    },
    {
      name: 'tRPC rc.601: the abort listener is replaced by leakproof onAbort with using',
      code: `import { onAbort } from 'leakproof';
async function subscribe(controller, iterator) {
  using _ = onAbort(controller.signal, () => iterator.return?.());
  for await (const value of iterator) send(value);
}`,
    },
    {
      name: 'p-queue 9.0.1: the listener is removed once the operation settles',
      code: `class Queue {
  async #throwOnAbort(signal, operation) {
    let onAbort;
    const aborted = new Promise((_, reject) => { onAbort = () => reject(signal.reason); signal.addEventListener('abort', onAbort, { once: true }); });
    try { return await Promise.race([operation, aborted]); } finally { signal.removeEventListener('abort', onAbort); }
  }
}`,
    },
    {
      name: 'Node addAbortListener with a disposable',
      code: "import { addAbortListener } from 'node:events';\nasync function f(signal) { using d = addAbortListener(signal, () => stop()); await work(); }",
    },
    {
      name: 'tRPC rc.599 ws adapter: onabort on the per-subscription controller dies with it',
      code: `function subscribe(iterable) {
  const abortController = new AbortController();
  const abortPromise = new Promise((resolve) => { abortController.signal.onabort = () => resolve('abort'); });
  return { abortController, abortPromise };
}`,
    },
    {
      name: 'lru-cache: a per-fetch controller created in the enclosing method',
      code: `class Cache {
  backgroundFetch(k) {
    const ac = new AbortController();
    const pcall = (res) => { ac.signal.addEventListener('abort', () => res(undefined)); };
    return new Promise(pcall);
  }
}`,
    },
    {
      name: 'TypeScript: a typed listener removed in finally',
      ts: true,
      code: `export async function run(signal: AbortSignal): Promise<void> {
  const listener = (): void => { cancel(); };
  signal.addEventListener('abort', listener, { once: true } as AddEventListenerOptions);
  try { await work(); } finally { signal.removeEventListener('abort', listener); }
}`,
    },
    {
      name: 'TypeScript: a signal option',
      ts: true,
      code: "export function f(signal: AbortSignal, own: AbortSignal): void { signal.addEventListener('abort', () => stop(), { signal: own }); }",
    },
    {
      name: 'one forwarding listener per signal, guarded by a WeakMap that outlives the adding function (vitest jsdom)',
      code: `export function patch(window) {
  const controllers = new WeakMap();
  function forSignal(signal) {
    if (!controllers.has(signal)) {
      const controller = new window.AbortController();
      signal.addEventListener('abort', () => controller.abort(signal.reason));
      controllers.set(signal, controller);
    }
    return controllers.get(signal);
  }
  return forSignal;
}`,
    },
    {
      name: 'TypeScript: a module-level WeakSet guard around onabort',
      ts: true,
      code: `const wired = new WeakSet<AbortSignal>();
export function wire(signal: AbortSignal, log: (m: string) => void): void {
  if (!wired.has(signal)) {
    wired.add(signal);
    signal.onabort = () => log('aborted');
  }
}`,
    },
  ],
  invalid: [
    {
      name: 'p-queue 9.0.0: a once listener inside the abort promise, never removed on success',
      code: `class Queue {
  async #throwOnAbort(signal) {
    return new Promise((_resolve, reject) => {
      signal.addEventListener('abort', () => { reject(signal.reason); }, { once: true });
    });
  }
}`,
      errors: 'lingering',
      suggestion: null,
    },
    {
      name: 'onabort assigned on a signal from outside and never reset',
      code: `const abortPromise = new Promise((resolve) => {
  abortController.signal.onabort = () => resolve('abort');
});`,
      errors: 'lingering',
      suggestion: null,
    },
    {
      name: 'a listener removed only inside itself (no suggestion: the name onAbort is taken)',
      code: `async function run(signal) {
  function onAbort() { signal.removeEventListener('abort', onAbort); socket.destroy(); }
  signal.addEventListener('abort', onAbort);
  await work();
}`,
      errors: 'lingering',
      suggestion: null,
    },
    {
      name: 'an inline listener in an async function: rewritten to onAbort with using',
      code: "async function handle(req, shutdown) {\n  shutdown.signal.addEventListener('abort', () => req.destroy(), { once: true });\n  await serve(req);\n}",
      errors: 'lingering',
      suggestion:
        "import { onAbort } from 'leakproof';\nasync function handle(req, shutdown) {\n  using abortListener = onAbort(shutdown.signal, () => req.destroy());\n  await serve(req);\n}",
    },
    {
      name: 'onabort in an async function: rewritten to onAbort with using',
      code: 'async function handle(req, signal) {\n  signal.onabort = () => req.destroy();\n  await serve(req);\n}',
      errors: 'lingering',
      suggestion: "import { onAbort } from 'leakproof';\nasync function handle(req, signal) {\n  using abortListener = onAbort(signal, () => req.destroy());\n  await serve(req);\n}",
    },
    {
      name: 'ecmaVersion 2022: reported without the using suggestion',
      ecmaVersion: 2022,
      code: 'async function handle(req, signal) {\n  signal.onabort = () => req.destroy();\n  await serve(req);\n}',
      errors: 'lingering',
      suggestion: null,
    },
    {
      name: 'a capture flag is not a removal',
      code: "function f(signal) { signal.addEventListener('abort', () => stop(), true); }",
      errors: 'lingering',
      suggestion: null,
    },
    {
      name: 'a removal of a different listener does not count',
      code: "function f(signal) { signal.addEventListener('abort', a); signal.removeEventListener('abort', b); }",
      errors: 'lingering',
      suggestion: null,
    },
    {
      name: 'a removal from a different signal does not count',
      code: "function f(requestSignal, shutdownSignal) { shutdownSignal.addEventListener('abort', a); requestSignal.removeEventListener('abort', a); }",
      errors: 'lingering',
      suggestion: null,
    },
    {
      name: "a variable initialised from options.signal",
      code: "function f(options) { const s = options.signal; s.addEventListener('abort', () => cancel()); return job(); }",
      errors: 'lingering',
      suggestion: null,
    },
    {
      name: 'a controller from outside the function',
      code: "const controller = new AbortController();\nexport function watch(stream) { controller.signal.addEventListener('abort', () => stream.destroy()); }",
      errors: 'lingering',
      suggestion: null,
    },
    {
      name: 'an existing leakproof import gains onAbort',
      code: "import { race } from 'leakproof';\nexport async function f(signal) {\n  signal.addEventListener('abort', stop);\n  await race([a(), b()]);\n}",
      errors: 'lingering',
      suggestion: "import { race, onAbort } from 'leakproof';\nexport async function f(signal) {\n  using abortListener = onAbort(signal, stop);\n  await race([a(), b()]);\n}",
    },
    {
      name: 'vitest runner (corpus): every wrapped call adds a listener to the run signal',
      code: `function withCancel(fn, signal) {
  return function run(...args) {
    return new Promise((resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason));
      Promise.resolve(fn(...args)).then(resolve, reject);
    });
  };
}`,
      errors: 'lingering',
      suggestion: null,
    },
    {
      name: 'tRPC anySignal fallback (corpus): listeners on every source removed only on abort',
      code: `export function anySignal(...signals) {
  const ac = new AbortController();
  for (const signal of signals) signal.addEventListener('abort', trigger, { once: true });
  return ac.signal;
  function trigger() {
    ac.abort();
    for (const signal of signals) signal.removeEventListener('abort', trigger);
  }
}`,
      errors: 'lingering',
      suggestion: null,
    },
    {
      name: 'TypeScript: a typed signal parameter with once',
      ts: true,
      code: "export async function f(signal: AbortSignal): Promise<void> {\n  signal.addEventListener('abort', (): void => cancel(), { once: true });\n  await work();\n}",
      errors: 'lingering',
      suggestion:
        "import { onAbort } from 'leakproof';\nexport async function f(signal: AbortSignal): Promise<void> {\n  using abortListener = onAbort(signal, (): void => cancel());\n  await work();\n}",
    },
    {
      name: 'TypeScript: a class field signal with a non-null assertion',
      ts: true,
      code: "class Job {\n  signal?: AbortSignal;\n  start(): void { this.signal!.addEventListener('abort', () => this.stop()); }\n  stop(): void {}\n}",
      errors: 'lingering',
      suggestion: null,
    },
    {
      name: 'the WeakMap guard declared inside the adding function (new on every call)',
      code: `export function forSignal(signal) {
  const controllers = new WeakMap();
  if (!controllers.has(signal)) {
    signal.addEventListener('abort', () => controllers.get(signal)?.abort());
    controllers.set(signal, new AbortController());
  }
}`,
      errors: 'lingering',
      suggestion: null,
    },
    {
      name: 'a WeakMap has-check that never records the signal',
      code: `const controllers = new WeakMap();
export function forSignal(signal, other) {
  if (!controllers.has(signal)) {
    signal.addEventListener('abort', () => other.abort());
    controllers.set(other, true);
  }
}`,
      errors: 'lingering',
      suggestion: null,
    },
    {
      name: 'a guard that is a Map, not a WeakMap',
      code: `const seen = new Map();
export function forSignal(signal, job) {
  if (!seen.has(signal)) {
    signal.addEventListener('abort', () => job.cancel());
    seen.set(signal, job);
  }
}`,
      errors: 'lingering',
      suggestion: null,
    },
  ],
});
