// The subscription-loop leak, reproduced and fixed side by side.
//
//   npm run demo                      (builds, then runs this file)
//   node bench/demo.mjs [--out <path>] [--iterations <n>] [--every <n>]
//
// A subscription loop races every `next()` of its source against one abort
// promise that stays pending while the subscription is open:
//
//   const abort = new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
//   for (;;) {
//     const next = await Promise.race([source.next(), abort]);
//     if (next.done) break;
//     send(next.value);
//   }
//
// Each `Promise.race` call leaves a reaction on `abort` that reaches that
// call's result and so its value: the loop keeps every payload it ever
// received (tRPC v11's WebSocket subscriptions, trpc/trpc#6156;
// nodejs/node#17469). This script runs the same loop twice, once with
// `Promise.race` and once with leakproof's `race` (from the built package,
// dist/), with 1 MiB payloads, measures heapUsed + external after a full GC
// every few iterations, prints a table and writes an SVG chart. At the end,
// each run asks leakproof/testing's explainRetention why its first payload is
// still reachable: the built-in's run prints the retainer path (the abort
// promise, its pending `.then` reactions, the race's resolved value);
// leakproof's run has nothing to explain.
//
// Each variant runs in a child process of its own: both start from the same
// fresh heap, so the built-in's retained payloads (and the GC heuristics that
// hundreds of MiB of external memory set off) cannot shift the other run's
// baseline, and the order of the runs does not matter. The children are
// started with --expose-gc; this parent process needs no flags.
//
// Plain Node, no dependencies. Exit code 0 on success.

import { fork } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const MIB = 1024 * 1024;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = resolve(ROOT, 'dist/index.js');

const VARIANTS = [
  { id: 'native', label: 'Promise.race', color: '#d9480f' },
  { id: 'leakproof', label: 'leakproof race', color: '#1971c2' },
];

if (process.argv[2] === '--child') {
  await child(process.argv[3], Number(process.argv[4]), Number(process.argv[5]));
} else {
  await main(parseArgs(process.argv.slice(2)));
}

// ---------------------------------------------------------------------------
// The child: one variant of the loop, reporting samples over IPC.
// ---------------------------------------------------------------------------

async function child(variant, iterations, every) {
  if (typeof globalThis.gc !== 'function') throw new Error('the demo child needs --expose-gc');
  const combine =
    variant === 'native' ? (values) => Promise.race(values) : (await import('../dist/index.js')).race;

  const payloads = []; // WeakRefs only: the demo must not keep payloads alive itself
  const sample = async (iteration) => {
    // A macrotask turn before each collection: a WeakRef keeps its target
    // alive until the current job ends, and the loop's last frame may too.
    for (let i = 0; i < 3; i++) {
      await nextMacrotask();
      globalThis.gc();
    }
    await nextMacrotask();
    const { heapUsed, external, arrayBuffers } = process.memoryUsage();
    let alive = 0;
    for (const ref of payloads) if (ref.deref() !== undefined) alive++;
    process.send({ type: 'sample', iteration, heapUsed, external, arrayBuffers, alive });
  };

  // The subscription: an abort signal that lives as long as the subscription,
  // and the abort promise every iteration races against.
  const controller = new AbortController();
  const { signal } = controller;
  const abort = new Promise((_, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });

  const source = produce(iterations, payloads);
  await sample(0);
  let checksum = 0;
  for (let i = 1; ; i++) {
    const next = await combine([source.next(), abort]);
    if (next.done) break;
    checksum = (checksum + next.value[next.value.length - 1]) & 0xff; // "send" the payload
    process.send({ type: 'progress', iteration: i });
    if (i % every === 0 || i === iterations) await sample(i);
  }
  // Still subscribed until here: the measurements above were taken while the
  // abort promise was alive and pending, as in a running service.
  await explainFirstPayload(payloads[0]);
  controller.abort();
  process.send({ type: 'done', checksum });
}

// Why is the first payload still reachable? leakproof/testing's
// explainRetention answers from a heap snapshot of this child: for the
// built-in, the chain from the abort promise through its pending reactions;
// for leakproof, nothing (the payload was collected).
async function explainFirstPayload(ref) {
  const { explainRetention } = await import('../dist/testing/index.js');
  const started = performance.now();
  const path = await explainRetention(ref, { label: 'payload 1' });
  process.send({ type: 'explained', path, ms: Math.round(performance.now() - started) });
}

// The producer: 1 MiB payloads arriving one per event-loop turn, as from a
// socket or a database cursor.
async function* produce(count, payloads) {
  for (let i = 1; i <= count; i++) {
    await nextMacrotask();
    const payload = Buffer.alloc(MIB, i & 0xff);
    payloads.push(new WeakRef(payload));
    yield payload;
  }
}

// ---------------------------------------------------------------------------
// The parent: runs both variants, prints progress and the table, draws the chart.
// ---------------------------------------------------------------------------

async function main(options) {
  const { iterations, every } = options;
  const tty = Boolean(process.stdout.isTTY);
  if (!existsSync(DIST)) {
    console.error(`${displayPath(DIST)} not found: build the package first (npm run build; npm run demo does it for you).`);
    process.exit(1);
  }
  console.log('leakproof demo: the subscription-loop leak and its fix');
  console.log(`Node ${process.version} (V8 ${process.versions.v8}), ${process.platform} ${process.arch}`);
  console.log(
    `${iterations} iterations; each one yields a 1 MiB Buffer and races next() against one never-settling abort promise.`,
  );
  console.log(`Memory = heapUsed + external after a full GC every ${every} iterations (external includes arrayBuffers, where Buffers live).\n`);

  const started = performance.now();
  const runs = [];
  for (const variant of VARIANTS) {
    runs.push(await runVariant(variant, iterations, every, tty));
  }

  printTable(runs);
  console.log('');
  for (const run of runs) {
    const first = run.samples[0];
    const last = run.samples.at(-1);
    console.log(
      `${run.variant.label.padEnd(15)} grew ${mib(total(last) - total(first)).padStart(7)} MiB over ${last.iteration} iterations; ` +
        `payloads still reachable after GC: ${last.alive}/${last.iteration}`,
    );
  }
  console.log('(Sampled inside the loop: the payload the loop is handling at that moment is reachable by design.)');

  console.log('\nWhy is payload 1 still reachable? (explainRetention from leakproof/testing, in each run)');
  for (const run of runs) printExplanation(run);

  const out = options.out;
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, chart(runs, { iterations, every }));
  console.log(`\nChart written to ${displayPath(out)}`);
  console.log(`Done in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
}

function runVariant(variant, iterations, every, tty) {
  return new Promise((resolvePromise, rejectPromise) => {
    const samples = [];
    let latest = '';
    const progress = (iteration) => {
      const line = `${variant.label.padEnd(15)} ${bar(iteration / iterations)} ${String(iteration).padStart(String(iterations).length)}/${iterations}${latest}`;
      if (tty) process.stdout.write(`\r${line}\x1b[K`);
      else console.log(line);
    };
    const proc = fork(fileURLToPath(import.meta.url), ['--child', variant.id, String(iterations), String(every)], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let done = false;
    let explanation;
    proc.on('message', (message) => {
      if (message.type === 'progress') {
        if (tty) progress(message.iteration);
      } else if (message.type === 'sample') {
        samples.push(message);
        latest = `  heap + external after GC: ${mib(total(message)).padStart(6)} MiB`;
        if (tty || message.iteration > 0) progress(message.iteration);
      } else if (message.type === 'explained') {
        explanation = message;
      } else if (message.type === 'done') {
        done = true;
      }
    });
    proc.on('error', rejectPromise);
    proc.on('exit', (code, signal) => {
      if (tty) process.stdout.write('\n');
      if (code === 0 && done) resolvePromise({ variant, samples, explanation });
      else rejectPromise(new Error(`${variant.label} run failed (exit ${code ?? signal})`));
    });
  });
}

function printTable(runs) {
  const header = ['iteration'];
  for (const { variant } of runs) header.push(`${variant.label}: heap`, 'external', 'total');
  const rows = runs[0].samples.map((sample, i) => {
    const row = [String(sample.iteration)];
    for (const run of runs) {
      const s = run.samples[i];
      row.push(mib(s.heapUsed), mib(s.external), mib(total(s)));
    }
    return row;
  });
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells) => `| ${cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join(' | ')} |`;
  console.log('\nMiB after GC (heap = heapUsed; external includes arrayBuffers):\n');
  console.log(line(header));
  console.log(`|${widths.map((w, c) => (c === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}

function printExplanation(run) {
  const { path, ms } = run.explanation ?? {};
  if (path === undefined) {
    console.log(`\n${run.variant.label}: payload 1 was collected – nothing holds it (${ms} ms).`);
    return;
  }
  console.log(`\n${run.variant.label}: payload 1 is held, from ${path.root} (${ms} ms):`);
  for (const step of path.steps) {
    const line =
      step.holder.startsWith('module ') && step.edge.startsWith('module-level variable')
        ? `${step.edge} of ${step.holder.slice('module '.length)}`
        : `${step.holder} → ${step.edge}`;
    console.log(`    ${line}`);
  }
  console.log('    → payload 1 (a 1 MiB Buffer)');
}

function displayPath(path) {
  const rel = relative(process.cwd(), path);
  return rel === '' || rel.startsWith('..') ? path : rel;
}

function total(sample) {
  return sample.heapUsed + sample.external;
}

function mib(bytes) {
  return (bytes / MIB).toFixed(1);
}

function bar(fraction, width = 20) {
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

// ---------------------------------------------------------------------------
// The chart: hand-written SVG, memory (MiB) against iterations.
// ---------------------------------------------------------------------------

function chart(runs, { iterations, every }) {
  const width = 800;
  const height = 470;
  const m = { top: 104, right: 104, bottom: 58, left: 72 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;

  const maxMib = Math.max(...runs.flatMap((r) => r.samples.map((s) => total(s) / MIB)));
  const yStep = niceStep(maxMib / 6);
  const yMax = Math.ceil(maxMib / yStep) * yStep || yStep;
  const xStep = niceStep(iterations / 10);
  const x = (iteration) => m.left + (iteration / iterations) * plotW;
  const y = (value) => m.top + plotH - (value / yMax) * plotH;
  const f = (n) => n.toFixed(1);
  const v8 = process.versions.v8.split('.').slice(0, 2).join('.');

  const parts = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" role="img" aria-labelledby="title desc">`,
    `<title id="title">Subscription loop memory: Promise.race vs leakproof race</title>`,
    `<desc id="desc">${escapeXml(runs.map((r) => `${r.variant.label}: ${mib(total(r.samples.at(-1)))} MiB after ${r.samples.at(-1).iteration} iterations`).join('; '))}</desc>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="24" y="34" font-size="19" font-weight="600" fill="#212529">Subscription loop memory: Promise.race vs leakproof race</text>`,
    `<text x="24" y="58" font-size="13" fill="#495057">${escapeXml(`${iterations} × 1 MiB payloads; every next() raced against one never-settling abort promise`)}</text>`,
    `<text x="24" y="77" font-size="13" fill="#495057">${escapeXml(`heapUsed + external (includes arrayBuffers) after a full GC · Node ${process.version}, V8 ${v8}`)}</text>`,
  );

  // Grid and y ticks.
  for (let v = 0; v <= yMax + 1e-9; v += yStep) {
    const yy = f(y(v));
    parts.push(
      `<line x1="${m.left}" x2="${m.left + plotW}" y1="${yy}" y2="${yy}" stroke="${v === 0 ? '#868e96' : '#e9ecef'}" stroke-width="1"/>`,
      `<text x="${m.left - 8}" y="${yy}" dy="4" font-size="12" fill="#495057" text-anchor="end">${formatTick(v)}</text>`,
    );
  }
  // x ticks.
  for (let it = 0; it <= iterations; it += xStep) {
    const xx = f(x(it));
    parts.push(
      `<line x1="${xx}" x2="${xx}" y1="${m.top + plotH}" y2="${m.top + plotH + 5}" stroke="#868e96"/>`,
      `<text x="${xx}" y="${m.top + plotH + 20}" font-size="12" fill="#495057" text-anchor="middle">${it}</text>`,
    );
  }
  parts.push(
    `<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + plotH}" stroke="#868e96"/>`,
    `<text x="${m.left + plotW / 2}" y="${height - 14}" font-size="13" fill="#212529" text-anchor="middle">iterations (one 1 MiB payload each; GC and sample every ${every})</text>`,
    `<text transform="translate(20 ${m.top + plotH / 2}) rotate(-90)" font-size="13" fill="#212529" text-anchor="middle">memory after GC (MiB)</text>`,
  );

  // The two lines, with a point per sample and the final value at the end.
  for (const { variant, samples } of runs) {
    const points = samples.map((s) => `${f(x(s.iteration))},${f(y(total(s) / MIB))}`).join(' ');
    parts.push(
      `<polyline points="${points}" fill="none" stroke="${variant.color}" stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round"/>`,
    );
    for (const s of samples) {
      parts.push(`<circle cx="${f(x(s.iteration))}" cy="${f(y(total(s) / MIB))}" r="3.2" fill="${variant.color}"/>`);
    }
    const last = samples.at(-1);
    parts.push(
      `<text x="${f(x(last.iteration) + 8)}" y="${f(y(total(last) / MIB))}" dy="4" font-size="12.5" font-weight="600" fill="${variant.color}">${mib(total(last))} MiB</text>`,
    );
  }
  // Legend, top left inside the plot. The latest payload is reachable in
  // both runs by design: the loop holds it while it samples.
  const legend = runs.map(({ variant, samples }) => {
    const last = samples.at(-1);
    const inUse = last.alive === 1 ? ' (the one in use)' : '';
    return { variant, text: `${variant.label}: ${last.alive} of ${last.iteration} payloads still reachable${inUse}` };
  });
  const lx = m.left + 16;
  let ly = m.top + 14;
  const boxWidth = Math.max(...legend.map((l) => l.text.length)) * 7.2 + 52;
  parts.push(
    `<rect x="${lx - 10}" y="${ly - 14}" width="${f(boxWidth)}" height="${legend.length * 22 + 8}" fill="#ffffff" fill-opacity="0.9" stroke="#dee2e6" rx="4"/>`,
  );
  for (const { variant, text } of legend) {
    parts.push(
      `<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${variant.color}" stroke-width="2.5"/>`,
      `<circle cx="${lx + 12}" cy="${ly}" r="3.2" fill="${variant.color}"/>`,
      `<text x="${lx + 32}" y="${ly}" dy="4" font-size="13" fill="#212529">${escapeXml(text)}</text>`,
    );
    ly += 22;
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function niceStep(raw) {
  if (!(raw > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const n of [1, 2, 2.5, 5, 10]) if (n * power >= raw) return n * power;
  return 10 * power;
}

function formatTick(value) {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function escapeXml(text) {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]);
}

// ---------------------------------------------------------------------------
// Arguments.
// ---------------------------------------------------------------------------

function parseArgs(args) {
  const options = { out: resolve(ROOT, 'demo-output/race-leak.svg'), iterations: 250, every: 25 };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = () => {
      const next = args[++i];
      if (next === undefined) usage(`${arg} needs a value`);
      return next;
    };
    const count = (name, min, max) => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < min || n > max) usage(`${name} must be an integer from ${min} to ${max}`);
      return n;
    };
    if (arg === '--out') options.out = resolve(value());
    else if (arg === '--iterations') options.iterations = count('--iterations', 1, 1000);
    else if (arg === '--every') options.every = count('--every', 1, 1000);
    else if (arg === '--help' || arg === '-h') usage();
    else usage(`unknown argument: ${arg}`);
  }
  return options;
}

function usage(problem) {
  const text = [
    'usage: node bench/demo.mjs [--out <path>] [--iterations <n>] [--every <n>]',
    '  --out <path>        where to write the SVG chart (default: demo-output/race-leak.svg)',
    '  --iterations <n>    payloads per run, 1 MiB each (default: 250)',
    '  --every <n>         GC and sample memory every n iterations (default: 25)',
  ].join('\n');
  if (problem) {
    console.error(`${problem}\n${text}`);
    process.exit(2);
  }
  console.log(text);
  process.exit(0);
}
