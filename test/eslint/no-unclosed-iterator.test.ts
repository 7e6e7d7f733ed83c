import { noUnclosedIterator } from '../../src/eslint/rules/no-unclosed-iterator.js';
import { ruleTests } from './tester.js';

ruleTests('no-unclosed-iterator', noUnclosedIterator, 'wrapInFinally', {
  valid: [
    {
      name: 'tRPC rc.601 style: the loop is closed in finally',
      code: `async function serve(iterable, signal) {
  const iterator = iterable[Symbol.asyncIterator]();
  try {
    while (true) {
      const next = await iterator.next();
      if (next.done || signal.aborted) break;
      await send(next.value);
    }
  } finally {
    await iterator.return?.();
  }
}`,
    },
    { name: 'for await closes on break by itself', code: 'async function f(src) { for await (const x of src) { if (x) break; } }' },
    {
      name: 'a loop that only ends when the iterator is done',
      code: 'async function f(src) { const it = src[Symbol.asyncIterator](); let r; while (!(r = await it.next()).done) use(r.value); }',
    },
    { name: 'an iterator passed in by the caller', code: 'async function f(it) { while (true) { const r = await it.next(); if (r.done || r.value === 0) break; } }' },
    { name: 'a sync array iterator', code: 'function f(a) { const it = a[Symbol.iterator](); while (true) { const r = it.next(); if (r.done || r.value > 3) break; } }' },
    { name: 'a next() call outside any loop', code: 'async function f(src) { const it = src[Symbol.asyncIterator](); const first = await it.next(); return first.value; }' },
    { name: 'an iterator declared with await using', code: 'async function f(src) { await using it = src[Symbol.asyncIterator](); while (true) { const r = await it.next(); if (r.done) break; if (r.value) return r.value; } }' },
    { name: 'a break only out of an inner switch', code: 'async function f(src) { const it = src[Symbol.asyncIterator](); let r; while (!(r = await it.next()).done) { switch (r.value) { case 1: use(); break; default: } } }' },
    { name: 'a break only out of an inner loop', code: 'async function f(src) { const it = src[Symbol.asyncIterator](); let r; while (!(r = await it.next()).done) { for (const x of r.value) { if (x) break; } } }' },
    { name: 'a return inside a nested callback', code: 'async function f(src) { const it = src[Symbol.asyncIterator](); let r; while (!(r = await it.next()).done) r.value.forEach((x) => { if (x) return; use(x); }); }' },
    { name: 'a finally with a plain return() call', code: 'async function f(src) { const it = src[Symbol.asyncIterator](); try { for (;;) { const r = await it.next(); if (r.done || r.value) break; } } finally { await it.return(); } }' },
    { name: 'pump from leakproof', code: "import { pump } from 'leakproof';\nawait pump(source, (v) => send(v), { signal });" },
    { name: 'a generator closed in finally', code: 'function* g() { yield 1; }\nfunction f() { const it = g(); try { while (true) { const r = it.next(); if (r.done || r.value) return r.value; } } finally { it.return?.(); } }' },
    { name: 'a next() on a member (not a local iterator)', code: 'async function f() { while (true) { const r = await this.it.next(); if (r.done) break; if (r.value) return; } }' },
    { name: 'TypeScript: a typed iterator closed in finally', ts: true, code: 'export async function first(src: AsyncIterable<number>): Promise<number | undefined> {\n  const it: AsyncIterator<number> = src[Symbol.asyncIterator]();\n  try {\n    for (;;) { const r = await it.next(); if (r.done) return undefined; if (r.value > 0) return r.value; }\n  } finally { await it.return?.(); }\n}' },
    { name: 'TypeScript: a sync iterator of a Map', ts: true, code: 'export function firstKey(m: Map<string, number>): string | undefined { const it = m.keys(); while (true) { const r = it.next(); if (r.done) return undefined; if (r.value) return r.value; } }' },
  ],
  invalid: [
    {
      name: 'tRPC rc.599 ws adapter: return() after the loop, not in finally',
      code: `async function serve(iterable, abortPromise) {
  const iterator = iterable[Symbol.asyncIterator]();
  while (true) {
    const next = await Promise.race([iterator.next().catch(toError), abortPromise]);
    if (next === 'abort') { await iterator.return?.(); break; }
    if (next instanceof Error) { respond(next); break; }
    if (next.done) break;
    respond(next.value);
  }
  await iterator.return?.();
}`,
      errors: 'unclosed',
      suggestion: `async function serve(iterable, abortPromise) {
  const iterator = iterable[Symbol.asyncIterator]();
  try {
    while (true) {
    const next = await Promise.race([iterator.next().catch(toError), abortPromise]);
    if (next === 'abort') { await iterator.return?.(); break; }
    if (next instanceof Error) { respond(next); break; }
    if (next.done) break;
    respond(next.value);
  }
  } finally {
    await iterator.return?.();
  }
  await iterator.return?.();
}`,
    },
    {
      name: 'a break on a value',
      code: 'async function f(src) {\n  const it = src[Symbol.asyncIterator]();\n  while (true) {\n    const r = await it.next();\n    if (r.done || r.value === stop) break;\n  }\n}',
      errors: 'unclosed',
      suggestion: 'async function f(src) {\n  const it = src[Symbol.asyncIterator]();\n  try {\n    while (true) {\n    const r = await it.next();\n    if (r.done || r.value === stop) break;\n  }\n  } finally {\n    await it.return?.();\n  }\n}',
    },
    {
      name: 'a return from the loop',
      code: 'async function find(src, p) { const it = src[Symbol.asyncIterator](); for (;;) { const r = await it.next(); if (r.done) return; if (p(r.value)) return r.value; } }',
      errors: 'unclosed',
      suggestion: 'async function find(src, p) { const it = src[Symbol.asyncIterator](); try {\n  for (;;) { const r = await it.next(); if (r.done) return; if (p(r.value)) return r.value; }\n} finally {\n  await it.return?.();\n} }',
    },
    {
      name: 'a throw on abort',
      code: 'async function f(src, signal) { const it = src[Symbol.asyncIterator](); let r; while (!(r = await it.next()).done) { if (signal.aborted) throw signal.reason; use(r.value); } }',
      errors: 'unclosed',
      suggestion: 'async function f(src, signal) { const it = src[Symbol.asyncIterator](); let r; try {\n  while (!(r = await it.next()).done) { if (signal.aborted) throw signal.reason; use(r.value); }\n} finally {\n  await it.return?.();\n} }',
    },
    {
      name: 'an await that may reject',
      code: 'async function f(src) { const it = src[Symbol.asyncIterator](); let r; while (!(r = await it.next()).done) await save(r.value); }',
      errors: 'unclosed',
      suggestion: 'async function f(src) { const it = src[Symbol.asyncIterator](); let r; try {\n  while (!(r = await it.next()).done) await save(r.value);\n} finally {\n  await it.return?.();\n} }',
    },
    {
      name: 'a yield in a wrapping generator',
      code: 'async function* map(src, f) { const it = src[Symbol.asyncIterator](); let r; while (!(r = await it.next()).done) yield f(r.value); }',
      errors: 'unclosed',
      suggestion: 'async function* map(src, f) { const it = src[Symbol.asyncIterator](); let r; try {\n  while (!(r = await it.next()).done) yield f(r.value);\n} finally {\n  await it.return?.();\n} }',
    },
    {
      name: 'a same-file generator read synchronously',
      code: 'function* lines() { yield 1; }\nfunction first() { const it = lines(); while (true) { const r = it.next(); if (r.done || r.value) return r.value; } }',
      errors: 'unclosed',
      suggestion: 'function* lines() { yield 1; }\nfunction first() { const it = lines(); try {\n  while (true) { const r = it.next(); if (r.done || r.value) return r.value; }\n} finally {\n  it.return?.();\n} }',
    },
    {
      name: 'a labelled break out of the loop',
      code: 'async function f(src) { const it = src[Symbol.asyncIterator](); outer: while (true) { const r = await it.next(); for (const x of r.value) { if (x) break outer; } } }',
      errors: 'unclosed',
      suggestion: 'async function f(src) { const it = src[Symbol.asyncIterator](); try {\n  outer: while (true) { const r = await it.next(); for (const x of r.value) { if (x) break outer; } }\n} finally {\n  await it.return?.();\n} }',
    },
    {
      name: 'a finally that does not close this iterator',
      code: 'async function f(a, b) { const it = a[Symbol.asyncIterator](); const other = b[Symbol.asyncIterator](); try { while (true) { const r = await it.next(); if (r.done || r.value) break; } } finally { await other.return?.(); } }',
      errors: 'unclosed',
      suggestion: 'async function f(a, b) { const it = a[Symbol.asyncIterator](); const other = b[Symbol.asyncIterator](); try { try {\n  while (true) { const r = await it.next(); if (r.done || r.value) break; }\n} finally {\n  await it.return?.();\n} } finally { await other.return?.(); } }',
    },
    {
      name: 'an iterator from a stream method, awaited',
      code: 'async function head(stream) { const it = stream.iterator(); const r = []; while (r.length < 3) { const n = await it.next(); if (n.done) break; r.push(n.value); } return r; }',
      errors: 'unclosed',
      suggestion: 'async function head(stream) { const it = stream.iterator(); const r = []; try {\n  while (r.length < 3) { const n = await it.next(); if (n.done) break; r.push(n.value); }\n} finally {\n  await it.return?.();\n} return r; }',
    },
    {
      name: 'TypeScript: a typed async iterator with a break',
      ts: true,
      code: 'export async function take(src: AsyncIterable<string>, n: number): Promise<string[]> {\n  const out: string[] = [];\n  const it = src[Symbol.asyncIterator]();\n  while (out.length < n) {\n    const r = await it.next();\n    if (r.done) break;\n    out.push(r.value);\n  }\n  return out;\n}',
      errors: 'unclosed',
      suggestion: 'export async function take(src: AsyncIterable<string>, n: number): Promise<string[]> {\n  const out: string[] = [];\n  const it = src[Symbol.asyncIterator]();\n  try {\n    while (out.length < n) {\n    const r = await it.next();\n    if (r.done) break;\n    out.push(r.value);\n  }\n  } finally {\n    await it.return?.();\n  }\n  return out;\n}',
    },
  ],
});
