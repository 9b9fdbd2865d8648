import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { BareNewlineFilter, type BareNewlineMode } from '../src/bare-newline.js';

async function run(mode: BareNewlineMode, chunks: string[]): Promise<{ text: string; bare: number }> {
  const filter = new BareNewlineFilter(mode);
  const out: Buffer[] = [];
  filter.on('data', (chunk: Buffer) => out.push(chunk));
  const done = new Promise((resolve) => filter.on('end', resolve));
  Readable.from(chunks.map((c) => Buffer.from(c, 'latin1'))).pipe(filter);
  await done;
  return { text: Buffer.concat(out).toString('latin1'), bare: filter.bareCount };
}

/** Every way of cutting `text` in two. */
function splits(text: string): string[][] {
  return Array.from({ length: text.length + 1 }, (_, i) => [text.slice(0, i), text.slice(i)]);
}

// [the input, as bytes, what normalize makes of it, how many bare CR/LF it holds]
const CASES: [string, string, string, number][] = [
  ['clean CRLF text', 'a\r\nb\r\n', 'a\r\nb\r\n', 0],
  ['a bare LF', 'a\nb\r\n', 'a\r\nb\r\n', 1],
  ['a bare CR', 'a\rb\r\n', 'a\r\nb\r\n', 1],
  ['LF.LF', 'x\n.\ny', 'x\r\n.\r\ny', 2],
  ['CR.LF', 'x\r.\ny', 'x\r\n.\r\ny', 2],
  ['LF.CRLF', 'x\n.\r\ny', 'x\r\n.\r\ny', 1],
  ['CRLF.CR', 'x\r\n.\ry', 'x\r\n.\r\ny', 1],
  ['CR CR LF (the first CR is bare)', 'a\r\r\nb', 'a\r\n\r\nb', 1],
  ['a bare CR at the very end', 'a\r', 'a\r\n', 1],
  ['a bare LF at the very start', '\nabc', '\r\nabc', 1],
];

describe('BareNewlineFilter (smtpd_forbid_bare_newline)', () => {
  for (const [name, input, normalized, bare] of CASES) {
    it(`normalize makes CRLF-only text of ${name}, however the input is cut`, async () => {
      for (const chunks of splits(input)) {
        const result = await run('normalize', chunks);
        assert.equal(result.text, normalized, JSON.stringify(chunks));
        assert.equal(result.bare, bare, JSON.stringify(chunks));
      }
    });
    it(`reject counts the bare CR/LF of ${name} and changes nothing`, async () => {
      for (const chunks of splits(input)) {
        const result = await run('reject', chunks);
        assert.equal(result.text, input, JSON.stringify(chunks));
        assert.equal(result.bare, bare, JSON.stringify(chunks));
      }
    });
  }

  it('normalizes a large message with scattered bare newlines in many chunks', async () => {
    const line = `${'x'.repeat(70)}\n`;
    const input = line.repeat(10_000);
    const chunks = input.match(/[\s\S]{1,1000}/g)!;
    const result = await run('normalize', chunks);
    assert.equal(result.text, input.replaceAll('\n', '\r\n'));
    assert.equal(result.bare, 10_000);
  });
});
