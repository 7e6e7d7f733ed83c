import { noUnboundedCache } from '../../src/eslint/rules/no-unbounded-cache.js';
import { ruleTests } from './tester.js';

ruleTests('no-unbounded-cache', noUnboundedCache, 'useLRU', {
  valid: [
    { name: 'a Map cleared on a timer', code: 'const cache = new Map();\nsetInterval(() => cache.clear(), 60_000).unref();\nexport function get(k) { if (!cache.has(k)) cache.set(k, load(k)); return cache.get(k); }' },
    { name: 'a Map with deletes', code: 'const pending = new Map();\nexport function start(id, job) { pending.set(id, job); job.finally(() => pending.delete(id)); }' },
    { name: 'a Map whose size is checked', code: 'const cache = new Map();\nexport function put(k, v) { if (cache.size > 100) return; cache.set(k, v); }' },
    { name: 'a WeakMap', code: 'const meta = new WeakMap();\nexport function tag(o) { meta.set(o, {}); }' },
    { name: 'an exported Map (another module may bound it)', code: 'export const registry = new Map();\nexport function register(k, v) { registry.set(k, v); }' },
    { name: 'a Map exported by name later', code: 'const registry = new Map();\nfunction register(k, v) { registry.set(k, v); }\nexport { registry, register };' },
    { name: 'a Map passed to other code', code: 'const cache = new Map();\ninstallPruner(cache);\nexport function put(k, v) { cache.set(k, v); }' },
    { name: 'a Map filled at module level only', code: "const names = new Map();\nnames.set('a', 1);\nnames.set('b', 2);\nexport const lookup = (k) => names.get(k);" },
    { name: 'a table filled at load through a helper called only from the top level', code: "const messages = new Map();\nfunction E(code, text) { messages.set(code, text); }\nE('ERR_A', 'a');\nE('ERR_B', 'b');\nexport const message = (code) => messages.get(code);" },
    { name: 'a lookup table built from entries', code: "const table = new Map([['a', 1]]);\nexport function add(k) { table.set(k, 2); }" },
    { name: 'an array that is spliced', code: 'const queue = [];\nexport function push(x) { queue.push(x); }\nexport function take() { return queue.splice(0, 1)[0]; }' },
    { name: 'an array whose length is checked', code: 'const log = [];\nexport function record(x) { if (log.length < 1000) log.push(x); }' },
    { name: 'an object written with fixed keys only', code: 'const state = {};\nexport function set(v) { state.value = v; state.updated = Date.now(); }' },
    { name: 'an object store with delete', code: 'const byId = Object.create(null);\nexport function add(o) { byId[o.id] = o; }\nexport function remove(id) { delete byId[id]; }' },
    { name: 'a let reassigned to a fresh Map', code: 'let cache = new Map();\nexport function put(k, v) { cache.set(k, v); }\nexport function reset() { cache = new Map(); }' },
    { name: 'a Map local to a function', code: 'export function dedupe(items) { const seen = new Map(); for (const i of items) seen.set(i.id, i); return [...seen.values()]; }' },
    { name: 'a leakproof LRU', code: "import { LRU } from 'leakproof';\nconst cache = new LRU({ max: 100 });\nexport function put(k, v) { cache.set(k, v); }" },
    { name: 'an instance Map (dies with its object)', code: 'class A { cache = new Map(); put(k, v) { this.cache.set(k, v); } }' },
    { name: 'TypeScript: a typed Map cleared in dispose', ts: true, code: 'const cache = new Map<string, Buffer>();\nexport function put(k: string, v: Buffer): void { cache.set(k, v); }\nexport function dispose(): void { cache.clear(); }' },
    { name: 'TypeScript: a class-static Map with delete', ts: true, code: 'class Pool {\n  static #byId = new Map<string, Pool>();\n  static add(p: Pool, id: string): void { Pool.#byId.set(id, p); }\n  static remove(id: string): void { Pool.#byId.delete(id); }\n}' },
    // Bounded key spaces: the keys cannot grow with the program's input.
    {
      name: "a keyword-regexp cache whose helper is only called with the module's constant word lists (acorn)",
      sourceType: 'commonjs',
      code: `var keywords = { 5: 'break case', 6: 'break case class const' };
var reservedWords = { 3: 'abstract', 5: 'class enum', strict: 'let static' };
var cache = Object.create(null);
function wordsRegexp(words) {
  return cache[words] || (cache[words] = new RegExp('^(?:' + words.replace(/ /g, '|') + ')$'));
}
function Parser(options) {
  this.keywords = wordsRegexp(keywords[options.ecmaVersion >= 6 ? 6 : 5]);
  var reserved = '';
  if (options.allowReserved !== true) {
    reserved = reservedWords[options.ecmaVersion >= 6 ? 6 : 5];
    if (options.sourceType === 'module') reserved += ' await';
  }
  var strict = (reserved ? reserved + ' ' : '') + reservedWords.strict;
  this.reservedWordsStrict = wordsRegexp(strict);
}
module.exports = Parser;`,
    },
    {
      name: 'instances keyed by a template of parameters that every internal caller passes as literals (fast-check)',
      code: `const instances = Object.create(null);
function getOrCreate(type, alphabet) {
  const key = \`\${type}:\${alphabet}\`;
  return instances[key] ?? (instances[key] = build(type, alphabet));
}
function unit(type, alphabet) { return getOrCreate(type, alphabet); }
export function string(kind) {
  switch (kind) {
    case 'grapheme': return unit('grapheme', 'full');
    case 'binary': return unit('binary', 'full');
    default: return unit('grapheme', 'ascii');
  }
}`,
    },
    {
      name: 'a Set of warning codes whose key is a local constant string (lru-cache)',
      code: `const warned = new Set();
export class Cache {
  constructor(options) {
    if (!options.max) {
      const code = 'CACHE_UNBOUNDED';
      if (!warned.has(code)) { warned.add(code); process.emitWarning('unbounded', 'Warning', code); }
    }
  }
}`,
    },
    {
      name: 'warn once: an early return on has(), then add() and emitWarning() with the same key',
      code: `const emitted = new Set();
export function deprecate(path, match) {
  if (emitted.has(path + '|' + match)) return;
  emitted.add(path + '|' + match);
  process.emitWarning(\`pattern \${match} in \${path} is deprecated\`, 'DeprecationWarning');
}`,
    },
    {
      name: 'warn once: add() and console.warn() inside if (!has())',
      code: "const seen = new Set();\nexport function warnOnce(message) {\n  if (!seen.has(message)) {\n    seen.add(message);\n    console.warn(message);\n  }\n}",
    },
    {
      name: 'a Map keyed by typeof and by a comparison (a handful of values)',
      code: 'const byType = new Map();\nexport function count(value) {\n  byType.set(typeof value, (byType.get(typeof value) ?? 0) + 1);\n  byType.set(value === null, true);\n}',
    },
    {
      name: 'a Map keyed by module-level constants evaluated once',
      code: "const DEFAULT = {};\nconst LEGACY = 'legacy';\nconst slots = new Map();\nexport function configure(v, old) { slots.set(old ? LEGACY : DEFAULT, v); }",
    },
    {
      name: 'a key with a default for the argument no caller passes',
      code: "const tables = new Map();\nfunction table(kind = 'main') { if (!tables.has(kind)) tables.set(kind, []); return tables.get(kind); }\nexport const main = () => table();\nexport const side = () => table('side');",
    },
    {
      name: 'TypeScript: a Record keyed by a parameter typed as a union, passed literals by an internal helper',
      ts: true,
      code: "type Mode = 'a' | 'b';\nconst compiled: Record<string, RegExp> = {};\nconst compile = (mode: Mode): RegExp => (compiled[mode] ??= new RegExp(mode));\nexport function match(text: string, strict: boolean): boolean { return compile(strict ? 'a' : 'b').test(text); }",
    },
  ],
  invalid: [
    {
      name: 'a memo Map that is never pruned',
      code: 'const cache = new Map();\nexport function parse(text) {\n  let hit = cache.get(text);\n  if (hit === undefined) { hit = compile(text); cache.set(text, hit); }\n  return hit;\n}',
      errors: 'unbounded',
      suggestion: "import { LRU } from 'leakproof';\nconst cache = new LRU({ max: 1000 });\nexport function parse(text) {\n  let hit = cache.get(text);\n  if (hit === undefined) { hit = compile(text); cache.set(text, hit); }\n  return hit;\n}",
    },
    {
      name: 'a Set of seen ids',
      code: 'const seen = new Set();\nexport function once(id) { if (seen.has(id)) return false; seen.add(id); return true; }',
      errors: 'unbounded',
      suggestion: null,
    },
    {
      name: 'an object used as a key/value store',
      code: 'const byUrl = {};\nexport function remember(url, body) { byUrl[url] = body; }\nexport const recall = (url) => byUrl[url];',
      errors: 'unbounded',
      suggestion: null,
    },
    {
      name: 'Object.create(null) as a store',
      code: 'const handlers = Object.create(null);\nexport function on(name, fn) { handlers[name + Math.random()] = fn; }',
      errors: 'unbounded',
      suggestion: null,
    },
    {
      name: 'a helper that fills the Map is also exported (callable after load)',
      code: "const messages = new Map();\nexport function E(code, text) { messages.set(code, text); }\nE('ERR_A', 'a');",
      errors: 'unbounded',
      suggestion: "import { LRU } from 'leakproof';\nconst messages = new LRU({ max: 1000 });\nexport function E(code, text) { messages.set(code, text); }\nE('ERR_A', 'a');",
    },
    {
      name: 'an array of history that only grows',
      code: 'const history = [];\nexport function track(event) { history.push({ event, at: Date.now() }); }',
      errors: 'unbounded',
      suggestion: null,
    },
    {
      name: 'a Map iterated but never shrunk (no suggestion: forEach is fine, iteration is not an LRU method)',
      code: 'const cache = new Map();\nexport function put(k, v) { cache.set(k, v); }\nexport function dump() { for (const [k] of cache) console.log(k); }',
      errors: 'unbounded',
      suggestion: null,
    },
    {
      name: 'a class-static cache',
      code: 'class Template {\n  static cache = new Map();\n  static get(src) {\n    if (!Template.cache.has(src)) Template.cache.set(src, new Template(src));\n    return Template.cache.get(src);\n  }\n}',
      errors: 'unbounded',
      suggestion: "import { LRU } from 'leakproof';\nclass Template {\n  static cache = new LRU({ max: 1000 });\n  static get(src) {\n    if (!Template.cache.has(src)) Template.cache.set(src, new Template(src));\n    return Template.cache.get(src);\n  }\n}",
    },
    {
      name: 'a class-static cache reached through this in a static method',
      code: 'class Model { static #instances = new Map(); static of(id) { this.#instances.set(id, new Model()); return this.#instances.get(id); } }',
      errors: 'unbounded',
      suggestion: "import { LRU } from 'leakproof';\nclass Model { static #instances = new LRU({ max: 1000 }); static of(id) { this.#instances.set(id, new Model()); return this.#instances.get(id); } }",
    },
    {
      name: 'CommonJS: the LRU comes from require',
      sourceType: 'commonjs',
      code: 'const cache = new Map();\nmodule.exports.get = (k) => { if (!cache.has(k)) cache.set(k, load(k)); return cache.get(k); };',
      errors: 'unbounded',
      suggestion: "const { LRU } = require('leakproof');\nconst cache = new LRU({ max: 1000 });\nmodule.exports.get = (k) => { if (!cache.has(k)) cache.set(k, load(k)); return cache.get(k); };",
    },
    {
      name: 'a var in a script (no suggestion: no import possible)',
      sourceType: 'script',
      code: 'var memo = new Map();\nfunction fib(n) { if (memo.has(n)) return memo.get(n); var r = n < 2 ? n : fib(n - 1) + fib(n - 2); memo.set(n, r); return r; }',
      errors: 'unbounded',
      suggestion: null,
    },
    {
      name: 'TypeScript: a typed Map with a non-null get',
      ts: true,
      code: 'const sessions = new Map<string, { user: string }>();\nexport function login(id: string, user: string): void { sessions.set(id, { user }); }\nexport const who = (id: string): string => sessions.get(id)!.user;',
      errors: 'unbounded',
      suggestion: "import { LRU } from 'leakproof';\nconst sessions = new LRU<string, { user: string }>({ max: 1000 });\nexport function login(id: string, user: string): void { sessions.set(id, { user }); }\nexport const who = (id: string): string => sessions.get(id)!.user;",
    },
    {
      name: 'TypeScript: a Record store',
      ts: true,
      code: 'const counters: Record<string, number> = {};\nexport function bump(key: string): void { counters[key] = (counters[key] ?? 0) + 1; }',
      errors: 'unbounded',
      suggestion: null,
    },
    // Near-misses of the bounded-key exemptions: the same shapes with keys from input.
    {
      name: 'the keyword-regexp helper, exported (any caller may pass any words)',
      sourceType: 'commonjs',
      code: "var cache = Object.create(null);\nfunction wordsRegexp(words) { return cache[words] || (cache[words] = new RegExp(words)); }\nexports.wordsRegexp = wordsRegexp;\nwordsRegexp('a b');",
      errors: 'unbounded',
      suggestion: null,
    },
    {
      name: 'the internal helper, called once with a parameter of an exported function',
      code: "const instances = Object.create(null);\nfunction getOrCreate(type, alphabet) {\n  const key = `${type}:${alphabet}`;\n  return instances[key] ?? (instances[key] = build(type, alphabet));\n}\nexport function string(alphabet) { return alphabet ? getOrCreate('grapheme', alphabet) : getOrCreate('binary', 'full'); }",
      errors: 'unbounded',
      suggestion: null,
    },
    {
      name: 'the internal helper, also handed out as a callback',
      code: "const cache = new Map();\nfunction load(name) { if (!cache.has(name)) cache.set(name, read(name)); return cache.get(name); }\nexport const all = (names) => names.map(load);\nexport const main = () => load('main');",
      errors: 'unbounded',
      suggestion: "import { LRU } from 'leakproof';\nconst cache = new LRU({ max: 1000 });\nfunction load(name) { if (!cache.has(name)) cache.set(name, read(name)); return cache.get(name); }\nexport const all = (names) => names.map(load);\nexport const main = () => load('main');",
    },
    {
      name: 'a key built with += in a loop (a new string per iteration)',
      code: "const cache = new Map();\nexport function build(n) {\n  let key = '';\n  for (let i = 0; i < n; i++) key += 'x';\n  cache.set(key, n);\n}",
      errors: 'unbounded',
      suggestion: "import { LRU } from 'leakproof';\nconst cache = new LRU({ max: 1000 });\nexport function build(n) {\n  let key = '';\n  for (let i = 0; i < n; i++) key += 'x';\n  cache.set(key, n);\n}",
    },
    {
      name: 'a key read from a table that the module also writes to',
      code: "const names = { a: 'x' };\nconst cache = new Map();\nexport function learn(k, v) { names[k] = v; }\nexport function get(k) { cache.set(names[k], 1); }",
      errors: 'unbounded',
      suggestion: "import { LRU } from 'leakproof';\nconst names = { a: 'x' };\nconst cache = new LRU({ max: 1000 });\nexport function learn(k, v) { names[k] = v; }\nexport function get(k) { cache.set(names[k], 1); }",
    },
    {
      name: 'a parameter reassigned from input before it keys the cache',
      code: "const cache = Object.create(null);\nfunction get(kind) { kind = kind + Date.now(); return cache[kind] ??= {}; }\nexport const main = () => get('main');",
      errors: 'unbounded',
      suggestion: null,
    },
    {
      name: 'a key from a module-level counter bumped on every call',
      code: "let next = 0;\nconst jobs = new Map();\nexport function submit(job) { next = next + 1; jobs.set(next, job); return next; }",
      errors: 'unbounded',
      suggestion: "import { LRU } from 'leakproof';\nlet next = 0;\nconst jobs = new LRU({ max: 1000 });\nexport function submit(job) { next = next + 1; jobs.set(next, job); return next; }",
    },
    {
      name: 'a parameter rewritten through arguments in sloppy code',
      sourceType: 'script',
      code: "var cache = Object.create(null);\nfunction get(kind) { arguments[0] = String(Math.random()); return cache[kind] || (cache[kind] = {}); }\nfunction main() { return get('main'); }",
      errors: 'unbounded',
      suggestion: null,
    },
    {
      name: 'a dedupe Set with the has-check but no warning (it only remembers)',
      code: 'const seen = new Set();\nexport function first(id) {\n  if (seen.has(id)) return false;\n  seen.add(id);\n  return true;\n}',
      errors: 'unbounded',
      suggestion: null,
    },
    {
      name: 'a warning with a has-check of another key',
      code: "const seen = new Set();\nexport function warn2(code, detail) {\n  if (!seen.has(code)) {\n    seen.add(code + detail);\n    console.warn(code, detail);\n  }\n}",
      errors: 'unbounded',
      suggestion: null,
    },
    {
      name: 'a warning printed but nothing checks has() first',
      code: 'const seen = new Set();\nexport function note(message) {\n  seen.add(message);\n  console.warn(message);\n}',
      errors: 'unbounded',
      suggestion: null,
    },
    {
      name: 'a Map keyed by a fresh object literal (a new key per call)',
      code: "const cache = new Map();\nexport function tag(v) { cache.set({ v }, 'x'); }",
      errors: 'unbounded',
      suggestion: "import { LRU } from 'leakproof';\nconst cache = new LRU({ max: 1000 });\nexport function tag(v) { cache.set({ v }, 'x'); }",
    },
    {
      name: 'TypeScript: the union-typed helper exported (types do not bound the key at run time)',
      ts: true,
      code: "type Mode = 'a' | 'b';\nconst compiled: Record<string, RegExp> = {};\nexport const compile = (mode: Mode): RegExp => (compiled[mode] ??= new RegExp(mode));",
      errors: 'unbounded',
      suggestion: null,
    },
  ],
});
