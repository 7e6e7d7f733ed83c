// Shortest retainer paths in a parsed heap snapshot, told in a developer's
// words.
//
// Leak it diagnoses: see explain.ts. This file holds the search and the
// translation of V8's graph (contexts, promise reactions, hash tables, hidden
// slots) into the names a developer wrote: variables, closures, listeners,
// timers, Map entries, `.then` reactions.
//
// Invariant: only strong edges are followed (`weak` edges – WeakRef targets,
// WeakMap keys, FinalizationRegistry cells, weak handles – never are), so a
// path found is a reason the object cannot be collected. Roots on the stack
// (the running and suspended frames) are searched only when nothing else
// reaches the object: a path through the test's own `await` is true but says
// nothing about the leak.

import type { RetainerExplanation, RetainerStep } from './errors.js';
import type { HeapSnapshot } from './heap-snapshot.js';

/** Breadth-first search result: for each node, how it was first reached. */
export interface Reach {
  /** Parent node ordinal, or -1 when unreached (the root is its own parent). */
  readonly parent: Int32Array;
  /** Index into `edges` of the edge from the parent, or -1. */
  readonly parentEdge: Int32Array;
}

/**
 * Breadth-first search from the snapshot's root over strong edges, first
 * without the stack and handle-scope roots, then (only for `targets` not yet
 * reached) with them. Stops early once every target is reached.
 */
export function searchFromRoots(snapshot: HeapSnapshot, targets: readonly number[]): Reach {
  const parent = new Int32Array(snapshot.nodeCount).fill(-1);
  const parentEdge = new Int32Array(snapshot.nodeCount).fill(-1);
  const deferred = deferredRoots(snapshot);
  bfs(snapshot, parent, parentEdge, [0], deferred, targets);
  if (targets.some((t) => parent[t] === -1)) {
    // Second pass: continue from the deferred roots over what is still unreached.
    const seeds: number[] = [];
    for (const [root, from, edge] of deferred.entries) {
      if (parent[root] !== -1) continue;
      parent[root] = from;
      parentEdge[root] = edge;
      seeds.push(root);
    }
    bfs(snapshot, parent, parentEdge, seeds, undefined, targets);
  }
  return { parent, parentEdge };
}

interface Deferred {
  set: Set<number>;
  entries: Array<[node: number, from: number, edge: number]>;
}

// The GC sub-roots searched only as a fallback: frames and handles ("(Stack
// roots)", "(Handle scope)"), and V8's "(Strong roots)", which on Node 22 can
// reach a module's objects directly (through compiled code) and would then be
// the shortest path – true, but not the holder a developer can act on.
function deferredRoots(snapshot: HeapSnapshot): Deferred {
  const set = new Set<number>();
  const entries: Deferred['entries'] = [];
  const { edges, firstEdge, edgeField, nodeFieldCount } = snapshot;
  const visit = (from: number): void => {
    for (let e = firstEdge[from]!; e < firstEdge[from + 1]!; e += snapshot.edgeFieldCount) {
      const to = edges[e + edgeField.toNode]! / nodeFieldCount;
      const name = nodeName(snapshot, to);
      if (name === '(GC roots)') visit(to);
      else if (name === '(Stack roots)' || name === '(Handle scope)' || name === '(Strong roots)') {
        set.add(to);
        entries.push([to, from, e]);
      }
    }
  };
  visit(0);
  return { set, entries };
}

function bfs(
  snapshot: HeapSnapshot,
  parent: Int32Array,
  parentEdge: Int32Array,
  seeds: readonly number[],
  deferred: Deferred | undefined,
  targets: readonly number[],
): void {
  const { edges, firstEdge, edgeField, nodeFieldCount, edgeFieldCount } = snapshot;
  const weak = snapshot.edgeTypes.indexOf('weak');
  const queue = new Uint32Array(snapshot.nodeCount);
  let head = 0;
  let tail = 0;
  for (const seed of seeds) {
    if (parent[seed] === -1) parent[seed] = seed;
    queue[tail++] = seed;
  }
  let remaining = targets.filter((t) => parent[t] === -1).length;
  const wanted = new Set(targets);
  while (head < tail && remaining > 0) {
    const node = queue[head++]!;
    for (let e = firstEdge[node]!; e < firstEdge[node + 1]!; e += edgeFieldCount) {
      if (edges[e + edgeField.type] === weak) continue;
      const to = edges[e + edgeField.toNode]! / nodeFieldCount;
      if (parent[to] !== -1 || deferred?.set.has(to)) continue;
      parent[to] = node;
      parentEdge[to] = e;
      queue[tail++] = to;
      if (wanted.has(to)) remaining--;
    }
  }
}

// ---------------------------------------------------------------------------
// Reading nodes and edges.
// ---------------------------------------------------------------------------

function nodeName(s: HeapSnapshot, node: number): string {
  return s.strings[s.nodes[node * s.nodeFieldCount + s.nodeField.name]!] ?? '';
}

function nodeType(s: HeapSnapshot, node: number): string {
  return s.nodeTypes[s.nodes[node * s.nodeFieldCount + s.nodeField.type]!] ?? '';
}

function edgeType(s: HeapSnapshot, edge: number): string {
  return s.edgeTypes[s.edges[edge + s.edgeField.type]!] ?? '';
}

function edgeTo(s: HeapSnapshot, edge: number): number {
  return s.edges[edge + s.edgeField.toNode]! / s.nodeFieldCount;
}

/** The edge's name (property, variable, internal field) or its index as a number. */
function edgeName(s: HeapSnapshot, edge: number): string | number {
  const value = s.edges[edge + s.edgeField.nameOrIndex]!;
  const type = edgeType(s, edge);
  return type === 'element' || type === 'hidden' ? value : (s.strings[value] ?? '');
}

function* edgesOf(s: HeapSnapshot, node: number): Generator<number> {
  for (let e = s.firstEdge[node]!; e < s.firstEdge[node + 1]!; e += s.edgeFieldCount) yield e;
}

function findEdge(s: HeapSnapshot, node: number, name: string | number): number {
  for (const e of edgesOf(s, node)) if (edgeName(s, e) === name) return edgeTo(s, e);
  return -1;
}

/** The name V8 gives a local in a block or function context's hidden slot `index`. */
function contextSlotName(s: HeapSnapshot, context: number, index: number): string | undefined {
  const scopeInfo = findEdge(s, context, 'scope_info');
  if (scopeInfo < 0) return undefined;
  const name = findEdge(s, scopeInfo, index);
  return name >= 0 && nodeType(s, name) === 'string' ? nodeName(s, name) : undefined;
}

function isContext(s: HeapSnapshot, node: number): boolean {
  return nodeName(s, node) === 'system / Context';
}

/**
 * A module's top-level scope: an ES module's context (its `extension` is the
 * module record), or the context of a function whose enclosing context is the
 * realm's own – a CommonJS wrapper, a test runner's module wrapper.
 */
function isModuleContext(s: HeapSnapshot, context: number): boolean {
  const extension = findEdge(s, context, 'extension');
  if (extension >= 0 && nodeName(s, extension) === 'system / SourceTextModule') return true;
  const previous = findEdge(s, context, 'previous');
  if (previous < 0) return false;
  const name = nodeName(s, previous);
  return name === 'system / NativeContext' || name === 'system / ScriptContext';
}

// ---------------------------------------------------------------------------
// Source locations.
// ---------------------------------------------------------------------------

function scriptName(s: HeapSnapshot, closure: number): string | undefined {
  const shared = findEdge(s, closure, 'shared');
  if (shared < 0) return undefined;
  let script = findEdge(s, shared, 'script_or_debug_info');
  if (script < 0) script = findEdge(s, shared, 'script');
  if (script < 0) return undefined;
  const name = nodeName(s, script);
  return name === '' || name.startsWith('system / ') ? undefined : displayPath(name);
}

function displayPath(name: string): string {
  let path = name;
  if (name.startsWith('file://')) {
    try {
      path = decodeURIComponent(name.slice('file://'.length));
    } catch {
      path = name.slice('file://'.length); // a stray '%' in a file name: show it undecoded
    }
  }
  const cwd = typeof process === 'object' ? process.cwd() : '';
  if (cwd !== '' && path.startsWith(`${cwd}/`)) path = path.slice(cwd.length + 1);
  return path;
}

/** `file:line:col` (1-based) of a closure or a generator object, when V8 recorded it. */
function location(s: HeapSnapshot, node: number, closure: number): string | undefined {
  const file = scriptName(s, closure);
  const at = s.locations.get(node) ?? s.locations.get(closure);
  if (file === undefined) return undefined;
  return at === undefined ? file : `${file}:${at[1] + 1}:${at[2] + 1}`;
}

function describeClosure(s: HeapSnapshot, closure: number): string {
  const name = nodeName(s, closure);
  // V8 names every result of Function.prototype.bind this way.
  if (name === 'native_bind' || findEdge(s, closure, 'bound_target_function') >= 0) return 'bound function (.bind)';
  const where = location(s, closure, closure);
  const what = name === '' ? 'anonymous closure' : `closure \`${name}\``;
  return where === undefined ? what : `${what} (${where})`;
}

function describeSuspended(s: HeapSnapshot, generator: number): string {
  const fn = findEdge(s, generator, 'function');
  const name = fn >= 0 ? nodeName(s, fn) : '';
  const where = fn >= 0 ? location(s, generator, fn) : undefined;
  return `locals of suspended async function ${name === '' ? '(anonymous)' : `\`${name}\``}${where === undefined ? '' : ` (${where})`}`;
}

/**
 * The file of a module context: from the closure the path came through, else
 * from any closure created in that module (they all point at its context).
 * The path does not always pass a closure: a root may reach the context
 * directly, and which way the shortest path goes differs between V8 versions.
 */
function moduleFile(s: HeapSnapshot, via: number, context: number): string {
  if (via >= 0) {
    const fn = nodeType(s, via) === 'closure' ? via : findEdge(s, via, 'function');
    const name = fn >= 0 ? scriptName(s, fn) : undefined;
    if (name !== undefined) return name;
  }
  for (let node = 0; node < s.nodeCount; node++) {
    if (nodeType(s, node) !== 'closure' || findEdge(s, node, 'context') !== context) continue;
    const name = scriptName(s, node);
    if (name !== undefined) return name;
  }
  return 'a module';
}

function describeObject(s: HeapSnapshot, node: number): string {
  const type = nodeType(s, node);
  const name = nodeName(s, node);
  switch (type) {
    case 'closure':
      return describeClosure(s, node);
    case 'string':
    case 'concatenated string':
    case 'sliced string':
      return 'string';
    case 'array':
      return name === '' ? 'internal array' : name;
    case 'native':
      return name;
    default:
      if (name === 'Generator' || name === 'AsyncFunction') return describeSuspended(s, node);
      return name === '' ? type : name;
  }
}

const EPHEMERON = /^\d+ \/ part of key \(.*\) -> value \(.*\) pair in (\w+) \(table @\d+\)$/;

function describeEdge(s: HeapSnapshot, edge: number): string {
  const type = edgeType(s, edge);
  const name = edgeName(s, edge);
  if (type === 'element' || type === 'hidden') return `[${name}]`;
  if (type === 'property') return `.${String(name)}`;
  if (type === 'context') return `variable \`${String(name)}\``;
  if (name === 'bound_this') return 'bound `this`';
  if (name === 'bound_target_function') return 'target function';
  if (name === 'bound_arguments') return 'bound arguments';
  return `internal ${String(name)}`;
}

// ---------------------------------------------------------------------------
// The translation.
// ---------------------------------------------------------------------------

const ROOT_WORDS: Readonly<Record<string, string>> = {
  '(Stack roots)': 'the stack (a running or suspended function)',
  '(Handle scope)': 'a handle held by native code while it runs',
  '(Global handles)': 'a global handle (held by native code)',
  '(Strong roots)': 'V8 strong roots',
};

/**
 * The path from the root to `target` (which `reach` must have reached), in a
 * developer's words.
 */
export function explainPath(s: HeapSnapshot, reach: Reach, target: number, label: string): RetainerExplanation | undefined {
  if (reach.parent[target] === -1) return undefined;
  const path: number[] = [target];
  const via: number[] = [];
  for (let node = target; reach.parent[node] !== node; node = reach.parent[node]!) {
    via.unshift(reach.parentEdge[node]!);
    path.unshift(reach.parent[node]!);
  }
  // path[i] --via[i]--> path[i + 1]

  // The anchor: the last node from which a developer's own names begin.
  let anchor = -1;
  let root = 'a GC root';
  for (let i = 0; i < path.length - 1; i++) {
    const node = path[i]!;
    const name = nodeName(s, node);
    if (ROOT_WORDS[name] !== undefined) root = ROOT_WORDS[name];
    if (i === 0 && edgeType(s, via[0]!) === 'shortcut') {
      anchor = 1;
      root = 'global object';
    } else if (isContext(s, node) && isModuleContext(s, node) && edgeType(s, via[i]!) !== 'internal') {
      anchor = i;
      root = `module ${moduleFile(s, i > 0 ? path[i - 1]! : -1, node)}`;
    } else if (name === 'Timeout' || name === 'Immediate') {
      anchor = i;
      root = name === 'Timeout' ? 'pending timer' : 'pending setImmediate';
    }
  }
  if (anchor < 0) {
    // No anchor: skip V8's and Node's synthetic and native roots.
    anchor = 0;
    while (anchor < path.length - 1) {
      const type = nodeType(s, path[anchor]!);
      if (type !== 'synthetic' && type !== 'native' && type !== 'hidden') break;
      anchor++;
    }
  }

  let steps: RetainerStep[] = [];
  let i = anchor;
  while (i < path.length - 1) {
    i = translate(s, path, via, i, steps, i === anchor && root === 'global object');
  }
  // A chain of async functions awaiting one another (the kit's own frames
  // among them, while it explains) is how the stack reaches a suspended
  // frame: start at the last frame of that chain.
  let lastFrame = -1;
  for (let k = 0; k < steps.length; k++) {
    const holder = steps[k]!.holder;
    if (holder.startsWith('locals of suspended async function')) lastFrame = k;
    else if (holder !== 'Promise' && holder !== '`.then` reaction') break;
  }
  if (lastFrame >= 0 && !root.startsWith('module') && root !== 'global object') {
    steps = steps.slice(lastFrame);
    root = 'a suspended async function (awaiting)';
  }
  return { label, root, steps };
}

// Emits the step(s) for path[i] and returns the index of the next holder.
function translate(
  s: HeapSnapshot,
  path: readonly number[],
  via: readonly number[],
  i: number,
  steps: RetainerStep[],
  isGlobal: boolean,
): number {
  const node = path[i]!;
  const edge = via[i]!;
  const next = path[i + 1]!;
  const name = nodeName(s, node);
  const type = nodeType(s, node);
  const eType = edgeType(s, edge);
  const eName = edgeName(s, edge);
  const last = path.length - 1;

  if (isGlobal) {
    steps.push({ holder: 'global object', edge: `global \`${String(eName)}\`` });
    return i + 1;
  }

  // A scope: contexts are told as the variable of a module, closure or async function.
  if (isContext(s, node)) {
    const variable = eType === 'context' ? String(eName) : eType === 'hidden' ? contextSlotName(s, node, Number(eName)) : undefined;
    if (variable === undefined) return i + 1; // previous/extension links: plumbing
    const from = i > 0 ? path[i - 1]! : -1;
    if (isModuleContext(s, node)) {
      steps.push({ holder: `module ${moduleFile(s, from, node)}`, edge: `module-level variable \`${variable}\`` });
    } else if (from >= 0 && nodeType(s, from) === 'closure') {
      steps.push({ holder: describeClosure(s, from), edge: `captured variable \`${variable}\`` });
    } else if (from >= 0 && (nodeName(s, from) === 'Generator' || nodeName(s, from) === 'AsyncFunction')) {
      steps.push({ holder: describeSuspended(s, from), edge: `\`${variable}\`` });
    } else {
      steps.push({ holder: 'scope', edge: `variable \`${variable}\`` });
    }
    return i + 1;
  }

  // A closure or async function whose next hop is its scope: the scope's step
  // names it ("closure `f` → captured variable `x`"), so it needs none here.
  if ((type === 'closure' || name === 'Generator' || name === 'AsyncFunction') && isContext(s, next)) {
    return i + 1;
  }

  if (name === 'Generator' || name === 'AsyncFunction') {
    // Registers of the suspended frame: its locals and temporaries.
    const holder = describeSuspended(s, node);
    let j = i + 1;
    while (j < last && nodeType(s, path[j]!) === 'array' && nodeName(s, path[j]!) === '') j++;
    steps.push({ holder, edge: 'a local or temporary value' });
    return j;
  }

  // Promises: the reaction list, or the settled value.
  if (name === 'Promise' && eName === 'reactions_or_result') {
    if (nodeName(s, next) === 'system / PromiseReaction') {
      steps.push({ holder: 'Promise', edge: 'pending `.then` reaction' });
      return skipReactions(s, path, i + 1, steps);
    }
    steps.push({ holder: 'Promise', edge: 'resolved value' });
    return i + 1;
  }
  if (name === 'system / PromiseReaction') return skipReactions(s, path, i, steps);

  // Event listeners.
  if (eName === '_events' && nodeType(s, next) === 'object') {
    const eventAt = i + 2 <= last ? i + 1 : -1;
    const event = eventAt >= 0 ? edgeName(s, via[eventAt]!) : '?';
    let j = i + 2;
    // An array of listeners when there is more than one.
    if (j < last && nodeName(s, path[j]!) === 'Array' && edgeType(s, via[j]!) === 'element') j++;
    steps.push({ holder: `event listener for '${String(event)}' on ${name}`, edge: 'listener' });
    return j;
  }
  if (eType === 'property' && String(eName).includes('kEvents')) {
    // EventTarget: kEvents Map → entry (keyed by the type) → Listener → .listener / .callback
    const entry = mapEntry(s, path, via, i + 2);
    let j = entry.next;
    while (j < last && !(edgeName(s, via[j]!) === 'listener' || edgeName(s, via[j]!) === 'callback')) j++;
    steps.push({ holder: `event listener for '${entry.key ?? '?'}' on ${name}`, edge: 'listener' });
    return Math.min(j + 1, last);
  }
  if (name === 'Timeout' && eName === '_onTimeout') {
    steps.push({ holder: 'pending timer (Timeout)', edge: 'callback' });
    return i + 1;
  }
  if (name === 'Immediate' && eName === '_onImmediate') {
    steps.push({ holder: 'pending setImmediate (Immediate)', edge: 'callback' });
    return i + 1;
  }

  // Maps and Sets: the hash table array is plumbing.
  if ((name === 'Map' || name === 'Set') && eName === 'table') {
    const entry = mapEntry(s, path, via, i + 1);
    const keyText = entry.key === undefined ? '' : ` ${JSON.stringify(entry.key)}`;
    steps.push({ holder: name, edge: name === 'Map' ? `Map entry${keyText}` : 'Set entry' });
    return entry.next;
  }

  // WeakMap / WeakSet entries. V8 names the key's link to its value
  // "N / part of key (Object @1) -> value (Object @2) pair in WeakMap (table @3)".
  const pair = eType === 'internal' ? EPHEMERON.exec(String(eName)) : null;
  if (pair !== null) {
    steps.push({ holder: describeObject(s, node), edge: `its value in a ${pair[1]} (the key keeps the value alive)` });
    return i + 1;
  }
  if ((name === 'WeakMap' || name === 'WeakSet') && eName === 'table' && i + 1 < last) {
    steps.push({ holder: name, edge: `${name} entry` });
    return i + 2;
  }

  // Property and element storage arrays are plumbing: fold them into the edge.
  if (eType === 'internal' && (eName === 'elements' || eName === 'properties') && i + 1 < last) {
    steps.push({ holder: describeObject(s, node), edge: describeEdge(s, via[i + 1]!) });
    return i + 2;
  }

  if (type === 'hidden' || name.startsWith('system / ')) {
    // V8-internal objects without a developer's name: keep the link, quietly.
    if (steps.length > 0 && steps[steps.length - 1]!.edge.endsWith('(via V8 internals)')) return i + 1;
    steps.push({ holder: name.startsWith('system / ') ? name.slice('system / '.length) : name || type, edge: `${describeEdge(s, edge)} (via V8 internals)` });
    return i + 1;
  }

  steps.push({ holder: describeObject(s, node), edge: describeEdge(s, edge) });
  return i + 1;
}

// A chain of PromiseReactions (a linked list) ending in the handler: told as
// the reaction's effect – resolving another promise, resuming an async
// function, or calling a developer's handler.
function skipReactions(s: HeapSnapshot, path: readonly number[], from: number, steps: RetainerStep[]): number {
  let j = from;
  const last = path.length - 1;
  while (j < last && nodeName(s, path[j]!) === 'system / PromiseReaction') j++;
  if (j >= last) return last;
  const handler = path[j]!;
  if (nodeType(s, handler) === 'closure' && s.locations.get(handler) === undefined) {
    // A built-in: skip its scope to what it resolves or resumes.
    let k = j + 1;
    while (k < last && (isContext(s, path[k]!) || nodeName(s, path[k]!).startsWith('system / '))) k++;
    const reached = nodeName(s, path[k]!);
    if (reached === 'Generator' || reached === 'AsyncFunction') {
      steps.push({ holder: '`.then` reaction', edge: 'resumes a suspended `await`' });
    } else if (reached === 'Promise') {
      steps.push({ holder: '`.then` reaction', edge: 'resolves another Promise (a derived or raced promise)' });
    } else {
      steps.push({ holder: '`.then` reaction', edge: 'built-in handler' });
    }
    return k;
  }
  if (nodeName(s, handler) === 'Promise') {
    steps.push({ holder: '`.then` reaction', edge: 'derived Promise' });
    return j;
  }
  steps.push({ holder: '`.then` reaction', edge: 'handler' });
  return j;
}

// path[from] is a hash table array; the entry's key sits just before its value.
function mapEntry(
  s: HeapSnapshot,
  path: readonly number[],
  via: readonly number[],
  from: number,
): { key: string | undefined; next: number } {
  const table = path[from]!;
  if (from >= path.length - 1 || nodeType(s, table) !== 'array') return { key: undefined, next: from };
  const slot = edgeName(s, via[from]!);
  let key: string | undefined;
  const keyNode = findEdge(s, table, typeof slot === 'number' ? slot - 1 : String(Number(slot) - 1));
  if (keyNode >= 0) {
    const keyType = nodeType(s, keyNode);
    if (keyType === 'string' || keyType === 'concatenated string' || keyType === 'sliced string') key = nodeName(s, keyNode);
    else if (keyType === 'number') key = undefined;
    else key = `(${describeObject(s, keyNode)} key)`;
  }
  return { key, next: from + 1 };
}

/** Renders explanations for a failure message: at most `maxLines` per object, the most useful first. */
export function renderExplanation(explanation: RetainerExplanation, maxLines = 15): string {
  const lines: string[] = [];
  const useful = mostUseful(explanation);
  lines.push(`${explanation.label} is held by ${useful} (root: ${explanation.root})`);
  const chain = explanation.steps.map(renderStep);
  const room = maxLines - 1;
  if (chain.length <= room) lines.push(...chain.map((line) => `    ${line}`));
  else {
    const head = Math.floor((room - 1) / 2);
    const tail = room - 1 - head;
    lines.push(...chain.slice(0, head).map((line) => `    ${line}`));
    lines.push(`    … ${chain.length - head - tail} more step(s) …`);
    lines.push(...chain.slice(chain.length - tail).map((line) => `    ${line}`));
  }
  return lines.join('\n');
}

function renderStep(step: RetainerStep): string {
  if (step.holder.startsWith('module ') && step.edge.startsWith('module-level variable')) {
    return `${step.edge} of ${step.holder.slice('module '.length)}`;
  }
  if (step.holder === 'global object') return step.edge;
  return `${step.holder} → ${step.edge}`;
}

/** The step a developer acts on, rendered: "module-level variable `sessions` of app.js". */
export function renderStepSummary(explanation: RetainerExplanation): string {
  return mostUseful(explanation);
}

// The step a developer acts on: the nearest to the object among those that
// name their code (a variable, closure, listener, timer, suspended function).
function mostUseful(explanation: RetainerExplanation): string {
  const named = /module-level variable|captured variable|event listener|pending timer|setImmediate|suspended async|global `/;
  for (let k = explanation.steps.length - 1; k >= 0; k--) {
    const step = explanation.steps[k]!;
    if (!(named.test(step.holder) || named.test(step.edge))) continue;
    const after = explanation.steps[k + 1];
    // A frame's registers have no names: the object it holds says more.
    if (step.edge === 'a local or temporary value' && after !== undefined) {
      return `${renderStep(after)}, a local of ${step.holder.slice('locals of '.length)}`;
    }
    return renderStep(step);
  }
  const first = explanation.steps[0];
  return first === undefined ? explanation.root : renderStep(first);
}
