// Restores the lock-file entries of rollup's platform packages that `npm
// install` drops when the registry it talks to does not serve other
// platforms' binaries (the case on this project's machines: they answer 404).
// Without the entries `npm ci` refuses the lock file ("Missing: ... from lock
// file"); with them it skips each package by its os/cpu fields, as it would
// anywhere. Run after any `npm install` that rewrites package-lock.json:
//   node .ci/fix-lockfile.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;
const rollup = packages['node_modules/rollup'];
if (!rollup?.optionalDependencies) throw new Error('no rollup entry with optionalDependencies in package-lock.json');

const cpus = ['arm64', 'arm', 'x64', 'ia32', 'loong64', 'ppc64', 'riscv64', 's390x'];
let added = 0;
for (const [name, version] of Object.entries(rollup.optionalDependencies)) {
  const key = `node_modules/${name}`;
  if (packages[key]) continue;
  // @rollup/rollup-<os>-<cpu>[-<abi>]
  const parts = name.replace('@rollup/rollup-', '').split('-');
  const os = parts[0];
  const cpu = cpus.find((c) => parts[1] === c);
  if (!cpu) throw new Error(`cannot derive the cpu of ${name}`);
  const abi = parts[2];
  const entry = { version, cpu: [cpu], dev: true };
  if (abi === 'gnu' || abi === 'gnueabihf') entry.libc = ['glibc'];
  if (abi === 'musl' || abi === 'musleabihf') entry.libc = ['musl'];
  Object.assign(entry, { license: 'MIT', optional: true, os: [os] });
  packages[key] = entry;
  added++;
}
lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)));
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} entries`);
