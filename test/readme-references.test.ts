// "A guarantee in the README is a test": every `test/…` or `bench/…` file the
// README names exists, and every test it quotes (`file` › "name") is in that
// file – so a renamed or deleted test cannot leave a guarantee pointing at
// nothing. "…" in a quoted name stands for a part left out (a long name, or
// a figure that differs between Node versions); the parts must appear in order.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const readme = readFileSync('README.md', 'utf8');
// Names wrap across lines in the README and in the test files alike.
const flat = (text: string): string => text.replace(/\s*\n\s*/g, ' ');

interface Reference {
  file: string;
  names: string[];
}

function references(): Reference[] {
  const found: Reference[] = [];
  for (const match of flat(readme).matchAll(/`((?:test|bench)\/[\w./-]+)`((?:,?\s*›?\s*"[^"]+")*)/g)) {
    const names = [...(match[2] ?? '').matchAll(/"([^"]+)"/g)].map((quoted) => quoted[1]!);
    found.push({ file: match[1]!, names });
  }
  return found;
}

function containsInOrder(text: string, name: string): boolean {
  let from = 0;
  for (const part of name.split('…').map((p) => p.trim()).filter(Boolean)) {
    const at = text.indexOf(part, from);
    if (at < 0) return false;
    from = at + part.length;
  }
  return true;
}

describe('README references', () => {
  const all = references();

  it('finds the references it checks (the parser itself works)', () => {
    expect(all.length).toBeGreaterThan(40);
    expect(all.filter((r) => r.names.length > 0).length).toBeGreaterThan(25);
  });

  it('names only files that exist', () => {
    expect(all.filter((r) => !existsSync(r.file)).map((r) => r.file)).toEqual([]);
  });

  it('quotes only test names that are in the file it names', () => {
    const missing: string[] = [];
    for (const { file, names } of all) {
      if (names.length === 0 || !existsSync(file)) continue;
      const text = flat(readFileSync(file, 'utf8'));
      for (const name of names) if (!containsInOrder(text, name)) missing.push(`${file} › "${name}"`);
    }
    expect(missing).toEqual([]);
  });
});
