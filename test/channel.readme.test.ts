// The README's Channel worker-pool example, run exactly as written (issue 8
// item 4: the v0.1 example hung – its `for await` ran before `close()` – and
// Node exited with code 13, "unsettled top-level await").
//
// EXAMPLE below is the README's block verbatim; the first test checks that
// the README still contains it character for character, the second runs it in a child process the way
// a user would (`import … from 'leakproof'` resolved to this checkout's
// source). The control runs v0.1's ordering through the same harness and
// must hang with exit code 13, so a harness that could not see a hang fails.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

const EXAMPLE = `import { Channel } from 'leakproof';

const jobs = new Channel<number>({ capacity: 10 });

// Start the workers first: each \`for await\` is a consumer of its own,
// and every job goes to exactly one of them.
const workers = [1, 2, 3].map(async () => {
  let done = 0;
  for await (const job of jobs) {
    await new Promise((resolve) => setTimeout(resolve, job % 3)); // the work
    done++;
  }
  return done;
});

// Then produce: send() waits while 10 jobs are buffered (backpressure).
for (let job = 0; job < 100; job++) await jobs.send(job);
jobs.close(); // workers finish the buffered jobs, then their loops end

const counts = await Promise.all(workers);
console.log(counts.reduce((a, b) => a + b)); // 100
`;

const RECEIVE_EXAMPLE = `import { Channel } from 'leakproof';

const replies = new Channel<string>({ capacity: 0 });
setTimeout(() => void replies.send('pong'), 10);
const reply = await replies.receive({ signal: AbortSignal.timeout(1000) });
console.log(reply.done ? 'closed' : reply.value); // 'pong'
`;

// v0.1's README ordering, made self-contained: the consumer loop runs to
// completion before the producer gets to send or close.
const V01_ORDERING = `import { Channel } from 'leakproof';

const jobs = new Channel<number>({ capacity: 10 });
for await (const job of jobs) console.log(job);
for (let job = 0; job < 100; job++) await jobs.send(job);
jobs.close();
`;

/** Runs `code` as an ES module with 'leakproof' resolved to src/index.ts; its exit code and output. */
function runAsUser(code: string): { status: number | null; stdout: string; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'leakproof-readme-'));
  try {
    const file = join(dir, 'example.mts');
    const entry = pathToFileURL(join(root, 'src/index.ts')).href;
    writeFileSync(file, code.replace("from 'leakproof'", `from ${JSON.stringify(entry)}`));
    const result = spawnSync(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('Channel README example', () => {
  it('is the code the README shows, verbatim', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    for (const code of [EXAMPLE, RECEIVE_EXAMPLE]) {
      const block = '```ts\n' + code + '```';
      expect(readme.includes(block)).toBe(true);
    }
  });

  it('runs the worker pool to completion: every job done once, the process exits 0', () => {
    const { status, stdout, stderr } = runAsUser(EXAMPLE);
    expect(stderr).toBe('');
    expect(stdout).toBe('100\n');
    expect(status).toBe(0);
  });

  it('runs the receive({ signal }) example: the rendezvous reply arrives, the process exits 0', () => {
    const { status, stdout, stderr } = runAsUser(RECEIVE_EXAMPLE);
    expect(stderr).toBe('');
    expect(stdout).toBe('pong\n');
    expect(status).toBe(0);
  });

  it('the harness sees a hang: v0.1’s ordering exits with code 13 (control)', () => {
    const { status, stdout } = runAsUser(V01_ORDERING);
    expect(stdout).toBe('');
    expect(status).toBe(13);
  });
});
