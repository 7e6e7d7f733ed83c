import { noUnboundedEventsOn } from '../../src/eslint/rules/no-unbounded-events-on.js';
import { ruleTests } from './tester.js';

ruleTests('no-unbounded-events-on', noUnboundedEventsOn, 'useLeakproof', {
  valid: [
    { name: 'with a signal', code: "import { on } from 'node:events';\nfor await (const [m] of on(socket, 'message', { signal })) handle(m);" },
    { name: 'with close events', code: "import { on } from 'events';\nfor await (const [line] of on(rl, 'line', { close: ['close'] })) use(line);" },
    { name: 'with a highWaterMark', code: "import { on } from 'node:events';\nfor await (const [c] of on(stream, 'data', { highWaterMark: 16 })) use(c);" },
    { name: 'options from a variable', code: "import { on } from 'node:events';\nfor await (const e of on(em, 'x', opts)) use(e);" },
    { name: 'options with a spread', code: "import { on } from 'node:events';\nfor await (const e of on(em, 'x', { ...defaults })) use(e);" },
    { name: 'leakproof on', code: "import { on } from 'leakproof';\nfor await (const [m] of on(socket, 'message')) handle(m);" },
    { name: 'an emitter method on()', code: "emitter.on('data', (d) => use(d));" },
    { name: 'on from another module', code: "import { on } from './bus.js';\non(bus, 'x');" },
    { name: 'a local function named on', code: "function on(a, b) {}\non(em, 'x');" },
    { name: 'EventEmitter from elsewhere', code: "import { EventEmitter } from 'eventemitter3';\nEventEmitter.on(em, 'x');" },
    { name: 'events.once', code: "import events from 'node:events';\nawait events.once(em, 'ready');" },
    { name: 'a namespace with a signal', code: "import * as events from 'node:events';\nevents.on(em, 'x', { signal: ac.signal });" },
    { name: 'a require with close', code: "const { on } = require('events');\non(em, 'x', { close: ['end'] });", sourceType: 'commonjs' },
    { name: 'an emitter instance of EventEmitter calls on()', code: "import { EventEmitter } from 'node:events';\nconst e = new EventEmitter();\ne.on('x', f);" },
    { name: 'TypeScript: on with a signal and type arguments', ts: true, code: "import { on } from 'node:events';\nexport async function f(s: NodeJS.EventEmitter, signal: AbortSignal): Promise<void> { for await (const [m] of on(s, 'message', { signal })) use(m as string); }" },
    { name: 'TypeScript: a typed options object', ts: true, code: "import { on } from 'node:events';\nconst options: { signal: AbortSignal } = { signal: AbortSignal.timeout(5) };\non(em, 'x', options);" },
  ],
  invalid: [
    {
      name: 'a named import from node:events: the import moves to leakproof',
      code: "import { on } from 'node:events';\nfor await (const [m] of on(socket, 'message')) handle(m);",
      errors: 'unbounded',
      suggestion: "import { on } from 'leakproof';\nfor await (const [m] of on(socket, 'message', { capacity: 1024 })) handle(m);",
    },
    {
      name: 'a named import next to once',
      code: "import { once, on } from 'events';\nawait once(em, 'ready');\nfor await (const e of on(em, 'data')) use(e);",
      errors: 'unbounded',
      suggestion: "import { once } from 'events';\nimport { on } from 'leakproof';\nawait once(em, 'ready');\nfor await (const e of on(em, 'data', { capacity: 1024 })) use(e);",
    },
    {
      name: 'a named import before other names',
      code: "import { on, once } from 'events';\nfor await (const e of on(em, 'data')) use(e);",
      errors: 'unbounded',
      suggestion: "import { once } from 'events';\nimport { on } from 'leakproof';\nfor await (const e of on(em, 'data', { capacity: 1024 })) use(e);",
    },
    {
      name: 'the default export',
      code: "import events from 'node:events';\nfor await (const e of events.on(em, 'data')) use(e);",
      errors: 'unbounded',
      suggestion: "import events from 'node:events';\nimport { on } from 'leakproof';\nfor await (const e of on(em, 'data', { capacity: 1024 })) use(e);",
    },
    {
      name: 'a namespace import with empty options',
      code: "import * as events from 'events';\nfor await (const e of events.on(em, 'data', {})) use(e);",
      errors: 'unbounded',
      suggestion: "import * as events from 'events';\nimport { on } from 'leakproof';\nfor await (const e of on(em, 'data', { capacity: 1024 })) use(e);",
    },
    {
      name: 'EventEmitter.on',
      code: "import { EventEmitter } from 'node:events';\nfor await (const e of EventEmitter.on(em, 'data')) use(e);",
      errors: 'unbounded',
      suggestion: "import { EventEmitter } from 'node:events';\nimport { on } from 'leakproof';\nfor await (const e of on(em, 'data', { capacity: 1024 })) use(e);",
    },
    {
      name: 'options without a bound (no suggestion: leakproof on rejects unknown options)',
      code: "import { on } from 'node:events';\nfor await (const e of on(em, 'data', { lowWaterMark: 1 })) use(e);",
      errors: 'unbounded',
      suggestion: null,
    },
    {
      name: 'an aliased import used as a value too (no suggestion)',
      code: "import { on as eventsOn } from 'node:events';\nconst f = eventsOn;\nfor await (const e of eventsOn(em, 'data')) use(e);",
      errors: 'unbounded',
      suggestion: null,
    },
    {
      name: 'CommonJS: a destructured require',
      sourceType: 'commonjs',
      code: "const { on } = require('node:events');\n(async () => { for await (const e of on(em, 'data')) use(e); })();",
      errors: 'unbounded',
      suggestion: null,
    },
    {
      name: 'CommonJS: require(events).on',
      sourceType: 'commonjs',
      code: "const events = require('events');\nmodule.exports = async function* f(em) { yield* events.on(em, 'data'); };",
      errors: 'unbounded',
      suggestion: "const { on } = require('leakproof');\nconst events = require('events');\nmodule.exports = async function* f(em) { yield* on(em, 'data', { capacity: 1024 }); };",
    },
    {
      name: 'TypeScript: a typed consumer',
      ts: true,
      code: "import { on } from 'node:events';\nexport async function pipe(s: NodeJS.EventEmitter): Promise<void> {\n  for await (const [chunk] of on(s, 'data') as AsyncIterableIterator<[Buffer]>) write(chunk);\n}",
      errors: 'unbounded',
      suggestion: "import { on } from 'leakproof';\nexport async function pipe(s: NodeJS.EventEmitter): Promise<void> {\n  for await (const [chunk] of on(s, 'data', { capacity: 1024 }) as AsyncIterableIterator<[Buffer]>) write(chunk);\n}",
    },
  ],
});
