// Every ```ts and ```js block of README.md compiles against the built package.
//
// A block is checked as written. What a block uses but does not define (an
// `iterator`, a `socket`) it declares in comments at its top, one per line:
//   // given: iterator: AsyncIterator<Buffer>
//   // given: function send(data: Buffer): void
// and only that is filled in (as `declare const …` / `declare function …`). Imports of 'leakproof',
// 'leakproof/testing' and 'leakproof/eslint' resolve to dist/'s declarations,
// which is what a user's editor sees after `npm install leakproof`.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

interface Block {
  line: number;
  lang: 'ts' | 'js';
  code: string;
}

function readmeBlocks(): Block[] {
  const lines = readFileSync(`${root}README.md`, 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|js)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    blocks.push({ line: start + 1, lang: open[1] as 'ts' | 'js', code: body.join('\n') });
  }
  return blocks;
}

/**
 * The block with its `// given:` declarations prepended (one per line at the
 * top of the block: `name: Type`, `function f(…): T`, `interface …`, `type …`);
 * always a module.
 */
function source(block: Block): string {
  const declarations: string[] = [];
  for (const line of block.code.split('\n')) {
    const given = /^\/\/ given: (.*)$/.exec(line);
    if (!given) break;
    const d = given[1]!.trim();
    if (/^(interface|type|class|enum) /.test(d)) declarations.push(d);
    else if (d.startsWith('function ')) declarations.push(`declare ${d};`);
    else declarations.push(`declare const ${d};`);
  }
  // Declarations go on the first line, so diagnostics keep the block's line numbers.
  return `${declarations.join(' ')}${block.code}\nexport {};\n`;
}

function check(blocks: Block[]): Map<Block, string[]> {
  const files = new Map(blocks.map((b, i) => [`${root}readme-block-${i}.${b.lang === 'ts' ? 'ts' : 'mts'}`, b]));
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts', 'lib.esnext.disposable.d.ts', 'lib.esnext.iterator.d.ts', 'lib.dom.d.ts'],
    types: ['node'],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    allowJs: true,
    checkJs: true,
    baseUrl: root,
    paths: {
      leakproof: ['dist/index.d.ts'],
      'leakproof/testing': ['dist/testing/index.d.ts'],
      'leakproof/eslint': ['dist/eslint/index.d.ts'],
    },
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (name) => (files.has(name) ? source(files.get(name)!) : readFile(name));
  host.fileExists = (name) => files.has(name) || fileExists(name);
  host.getSourceFile = (name, version, onError, create) =>
    files.has(name)
      ? ts.createSourceFile(name, source(files.get(name)!), version, true)
      : getSourceFile(name, version, onError, create);
  const program = ts.createProgram([...files.keys()], options, host);
  const result = new Map<Block, string[]>(blocks.map((b) => [b, []]));
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const block = diagnostic.file && files.get(diagnostic.file.fileName);
    if (!block) continue;
    const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    result.get(block)!.push(`README.md:${block.line + 1 + line}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`);
  }
  return result;
}

describe('README code blocks', () => {
  it('finds the built declarations the blocks import', () => {
    expect(existsSync(`${root}dist/index.d.ts`), 'run `npm run build` first').toBe(true);
  });

  const blocks = readmeBlocks();
  it('has code blocks to check', () => {
    expect(blocks.length).toBeGreaterThan(5);
  });

  const results = existsSync(`${root}dist/index.d.ts`) ? check(blocks) : new Map<Block, string[]>();
  for (const block of blocks) {
    it(`compiles the ${block.lang} block at README.md:${block.line}`, () => {
      expect(results.get(block) ?? ['not checked: dist/ missing']).toEqual([]);
    });
  }
});
