// Each rule's `meta.docs.url`: a `file:` URL to the README.md shipped with the
// package, at an anchor that names one of its headings – from the TypeScript
// source, and from both built files (dist/, which `npm test` builds first).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import source from '../../src/eslint/index.js';

const readmePath = fileURLToPath(new URL('../../README.md', import.meta.url));
const esmPath = fileURLToPath(new URL('../../dist/eslint/index.js', import.meta.url));
const cjsPath = fileURLToPath(new URL('../../dist/eslint/index.cjs', import.meta.url));

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of every Markdown heading in `markdown`, outside fenced code. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const match = !fenced && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (match) anchors.add(slug(match[1]!));
  }
  return anchors;
}

type Rules = Record<string, { meta?: { docs?: { url?: string } } }>;

function checkUrls(rules: Rules): void {
  const anchors = headingAnchors(readFileSync(readmePath, 'utf8'));
  expect(Object.keys(rules)).toHaveLength(6);
  for (const [name, rule] of Object.entries(rules)) {
    const url = new URL(rule.meta?.docs?.url ?? `missing:${name}`);
    expect(url.protocol, name).toBe('file:');
    const path = fileURLToPath(url);
    expect(path, name).toBe(readmePath);
    expect(existsSync(path), name).toBe(true);
    expect(anchors.has(decodeURIComponent(url.hash.slice(1))), `${name}: ${url.hash} is not a README heading`).toBe(true);
  }
}

describe('rule docs URLs', () => {
  it('slugs headings as GitHub does', () => {
    expect(slug('Find leaks in your code')).toBe('find-leaks-in-your-code');
    expect(slug('Test your code for leaks: `leakproof/testing`')).toBe('test-your-code-for-leaks-leakprooftesting');
    expect(slug('weakInterval and weakTimeout')).toBe('weakinterval-and-weaktimeout');
    expect([...headingAnchors('# A\n```md\n# not a heading\n```\n## B c')]).toEqual(['a', 'b-c']);
  });

  it('point each rule at a README heading, from the TypeScript source', () => {
    checkUrls(source.rules as Rules);
  });

  it('point each rule at the package README heading, from the ES module build', async () => {
    expect(existsSync(esmPath), 'dist/eslint/index.js: run `npm run build` first').toBe(true);
    const built = (await import(esmPath)) as { default: { rules: Rules } };
    checkUrls(built.default.rules);
  });

  it('point each rule at the package README heading, from the CommonJS build', () => {
    expect(existsSync(cjsPath), 'dist/eslint/index.cjs: run `npm run build` first').toBe(true);
    const built = createRequire(import.meta.url)(cjsPath) as { rules: Rules };
    checkUrls(built.rules);
  });
});
