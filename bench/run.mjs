// Runs every benchmark on Node 20, 22 and 24 – each file in a process of its
// own, so one bench's heap and JIT state cannot skew another's – and, when
// every file ran, regenerates bench/README.md: the hand-written head
// (bench/README.head.md: method, decisions), then the targets with their
// verdicts per Node version, then every table verbatim, stamped with the
// Node/V8 versions, the machine and the date. It is the one source of truth for
// figures; the main README links to it.
//   npm run bench                 everything, all three Node versions, rewrites bench/README.md
//   npm run bench -- race         only files whose name contains "race" (prints, writes nothing)
//   npm run bench -- --node 24    only Node 24 (prints, writes nothing)
//   npm run bench -- --node 20 --write   one Node version, and rewrite bench/README.md saying so
//   npm run bench -- explain --write     re-run some files and replace only their sections (and their
//                                        targets' rows) in bench/README.md, each stamped with its own date
//   bench/tricks.bench.ts (each trick with and without it, ~15 min per Node)
//   runs only when asked for by name: npm run bench -- tricks
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { nodeBinary } from '../scripts/node-binary.mjs';

const args = process.argv.slice(2);
const nodeFlag = args.indexOf('--node');
const majors = nodeFlag >= 0 ? args.splice(nodeFlag, 2)[1].split(',') : ['20', '22', '24'];
const writeAnyway = args.includes('--write');
const filters = args.filter((a) => a !== '--write');
const files = [
  ...readdirSync('bench').filter((f) => f.endsWith('.bench.ts')).map((f) => join('bench', f)),
  ...readdirSync('bench/memory').filter((f) => f.endsWith('.mem.ts')).map((f) => join('bench/memory', f)),
]
  .sort()
  .filter((f) => (filters.length === 0 ? !f.includes('tricks') : filters.some((x) => f.includes(x))));
const complete = filters.length === 0 && (nodeFlag < 0 || writeAnyway);

const tmp = mkdtempSync(join(os.tmpdir(), 'leakproof-bench-'));
const sections = [];
const verdicts = [];
const outputs = [];
let failed = 0;
for (const major of majors) {
  const node = process.version.startsWith(`v${major}.`) ? process.execPath : nodeBinary(major);
  const version = spawnSync(node, ['-p', '`Node ${process.version} (V8 ${process.versions.v8})`'], { encoding: 'utf8' }).stdout.trim();
  const targetsFile = join(tmp, `targets-${major}.jsonl`);
  let output = '';
  const byFile = new Map();
  for (const file of files) {
    console.log(`\n# ${file} on ${version}\n`);
    const result = spawnSync(node, ['--expose-gc', '--import', 'tsx', file], {
      encoding: 'utf8',
      env: { ...process.env, BENCH_TARGETS_FILE: targetsFile },
      maxBuffer: 64 * 1024 * 1024,
    });
    process.stdout.write(result.stdout);
    process.stderr.write(result.stderr);
    if (result.status !== 0) {
      failed++;
      console.error(`${file} exited with ${result.status ?? result.signal} on ${version}`);
    }
    const section = `\n### File: ${file}\n${result.stdout.replace(/^## /gm, '#### ').replace(/^### /gm, '##### ')}`;
    byFile.set(file, section);
    output += section;
  }
  outputs.push({ version, byFile });
  const targets = existsSync(targetsFile)
    ? readFileSync(targetsFile, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line))
    : [];
  verdicts.push({ version, targets });
  sections.push(`## ${version}\n${output}`);
}
rmSync(tmp, { recursive: true, force: true });

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
if (!complete && writeAnyway && filters.length > 0 && failed === 0) {
  // Replace only the sections of the files that ran, in each version's part.
  const stamp = `${new Date().toISOString().slice(0, 10)}, ${os.platform()} ${os.arch()}, ${cpu}, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(2)} at the end`;
  let text = readFileSync('bench/README.md', 'utf8');
  // The hand-written head (method, decisions) is always the current one.
  const latest = text.indexOf('\n## Latest run');
  if (latest >= 0) text = readFileSync('bench/README.head.md', 'utf8').trimEnd() + '\n' + text.slice(latest);
  for (const { version, byFile } of outputs) {
    const part = text.indexOf(`\n## ${version}\n`);
    if (part < 0) throw new Error(`bench/README.md has no part for ${version}: run the whole bench`);
    const partEnd = text.indexOf('\n## ', part + 1);
    for (const [file, section] of byFile) {
      const start = text.indexOf(`\n### File: ${file}\n`, part);
      if (start < 0 || (partEnd >= 0 && start > partEnd)) throw new Error(`bench/README.md has no section for ${file} under ${version}`);
      const next = text.slice(start + 1).search(/\n(### File: |## )/);
      const end = next < 0 ? text.length : start + 1 + next;
      const stamped = section.replace(/\n/, `\n(Re-run alone by \`npm run bench -- ${filters.join(' ')} --write\` on ${stamp}.)\n`);
      text = text.slice(0, start) + stamped.trimEnd() + '\n' + text.slice(end);
    }
  }
  for (const { version, targets } of verdicts) {
    for (const t of targets) {
      const row = `| ${version} | ${t.label} (${t.scenario}) |`;
      const line = `${row} ${t.ratio.toFixed(2)}x (≤ ${t.max}x) | ${t.met ? 'met' : '**not met**'} |`;
      const at = text.indexOf(row);
      if (at >= 0) {
        text = `${text.slice(0, at)}${line}${text.slice(text.indexOf('\n', at))}`;
      } else {
        // A target this file did not declare before: append it to the table.
        const table = text.indexOf('\n|---|---|---:|---|\n', text.indexOf('### Targets'));
        if (table < 0) throw new Error('bench/README.md has no targets table: run the whole bench');
        let end = table + 1;
        while (text.startsWith('|', text.indexOf('\n', end) + 1)) end = text.indexOf('\n', end) + 1;
        end = text.indexOf('\n', end);
        text = `${text.slice(0, end)}\n${line}${text.slice(end)}`;
      }
    }
  }
  text = groupTargetRows(text);
  writeFileSync('bench/README.md', text);
  console.log(`\nreplaced the sections of ${[...outputs[0].byFile.keys()].join(', ')} in bench/README.md`);
}
if (complete && failed === 0) {
  const stamp = `${new Date().toISOString().slice(0, 10)}, ${os.platform()} ${os.arch()}, ${cpu}, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(2)} at the end`;
  const rows = [];
  for (const { version, targets } of verdicts) {
    for (const t of targets) rows.push(`| ${version} | ${t.label} (${t.scenario}) | ${t.ratio.toFixed(2)}x (≤ ${t.max}x) | ${t.met ? 'met' : '**not met**'} |`);
  }
  const head = readFileSync('bench/README.head.md', 'utf8').trimEnd();
  writeFileSync(
    'bench/README.md',
    `${head}\n\n## Latest run\n\nGenerated by \`npm run bench${nodeFlag < 0 ? '' : ` -- --node ${majors.join(',')} --write`}\` on ${stamp}` +
      `${nodeFlag < 0 ? '' : ` – Node ${majors.join(', ')} only; the other supported versions were not run this time`}. Do not edit below this line by hand.\n\n` +
      `### Targets\n\n| Node | target | measured (CPU time ratio) | verdict |\n|---|---|---:|---|\n${rows.join('\n')}\n\n` +
      sections.join('\n'),
  );
  console.log('\nwrote bench/README.md');
}
process.exit(failed ? 1 : 0);

/** Orders the targets table's rows by Node version (first appearance), keeping each version's rows in order. */
function groupTargetRows(text) {
  const header = text.indexOf('\n|---|---|---:|---|\n', text.indexOf('### Targets'));
  if (header < 0) return text;
  const start = header + '\n|---|---|---:|---|\n'.length;
  let end = start;
  while (text.startsWith('|', end)) end = text.indexOf('\n', end) + 1;
  const rows = text.slice(start, end).split('\n').filter(Boolean);
  const versions = [...new Set(rows.map((row) => row.split('|')[1]))];
  const sorted = versions.flatMap((version) => rows.filter((row) => row.split('|')[1] === version));
  return text.slice(0, start) + sorted.join('\n') + '\n' + text.slice(end);
}
