// The leakproof/eslint corpus run: lints the JavaScript that real, widely used
// packages ship in node_modules with `eslint:recommended` alone, with
// `eslint:recommended` + `leakproof.configs.recommended` and with
// `leakproof.configs.all`, then writes bench/eslint/corpus.md: every leakproof
// report (of `all`) with its verdict (from bench/eslint/verdicts.json), the
// false-positive rate of each leakproof config, and the lint time per 1,000
// lines of the three configurations.
//
//   node bench/eslint/corpus.mjs            # 3 timed rounds (builds dist/ first if missing)
//   node bench/eslint/corpus.mjs --rounds 1 # quick check
//
// Timing alternates the three configurations round by round over the whole
// corpus, after one untimed warm-up round of each, and reports the median
// round. Take figures on an idle machine only.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import { Linter } from 'eslint';

const root = fileURLToPath(new URL('../..', import.meta.url));
const modules = join(root, 'node_modules');
const here = dirname(fileURLToPath(import.meta.url));

const roundsArgument = process.argv.indexOf('--rounds');
const rounds = roundsArgument === -1 ? 3 : Number(process.argv[roundsArgument + 1]);

if (!existsSync(join(root, 'dist/eslint/index.js'))) {
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
}
const { default: leakproof } = await import('../../dist/eslint/index.js');

/**
 * The corpus: package, directory inside it, and which files (one module
 * format per package where it ships two, so no code is counted twice).
 */
const CORPUS = [
  ['vitest', 'dist', /\.js$/],
  ['@vitest/runner', 'dist', /\.js$/],
  ['tsup', 'dist', /\.js$/],
  ['esbuild', 'lib', /^main\.js$/],
  ['fast-check', 'lib', /^fast-check\.js$/], // not lib/cjs/
  ['ws', 'lib', /\.js$/],
  ['lru-cache', 'dist/esm', /^[^/]+\.js$/], // not the browser/node/react-native copies
  ['p-queue-9.0.1', 'dist', /\.js$/],
  ['@trpc/server', 'dist', /\.mjs$/], // not the .js (CommonJS) copies
  ['undici-8.4.0', 'lib', /\.js$/],
  ['comlink', 'dist/esm', /^comlink\.mjs$/],
  ['chokidar', '', /\.js$/],
  ['mnemonist', '', /\.js$/],
];

function listFiles(dir, pattern, top = dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...listFiles(path, pattern, top));
    else if (pattern.test(relative(top, path)) && !/\.(d|min)\.[cm]?js$/.test(name)) out.push(path);
  }
  return out;
}

function sourceTypeOf(path, text) {
  if (path.endsWith('.mjs')) return 'module';
  if (path.endsWith('.cjs')) return 'commonjs';
  for (let dir = dirname(path); dir.startsWith(modules) && dir !== modules; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { type } = JSON.parse(readFileSync(manifest, 'utf8'));
      if (type === 'module') return 'module';
      break;
    }
  }
  return /^\s*(import|export)\s/m.test(text) ? 'module' : 'commonjs';
}

const files = [];
for (const [pkg, sub, pattern] of CORPUS) {
  const dir = join(modules, pkg, sub);
  if (!existsSync(dir)) {
    console.warn(`skipped ${pkg}: not installed`);
    continue;
  }
  const { version } = JSON.parse(readFileSync(join(modules, pkg, 'package.json'), 'utf8'));
  for (const path of listFiles(dir, pattern)) {
    const text = readFileSync(path, 'utf8');
    files.push({ pkg: `${pkg}@${version}`, path, name: relative(modules, path), text, lines: text.split('\n').length, sourceType: sourceTypeOf(path, text) });
  }
}

const linter = new Linter({ configType: 'flat' });
const base = (sourceType) => ({
  ...js.configs.recommended,
  languageOptions: { ecmaVersion: 'latest', sourceType, globals: {} },
  linterOptions: { reportUnusedDisableDirectives: 'off' },
});
const configs = {
  recommended: { module: [base('module')], commonjs: [base('commonjs')] },
  withLeakproof: {
    module: [base('module'), leakproof.configs.recommended],
    commonjs: [base('commonjs'), leakproof.configs.recommended],
  },
  withAll: {
    module: [base('module'), leakproof.configs.all],
    commonjs: [base('commonjs'), leakproof.configs.all],
  },
};
const inRecommended = (ruleId) => ruleId in leakproof.configs.recommended.rules;

function lintAll(config, collect) {
  const start = process.hrtime.bigint();
  for (const file of files) {
    // A virtual path: files under node_modules are ignored by default.
    const messages = linter.verify(file.text, config[file.sourceType], join(root, 'corpus', file.name));
    if (collect) collect(file, messages);
  }
  return Number(process.hrtime.bigint() - start) / 1e6;
}

// Reports (and parse failures) from one untimed run, which also warms up.
const reports = [];
const unparsed = [];
lintAll(configs.withAll, (file, messages) => {
  for (const message of messages) {
    if (message.fatal) unparsed.push(`${file.name}: ${message.message}`);
    else if (message.ruleId?.startsWith('leakproof/')) {
      reports.push({ file: file.name, pkg: file.pkg, line: message.line, rule: message.ruleId, message: message.message });
    }
  }
});
lintAll(configs.recommended);

const times = { recommended: [], withLeakproof: [], withAll: [] };
for (let round = 0; round < rounds; round++) {
  times.recommended.push(lintAll(configs.recommended));
  times.withLeakproof.push(lintAll(configs.withLeakproof));
  times.withAll.push(lintAll(configs.withAll));
}
// Time spent inside the leakproof rules themselves (create + every visitor
// call), measured in one instrumented pass: on a loaded machine this is a
// steadier estimate of the added cost than the difference of two totals.
let insideRules = 0;
const timed = (fn) =>
  function (...args) {
    const start = process.hrtime.bigint();
    try {
      return fn.apply(this, args);
    } finally {
      insideRules += Number(process.hrtime.bigint() - start) / 1e6;
    }
  };
const instrumentedRules = Object.fromEntries(
  Object.entries(leakproof.rules).map(([name, rule]) => [
    name,
    {
      ...rule,
      create: timed((context) => {
        const visitors = rule.create(context);
        return Object.fromEntries(Object.entries(visitors).map(([key, visit]) => [key, timed(visit)]));
      }),
    },
  ]),
);
const instrumented = { ...leakproof.configs.all, plugins: { leakproof: { ...leakproof, rules: instrumentedRules } } };
const insideStart = process.hrtime.bigint();
lintAll({ module: [base('module'), instrumented], commonjs: [base('commonjs'), instrumented] });
const instrumentedTotal = Number(process.hrtime.bigint() - insideStart) / 1e6;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const totalLines = files.reduce((sum, file) => sum + file.lines, 0);
const perK = (ms) => (ms / totalLines) * 1000;
const baseMs = median(times.recommended);
const withMs = median(times.withLeakproof);
const allMs = median(times.withAll);
const added = ((withMs - baseMs) / baseMs) * 100;
const addedAll = ((allMs - baseMs) / baseMs) * 100;

// Verdicts are written by hand, keyed by file:line:rule, and kept across runs.
const verdictsPath = join(here, 'verdicts.json');
const verdicts = existsSync(verdictsPath) ? JSON.parse(readFileSync(verdictsPath, 'utf8')) : {};
const key = (report) => `${report.file}:${report.line}:${report.rule}`;
for (const report of reports) {
  const verdict = verdicts[key(report)];
  report.verdict = verdict?.verdict ?? 'unreviewed';
  report.why = verdict?.why ?? '';
}
const stale = Object.keys(verdicts).filter((k) => !reports.some((report) => key(report) === k));
if (stale.length > 0) console.warn(`verdicts.json has ${stale.length} verdict(s) for reports no longer made:\n  ${stale.join('\n  ')}`);
const rate = (list) => (list.length === 0 ? 0 : (list.filter((r) => r.verdict === 'false positive').length / list.length) * 100);
const count = (list, verdict) => list.filter((r) => r.verdict === verdict).length;
const recommendedReports = reports.filter((r) => inRecommended(r.rule));
const falsePositiveRate = rate(recommendedReports);
const falsePositiveRateAll = rate(reports);

const packages = [...new Set(files.map((file) => file.pkg))];
const eslintVersion = JSON.parse(readFileSync(join(modules, 'eslint/package.json'), 'utf8')).version;
const escape = (text) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');
const md = `# leakproof/eslint corpus run

Generated by \`node bench/eslint/corpus.mjs\` (do not edit by hand; verdicts live in \`verdicts.json\`).

- Corpus: ${files.length} files, ${totalLines.toLocaleString('en-US')} lines of shipped JavaScript from ${packages.length} packages:
  ${packages.join(', ')}.
- Parse failures (skipped by ESLint, listed for honesty): ${unparsed.length === 0 ? 'none' : unparsed.map((line) => `\`${line}\``).join('; ')}.
- Node ${process.version}, ESLint ${eslintVersion}, ${rounds} timed round(s) per configuration (median), load average at the end ${loadavg().map((value) => value.toFixed(2)).join(' / ')}.

## Reports: ${reports.length}

The corpus is linted with \`configs.all\` (all six rules); \`configs.recommended\` is the same without
\`no-unbounded-cache\`.

| Verdict | \`configs.recommended\` | \`configs.all\` |
| --- | ---: | ---: |
${['true leak', 'acceptable', 'false positive', 'unreviewed'].map((v) => `| ${v} | ${count(recommendedReports, v)} | ${count(reports, v)} |`).join('\n')}
| **reports** | **${recommendedReports.length}** | **${reports.length}** |

**False-positive rate: ${falsePositiveRate.toFixed(1)}% with \`configs.recommended\`** (${count(recommendedReports, 'false positive')} of ${recommendedReports.length}; target: under 10%),
**${falsePositiveRateAll.toFixed(1)}% with \`configs.all\`** (${count(reports, 'false positive')} of ${reports.length}).

Verdicts are strict. "true leak": the code retains memory that grows with use, as the rule describes, and nothing
bounds it. "acceptable": the code retains something that grows with use and nothing in the code bounds it, but the
retention is intended or bounded by the environment (e.g. one entry per file on disk, one per test run of a worker).
"false positive": the code retains nothing that grows with use, whatever the rule says (a fixed key space, one entry
per process). The rate above is the share of false positives among all reports; "acceptable" reports are not
counted as false positives because what they retain does grow.

| File | Line | Rule | Verdict | Why |
| --- | ---: | --- | --- | --- |
${reports.map((report) => `| ${report.file} | ${report.line} | ${report.rule.replace('leakproof/', '')} | ${report.verdict} | ${escape(report.why)} |`).join('\n')}

## Lint time

| Configuration | ms (median round) | ms per 1,000 lines |
| --- | ---: | ---: |
| eslint:recommended | ${baseMs.toFixed(0)} | ${perK(baseMs).toFixed(2)} |
| eslint:recommended + leakproof \`configs.recommended\` | ${withMs.toFixed(0)} | ${perK(withMs).toFixed(2)} |
| eslint:recommended + leakproof \`configs.all\` | ${allMs.toFixed(0)} | ${perK(allMs).toFixed(2)} |

Added by leakproof, difference of the medians: **${added.toFixed(1)}%** with \`configs.recommended\` (target: under 10%),
**${addedAll.toFixed(1)}%** with \`configs.all\`.
Time inside the six leakproof rules in one instrumented pass: ${insideRules.toFixed(0)} ms of ${instrumentedTotal.toFixed(0)} ms
(**${((insideRules / (instrumentedTotal - insideRules)) * 100).toFixed(1)}%** on top of the rest of that pass; the timers themselves add a little). Rounds (ms): recommended ${times.recommended.map((t) => t.toFixed(0)).join(', ')}; with recommended ${times.withLeakproof.map((t) => t.toFixed(0)).join(', ')}; with all ${times.withAll.map((t) => t.toFixed(0)).join(', ')}.
`;
writeFileSync(join(here, 'corpus.md'), md);
console.log(md.split('## Lint time')[1]);
console.log(`${reports.length} reports, ${count(reports, 'unreviewed')} unreviewed, false positives ${falsePositiveRate.toFixed(1)}% (recommended), ${falsePositiveRateAll.toFixed(1)}% (all)`);
if (process.argv.includes('--list')) {
  for (const report of reports) console.log(`${key(report)}\t${report.verdict}\t${report.message.slice(0, 120)}`);
}
