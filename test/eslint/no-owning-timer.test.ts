import { noOwningTimer } from '../../src/eslint/rules/no-owning-timer.js';
import { ruleTests } from './tester.js';

ruleTests('no-owning-timer', noOwningTimer, 'useWeak', {
  valid: [
    {
      name: 'Node http.Server after #48611: the interval starts on listen and is cleared in close',
      code: `class Server {
  listen(port) {
    this.checkInterval = setInterval(checkConnections.bind(this), 30_000).unref();
  }
  close() {
    clearInterval(this.checkInterval);
  }
}`,
    },
    { name: 'a timer cleared in close()', code: 'class Poller { start() { this.t = setInterval(() => this.poll(), 1000); } close() { clearInterval(this.t); } }' },
    { name: 'a timer cleared in [Symbol.dispose]', code: 'class Poller { t = setInterval(() => this.poll(), 1000); [Symbol.dispose]() { clearInterval(this.t); } }' },
    { name: 'a timer closed through a helper that close() calls', code: 'class P { start() { this.t = setInterval(() => this.poll(), 1000); } #stopTimer() { clearInterval(this.t); } destroy() { this.#stopTimer(); } }' },
    { name: 'a timer disposed in stop()', code: 'class P { start() { this.t = setInterval(() => this.poll(), 1000); } stop() { this.t[Symbol.dispose](); } }' },
    { name: 'a timer whose callback does not touch the instance', code: 'class A { constructor() { setInterval(() => metrics.flush(), 1000).unref(); } }' },
    { name: 'a one-shot timeout using this', code: 'class A { later() { setTimeout(() => this.done(), 10); } }' },
    { name: 'a timer outside any class', code: 'function start(server) { setInterval(() => server.check(), 1000); }' },
    { name: 'a weakInterval', code: "import { weakInterval } from 'leakproof';\nclass S { #t = weakInterval(this, (s) => s.check(), 1000); check() {} }" },
    { name: 'a nested plain function does not see this', code: 'class A { m() { setInterval(function () { tick(); }, 1000); } }' },
    { name: 'a re-arming timeout cleared in close()', code: 'class P { schedule() { this.t = setTimeout(() => { this.poll(); this.schedule(); }, 1000); } close() { clearTimeout(this.t); } }' },
    { name: 'a local setInterval that is not the global', code: 'const setInterval = (f) => f;\nclass A { m() { setInterval(() => this.x(), 1); } }' },
    { name: 'vitest summary reporter (corpus): cleared in a lifecycle method ending in End', code: 'class Reporter { startTimers() { this.d = setInterval(() => { this.duration = now(); }, 100).unref(); } onTestRunEnd() { clearInterval(this.d); } }' },
    { name: 'a timer cleared in a _close method', code: 'class A { constructor() { this._t = setInterval(this._tick.bind(this), 5); } _close() { clearInterval(this._t); } }' },
    {
      name: 'a weak-timer handle: the timer owns the handle, the handle reaches its owner weakly',
      code: 'class Handle {\n  constructor(target, ms) {\n    this.ref = new WeakRef(target);\n    const timer = setInterval(tick, ms, this);\n    timer.unref();\n    this.timer = timer;\n  }\n  release() { const timer = this.timer; clearInterval(timer); }\n}',
    },
    { name: 'TypeScript: a field timer cleared in dispose()', ts: true, code: 'class Cache {\n  #timer: NodeJS.Timeout = setInterval(() => this.prune(), 60_000);\n  prune(): void {}\n  dispose(): void { clearInterval(this.#timer); }\n}' },
    { name: 'TypeScript: a started timer cleared in close with a non-null assertion', ts: true, code: 'class W {\n  private timer?: NodeJS.Timeout;\n  start(): void { this.timer = setInterval(() => this.tick(), 100); }\n  tick(): void {}\n  close(): void { clearInterval(this.timer!); }\n}' },
  ],
  invalid: [
    {
      name: 'Node http.Server before #48611: an unref\'d interval started in the constructor',
      code: `class Server {
  constructor() {
    this.checkInterval = setInterval(checkConnections.bind(this), 30_000).unref();
  }
  close() {
    clearInterval(this.checkInterval);
  }
}`,
      errors: 'owning',
      suggestion: null,
    },
    {
      name: 'a bound method, unref\'d in the constructor: rewritten to weakInterval',
      code: 'class Server {\n  constructor() {\n    this.timer = setInterval(this.check.bind(this), 1000).unref();\n  }\n  check() {}\n  close() { clearInterval(this.timer); }\n}',
      errors: 'owning',
      suggestion:
        "import { weakInterval } from 'leakproof';\nclass Server {\n  constructor() {\n    this.timer = weakInterval(this, (self) => self.check(), 1000);\n  }\n  check() {}\n  close() { this.timer?.[Symbol.dispose](); }\n}",
    },
    {
      name: 'an arrow using this, never stored: rewritten keeping the process alive',
      code: 'class Heartbeat {\n  start() { setInterval(() => { this.beat(); }, 5000); }\n  beat() {}\n}',
      errors: 'owning',
      suggestion: "import { weakInterval } from 'leakproof';\nclass Heartbeat {\n  start() { weakInterval(this, (self) => { self.beat(); }, 5000, { unref: false }); }\n  beat() {}\n}",
    },
    {
      name: 'a stored timer never cleared',
      code: 'class Poller { start() { this.t = setInterval(() => this.poll(), 1000); } poll() {} }',
      errors: 'owning',
      suggestion: "import { weakInterval } from 'leakproof';\nclass Poller { start() { this.t = weakInterval(this, (self) => self.poll(), 1000, { unref: false }); } poll() {} }",
    },
    {
      name: 'a field initialiser timer without a close',
      code: 'class Stats { #t = setInterval(() => this.flush(), 10_000); flush() {} }',
      errors: 'owning',
      suggestion: "import { weakInterval } from 'leakproof';\nclass Stats { #t = weakInterval(this, (self) => self.flush(), 10_000, { unref: false }); flush() {} }",
    },
    {
      name: 'an alias of this in a plain function',
      code: 'class A { start() { const self = this; setInterval(function () { self.tick(); }, 100); } tick() {} }',
      errors: 'owning',
      suggestion: null,
    },
    {
      name: 'this passed as an extra argument',
      code: 'class A { start() { setInterval(tick, 100, this); } }',
      errors: 'owning',
      suggestion: null,
    },
    {
      name: 'a re-arming timeout that nothing clears',
      code: 'class Poller {\n  schedule() { this.t = setTimeout(() => { this.poll(); this.schedule(); }, 1000); }\n  poll() {}\n}',
      errors: 'owning',
      suggestion:
        "import { weakTimeout } from 'leakproof';\nclass Poller {\n  schedule() { this.t = weakTimeout(this, (self) => { self.poll(); self.schedule(); }, 1000, { unref: false }); }\n  poll() {}\n}",
    },
    {
      name: 'a timer cleared only in an ordinary method',
      code: 'class A { start() { this.t = setInterval(() => this.x(), 9); } onIdle() { clearInterval(this.t); } }',
      errors: 'owning',
      suggestion: "import { weakInterval } from 'leakproof';\nclass A { start() { this.t = weakInterval(this, (self) => self.x(), 9, { unref: false }); } onIdle() { this.t?.[Symbol.dispose](); } }",
    },
    {
      name: 'globalThis.setInterval',
      code: 'class A { constructor() { globalThis.setInterval(() => this.x(), 9); } }',
      errors: 'owning',
      suggestion: "import { weakInterval } from 'leakproof';\nclass A { constructor() { weakInterval(this, (self) => self.x(), 9, { unref: false }); } }",
    },
    {
      name: 'a handle used beyond clearing (refresh) gets no suggestion',
      code: 'class A { start() { this.t = setInterval(() => this.x(), 9); this.t.refresh(); } }',
      errors: 'owning',
      suggestion: null,
    },
    {
      name: 'TypeScript: a private field timer unref\'d at construction',
      ts: true,
      code: 'export class Pool {\n  readonly #reaper: NodeJS.Timeout;\n  constructor() {\n    this.#reaper = setInterval(() => this.reap(), 1000).unref();\n  }\n  reap(): void {}\n}',
      errors: 'owning',
      suggestion:
        "import { weakInterval } from 'leakproof';\nexport class Pool {\n  readonly #reaper: NodeJS.Timeout;\n  constructor() {\n    this.#reaper = weakInterval(this, (self) => self.reap(), 1000);\n  }\n  reap(): void {}\n}",
    },
    {
      name: 'TypeScript: a bound private method with a type assertion',
      ts: true,
      code: 'class Watcher {\n  private timer = setInterval(this.scan.bind(this) as () => void, 500);\n  scan(): void {}\n}',
      errors: 'owning',
      suggestion:
        "import { weakInterval } from 'leakproof';\nclass Watcher {\n  private timer = weakInterval(this, (self) => self.scan(), 500, { unref: false });\n  scan(): void {}\n}",
    },
  ],
});
