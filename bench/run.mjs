// Runs every benchmark (or those whose file name contains an argument) in a
// process of its own, so one bench's heap and JIT state cannot skew another's.
//   npm run bench            all of bench/*.bench.ts and bench/memory/*.mem.ts
//   npm run bench -- race    only files whose name contains "race"
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const filters = process.argv.slice(2);
const files = [
  ...readdirSync('bench').filter((f) => f.endsWith('.bench.ts')).map((f) => join('bench', f)),
  ...readdirSync('bench/memory').filter((f) => f.endsWith('.mem.ts')).map((f) => join('bench/memory', f)),
].filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));

let failed = 0;
for (const file of files) {
  console.log(`\n# ${file}\n`);
  const result = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', file], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed++;
    console.error(`${file} exited with ${result.status ?? result.signal}`);
  }
}
process.exit(failed ? 1 : 0);
