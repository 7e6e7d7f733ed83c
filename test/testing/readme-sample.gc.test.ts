// The failure message the README shows under "A failing check says what holds
// the object" comes from this test, and this test keeps it true: it runs the
// README's scenario and checks that every line of the README's sample appears
// in the real message (the README elides, as `…`, the steps through vitest's
// own objects, which differ between Node versions).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectCollectable, LeakError } from '../../src/testing/index.js';

/** A connection that stays open for the whole test: its `closed` never settles. */
const connection = { closed: new Promise<never>(() => {}) };

/** One message sent the tRPC v11 way: raced against the connection's `closed`. */
function sendOne(): object {
  const payload = { body: 'x'.repeat(1000) };
  void Promise.race([Promise.resolve(payload), connection.closed]);
  return payload;
}

function readmeSample(): string[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('```text\nLeakError: 1 of 1 tracked object(s)');
  expect(start, 'README sample not found').toBeGreaterThan(0);
  const body = readme.slice(start + '```text\n'.length, readme.indexOf('\n```', start));
  // `…` stands for the steps through the test runner's objects, which vary.
  return body.split('\n').map((line) => line.trim()).filter((line) => line !== '' && line !== '…');
}

describe('README sample failure', () => {
  it('is what expectCollectable reports for a payload raced against a long-lived promise', async () => {
    const error: unknown = await expectCollectable(sendOne, { label: 'payload', explain: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeakError);
    // Line and column of the closure move when this file is edited; the README
    // keeps the ones it had when its sample was taken.
    const at = (text: string): string => text.replace(/readme-sample\.gc\.test\.ts:\d+:\d+/g, 'readme-sample.gc.test.ts:L:C');
    const message = at((error as LeakError).message.replaceAll(`${process.cwd()}/`, ''));
    for (const line of readmeSample()) expect(message).toContain(at(line.replace(/^LeakError: /, '')));
  });
});
