import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { DotStuffer } from '../src/dot-stuffing.js';

async function stuff(chunks: string[]): Promise<string> {
  const stuffer = new DotStuffer();
  const out: Buffer[] = [];
  stuffer.on('data', (chunk: Buffer) => out.push(chunk));
  const done = new Promise((resolve) => stuffer.on('end', resolve));
  Readable.from(chunks.map((c) => Buffer.from(c))).pipe(stuffer);
  await done;
  return Buffer.concat(out).toString();
}

const CASES: [string, string, string][] = [
  ['a line starting with a dot gets a second one', 'a\r\n.b\r\n', 'a\r\n..b\r\n'],
  ['the first line too', '.a\r\n', '..a\r\n'],
  ['a lone dot line (RFC 5321 §4.5.2)', 'a\r\n.\r\nb\r\n', 'a\r\n..\r\nb\r\n'],
  ['dots elsewhere are left alone', 'a.b\r\nc.\r\n', 'a.b\r\nc.\r\n'],
  ['content without a final CRLF gets one, so the terminator is its own line', 'abc', 'abc\r\n'],
  ['an empty message stays empty', '', ''],
];

describe('DotStuffer (RFC 5321 §4.5.2 transparency for LMTP)', () => {
  for (const [name, input, expected] of CASES) {
    it(`${name}, however the input is cut`, async () => {
      for (let i = 0; i <= input.length; i++) {
        const chunks = [input.slice(0, i), input.slice(i)].filter((c) => c !== '');
        assert.equal(await stuff(chunks), expected, JSON.stringify(chunks));
      }
    });
  }
});
