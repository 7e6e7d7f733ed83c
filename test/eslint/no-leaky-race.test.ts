import { noLeakyRace } from '../../src/eslint/rules/no-leaky-race.js';
import { ruleTests } from './tester.js';

ruleTests('no-leaky-race', noLeakyRace, 'useLeakproof', {
  valid: [
    { name: 'a one-off race of fresh promises', code: 'await Promise.race([fetch(a), fetch(b)]);' },
    {
      name: 'a race in a loop whose contenders are all created inside the loop',
      code: `for (const url of urls) {
  const timeout = new Promise((_, reject) => setTimeout(reject, 1000));
  await Promise.race([fetch(url), timeout]);
}`,
    },
    {
      name: 'a binding declared outside the loop but reassigned in every iteration',
      code: `let pending;
while (running) {
  pending = next();
  await Promise.race([pending, sleep(10)]);
}`,
    },
    {
      name: 'a module-level contender that is already settled',
      code: `const ready = Promise.resolve();
export function f(p) { return Promise.race([p, ready]); }`,
    },
    { name: 'leakproof race against an instance member', code: "import { race } from 'leakproof';\nclass A { m(p) { return race([p, this.closed]); } }" },
    { name: 'a local Promise shadowing the global', code: 'function f(Promise, x) { return Promise.race([x, y]); }' },
    { name: 'Promise.all against an instance member', code: 'class A { m(p) { return Promise.all([p, this.closed]); } }' },
    { name: 'a parameter in a function that does not recurse', code: 'async function f(p, q) { return Promise.race([p, q]); }' },
    {
      name: 'tRPC rc.601: the loop races through Unpromise instead of Promise.race',
      code: `const abortPromise = new Promise((resolve) => { controller.signal.onabort = () => resolve('abort'); });
run(async () => {
  while (true) {
    const next = await Unpromise.race([iterator.next().catch(toError), abortPromise]);
    if (next === 'abort') break;
  }
});`,
    },
    {
      name: 'p-queue 9.0.1: the abort promise is replaced by an abortable wrapper',
      code: `class Queue {
  async add(fn, options) {
    let operation = fn({ signal: options.signal });
    if (options.signal) operation = abortable(operation, options.signal);
    return await operation;
  }
}`,
    },
    {
      name: 'p-queue 9.0.1 as shipped: the abort promise\'s listener is removed in finally',
      code: `class Queue {
  async run(operation, signal) {
    let eventListener;
    try {
      operation = Promise.race([operation, new Promise((_resolve, reject) => {
        eventListener = () => reject(signal.reason);
        signal.addEventListener('abort', eventListener, { once: true });
      })]);
      return await operation;
    } finally {
      if (eventListener) signal.removeEventListener('abort', eventListener);
    }
  }
}`,
    },
    {
      name: 'Solana web3.js fixed: safeRace against the abort promise',
      code: `const abortPromise = new Promise((_, reject) => { signal.addEventListener('abort', () => reject(signal.reason)); });
while (true) {
  const message = await safeRace([abortPromise, iterator.next()]);
  if (message.done) break;
}`,
    },
    {
      name: 'ccxt fixed: a race over freshly created futures',
      code: `class Client {
  watchMultiple(hashes) {
    return Future.race(hashes.map((hash) => this.future(hash)));
  }
}`,
    },
    { name: 'a recursive async function whose contenders are fresh', code: 'async function poll() { await Promise.race([fetch(u), delay(10)]); return poll(); }' },
    { name: 'a spread of a local array', code: 'function f() { const ps = [a(), b()]; return Promise.race([...ps]); }' },
    { name: 'a once() on a non-abort event', code: "async function f(emitter) { return Promise.race([once(emitter, 'data'), delay(5)]); }" },
    {
      name: 'TypeScript: a race of fresh promises with type assertions',
      ts: true,
      code: 'async function f(url: string): Promise<Response> { return Promise.race([fetch(url) as Promise<Response>, timeout(5) as never]); }',
    },
    {
      name: 'TypeScript: an ambient declaration has no value to keep',
      ts: true,
      code: 'declare const mixed: [Promise<number>, Promise<string>];\nexport const t = Promise.race(mixed);',
    },
    {
      name: 'TypeScript: leakproof any over a class field',
      ts: true,
      code: "import { any } from 'leakproof';\nclass A { #closed!: Promise<void>; m(p: Promise<void>) { return any([p, this.#closed]); } }",
    },
  ],
  invalid: [
    {
      name: 'tRPC rc.599 ws adapter: the subscription loop races next() against one abort promise',
      code: `const abortPromise = new Promise((resolve) => { controller.signal.onabort = () => resolve('abort'); });
run(async () => {
  while (true) {
    const next = await Promise.race([iterator.next().catch(toError), abortPromise]);
    if (next === 'abort') break;
  }
});`,
      errors: 'leakyRace',
      suggestion: `import { race } from 'leakproof';
const abortPromise = new Promise((resolve) => { controller.signal.onabort = () => resolve('abort'); });
run(async () => {
  while (true) {
    const next = await race([iterator.next().catch(toError), abortPromise]);
    if (next === 'abort') break;
  }
});`,
    },
    {
      name: 'p-queue 9.0.0: every task races a fresh promise that only the signal settles',
      code: `class Queue {
  async #throwOnAbort(signal) {
    return new Promise((_resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  }
  async add(fn, options) {
    let operation = fn({ signal: options.signal });
    if (options.signal) operation = Promise.race([operation, this.#throwOnAbort(options.signal)]);
    return await operation;
  }
}`,
      errors: 'leakyRace',
      suggestion: `import { race } from 'leakproof';
class Queue {
  async #throwOnAbort(signal) {
    return new Promise((_resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  }
  async add(fn, options) {
    let operation = fn({ signal: options.signal });
    if (options.signal) operation = race([operation, this.#throwOnAbort(options.signal)]);
    return await operation;
  }
}`,
    },
    {
      name: 'Solana web3.js: a subscription iterator raced against one abort promise per message',
      code: `async function* subscribe(iterator, signal) {
  const abortPromise = new Promise((_, reject) => { signal.addEventListener('abort', () => reject(signal.reason)); });
  while (true) {
    const message = await Promise.race([abortPromise, iterator.next()]);
    if (message.done) return;
    yield message.value;
  }
}`,
      errors: 'leakyRace',
      suggestion: `import { race } from 'leakproof';
async function* subscribe(iterator, signal) {
  const abortPromise = new Promise((_, reject) => { signal.addEventListener('abort', () => reject(signal.reason)); });
  while (true) {
    const message = await race([abortPromise, iterator.next()]);
    if (message.done) return;
    yield message.value;
  }
}`,
    },
    {
      name: "ccxt: Future.race over futures stored on the client",
      code: `class Client {
  watchMultiple(hashes) {
    return Promise.race(hashes.map((hash) => this.futures[hash]));
  }
}`,
      errors: 'leakyRace',
      suggestion: `import { race } from 'leakproof';
class Client {
  watchMultiple(hashes) {
    return race(hashes.map((hash) => this.futures[hash]));
  }
}`,
    },
    {
      name: 'an instance member that settles at close',
      code: "import { delay } from 'leakproof';\nclass Conn { send(m) { return Promise.race([this.write(m), this.closed]); } }",
      errors: 'leakyRace',
      suggestion: "import { delay, race } from 'leakproof';\nclass Conn { send(m) { return race([this.write(m), this.closed]); } }",
    },
    {
      name: 'a module-level shutdown promise',
      code: 'const shutdown = new Promise((r) => process.once("SIGTERM", r));\nexport const handle = (req) => Promise.any([serve(req), shutdown]);',
      errors: 'leakyRace',
      suggestion:
        'import { any } from \'leakproof\';\nconst shutdown = new Promise((r) => process.once("SIGTERM", r));\nexport const handle = (req) => any([serve(req), shutdown]);',
    },
    {
      name: 'a timeout declared outside the loop',
      code: 'const deadline = delay(60_000);\nfor (const job of jobs) await Promise.race([run(job), deadline]);',
      errors: 'leakyRace',
      suggestion: "import { race } from 'leakproof';\nconst deadline = delay(60_000);\nfor (const job of jobs) await race([run(job), deadline]);",
    },
    {
      name: 'a recursive async function passing its abort promise down',
      code: 'async function poll(aborted) { await Promise.race([tick(), aborted]); return poll(aborted); }',
      errors: 'leakyRace',
      suggestion: "import { race } from 'leakproof';\nasync function poll(aborted) { await race([tick(), aborted]); return poll(aborted); }",
    },
    {
      name: "once(signal, 'abort') as a contender",
      code: "import { once } from 'node:events';\nexport async function f(work, signal) { return Promise.race([work, once(signal, 'abort')]); }",
      errors: 'leakyRace',
      suggestion:
        "import { once } from 'node:events';\nimport { race } from 'leakproof';\nexport async function f(work, signal) { return race([work, once(signal, 'abort')]); }",
    },
    {
      name: 'a spread of an instance collection',
      code: 'class Pool { next() { return Promise.race([...this.pending]); } }',
      errors: 'leakyRace',
      suggestion: "import { race } from 'leakproof';\nclass Pool { next() { return race([...this.pending]); } }",
    },
    {
      name: 'a then() chain on an instance member',
      code: 'class S { read() { return Promise.race([this.source.read(), this.closed.then(() => { throw new Error("closed"); })]); } }',
      errors: 'leakyRace',
      suggestion: 'import { race } from \'leakproof\';\nclass S { read() { return race([this.source.read(), this.closed.then(() => { throw new Error("closed"); })]); } }',
    },
    {
      name: 'CommonJS: the import becomes a require',
      sourceType: 'commonjs',
      code: "'use strict';\nmodule.exports = function f(p) { return Promise.race([p, exports.closed, this.closed]); };",
      errors: 'leakyRace',
      suggestion: "'use strict';\nconst { race } = require('leakproof');\nmodule.exports = function f(p) { return race([p, exports.closed, this.closed]); };",
    },
    {
      name: 'a script: reported without a suggestion (no way to import)',
      sourceType: 'script',
      code: 'var closed = new Promise(function (r) { window.onunload = r; });\nfunction f(p) { return Promise.race([p, closed]); }',
      errors: 'leakyRace',
      suggestion: null,
    },
    {
      name: 'TypeScript: a private field with a non-null assertion',
      ts: true,
      code: 'class Conn {\n  #closed!: Promise<never>;\n  send(m: string): Promise<void> {\n    return Promise.race([this.write(m), this.#closed!]);\n  }\n  write(m: string): Promise<void> { return Promise.resolve(); }\n}',
      errors: 'leakyRace',
      suggestion:
        "import { race } from 'leakproof';\nclass Conn {\n  #closed!: Promise<never>;\n  send(m: string): Promise<void> {\n    return race([this.write(m), this.#closed!]);\n  }\n  write(m: string): Promise<void> { return Promise.resolve(); }\n}",
    },
    {
      name: 'TypeScript: a loop over an abort promise typed as never',
      ts: true,
      code: "import type { Readable } from 'node:stream';\nasync function drain(it: AsyncIterator<string>, aborted: Promise<never>) {\n  for (;;) {\n    const r = await Promise.race([it.next(), aborted]);\n    if (r.done) break;\n  }\n}\nexport { drain };",
      errors: 'leakyRace',
      suggestion:
        "import type { Readable } from 'node:stream';\nimport { race } from 'leakproof';\nasync function drain(it: AsyncIterator<string>, aborted: Promise<never>) {\n  for (;;) {\n    const r = await race([it.next(), aborted]);\n    if (r.done) break;\n  }\n}\nexport { drain };",
    },
  ],
});
