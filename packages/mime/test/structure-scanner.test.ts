import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MimeStructureScanner, scanMimeStructure, type MimeLimits } from '../src/index.js';

const LIMITS: MimeLimits = { mime_nesting_limit: 100, mime_part_limit: 10000, header_size_limit: 102400, header_line_limit: 10000 };
const scan = (text: string, limits: Partial<MimeLimits> = {}) => scanMimeStructure(Buffer.from(text, 'latin1'), { ...LIMITS, ...limits });

const multiparts = (depth: number): string => {
  let text = 'Content-Type: text/plain\r\n\r\ninnermost\r\n';
  for (let i = depth - 1; i >= 0; i--) text = `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n${text}--b${i}--\r\n`;
  return `Subject: nest\r\n${text}`;
};
const messages = (depth: number): string => `Subject: top\r\n${'Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n'.repeat(depth)}\r\nbody\r\n`;
const flat = (parts: number): string => `Content-Type: multipart/mixed; boundary=x\r\n\r\n${'--x\r\n\r\npart\r\n'.repeat(parts)}--x--\r\n`;

describe('MimeStructureScanner', () => {
  it('passes an ordinary multipart/alternative message (RFC 2046 §5.1.1 example shape)', () => {
    const text = [
      'From: Nathaniel Borenstein <nsb@bellcore.com>',
      'Subject: Sample message',
      'MIME-Version: 1.0',
      'Content-type: multipart/mixed; boundary="simple boundary"',
      '',
      'This is the preamble.  It is to be ignored.',
      '--simple boundary',
      '',
      'This is implicitly typed plain US-ASCII text.',
      '--simple boundary',
      'Content-type: text/plain; charset=us-ascii',
      '',
      'This is explicitly typed plain US-ASCII text.',
      '--simple boundary--',
      'This is the epilogue.  It is also to be ignored.',
      '',
    ].join('\r\n');
    assert.equal(scan(text), null);
  });

  it('counts multipart nesting against mime_nesting_limit: 100 levels pass, 101 are refused with 554 5.6.0', () => {
    assert.equal(scan(multiparts(100)), null);
    const exceeded = scan(multiparts(101));
    assert.equal(exceeded?.limit, 'mime_nesting_limit');
    assert.equal(exceeded?.code, 554);
    assert.equal(exceeded?.status, '5.6.0');
    assert.match(exceeded!.text, /MIME nesting exceeds safety limit \(mime_nesting_limit 100\)/);
  });

  it('counts encapsulated message/rfc822 bodies as nesting (RFC 2046 §5.2.1), but not an encoded one', () => {
    assert.equal(scan(messages(100)), null);
    assert.equal(scan(messages(101))?.limit, 'mime_nesting_limit');
    const encoded = `Subject: top\r\n${'Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n'.repeat(1)}${messages(200)}`;
    assert.equal(scan(encoded), null);
  });

  it('reads a part without Content-Type in a multipart/digest as message/rfc822 (RFC 2046 §5.1.5)', () => {
    let text = 'Subject: leaf\r\n\r\nbody\r\n';
    for (let i = 0; i < 60; i++) text = `Content-Type: multipart/digest; boundary=d${i}\r\n\r\n--d${i}\r\n\r\n${text}--d${i}--\r\n`;
    // 60 digests, each holding a message: 120 levels.
    assert.equal(scan(text)?.limit, 'mime_nesting_limit');
  });

  it('counts every entity against mime_part_limit', () => {
    assert.equal(scan(flat(9999)), null);
    const exceeded = scan(flat(10000));
    assert.equal(exceeded?.limit, 'mime_part_limit');
    assert.equal(exceeded?.code, 554);
  });

  it('closes inner multiparts at an outer delimiter, so siblings do not count as nesting', () => {
    // Each inner multipart is left unclosed; the outer delimiter ends it (RFC 2046 §5.1.2).
    const inner = 'Content-Type: multipart/mixed; boundary=in\r\n\r\n--in\r\n\r\ntext\r\n';
    assert.equal(scan(`Content-Type: multipart/mixed; boundary=out\r\n\r\n${`--out\r\n${inner}`.repeat(500)}--out--\r\n`, { mime_nesting_limit: 3 }), null);
  });

  it('allows transport padding after a delimiter and bare LF line ends', () => {
    const text = 'Content-Type: multipart/mixed; boundary=x\n\n--x  \n\none\n--x\t\n\ntwo\n--x-- \n';
    assert.equal(scan(text, { mime_part_limit: 3 }), null);
    assert.equal(scan(text, { mime_part_limit: 2 })?.limit, 'mime_part_limit');
  });

  it('refuses a header section of more than header_line_limit lines, folded (RFC 5322 §2.2.3) or not, with 552 5.3.4', () => {
    const folded = (lines: number) => `Subject: a${'\r\n b'.repeat(lines - 1)}\r\n\r\nbody\r\n`;
    assert.equal(scan(folded(10000)), null);
    const exceeded = scan(folded(10001));
    assert.equal(exceeded?.limit, 'header_line_limit');
    assert.equal(exceeded?.code, 552);
    assert.equal(exceeded?.status, '5.3.4');
    assert.equal(scan(`${'X-Field: v\r\n'.repeat(10001)}\r\nbody\r\n`)?.limit, 'header_line_limit');
    // Each part's header is its own section.
    const part = `--x\r\n${'X-Field: v\r\n'.repeat(6000)}\r\ntext\r\n`;
    assert.equal(scan(`Content-Type: multipart/mixed; boundary=x\r\n\r\n${part}${part}--x--\r\n`), null);
  });

  it('refuses a header field longer than header_size_limit, folded or on one line, in any part', () => {
    assert.equal(scan(`To: ${'g:'.repeat(60000)}a@example.com${';'.repeat(60000)}\r\n\r\nx\r\n`)?.limit, 'header_size_limit');
    assert.equal(scan(`Subject: x\r\n\r\n${'A'.repeat(200000)}\r\n`), null, 'a long body line is not a header');
    const inPart = `Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nX-Long: ${'y '.repeat(60000)}\r\n\r\nz\r\n--x--\r\n`;
    assert.equal(scan(inPart)?.limit, 'header_size_limit');
  });

  it('gives the same answer for any chunking of the bytes', () => {
    const text = Buffer.from(multiparts(101));
    for (const size of [1, 2, 3, 7, 64, 1000]) {
      const scanner = new MimeStructureScanner(LIMITS);
      for (let at = 0; at < text.length; at += size) scanner.write(text.subarray(at, at + size));
      assert.equal(scanner.end()?.limit, 'mime_nesting_limit', `chunks of ${size}`);
    }
    const header = Buffer.from(`Subject: a${'\r\n b'.repeat(10000)}\r\n\r\n`);
    const scanner = new MimeStructureScanner(LIMITS);
    for (let at = 0; at < header.length; at += 5) scanner.write(header.subarray(at, at + 5));
    assert.equal(scanner.end()?.limit, 'header_line_limit');
  });

  it('scans the issue-16 shapes in linear time (200,000 folded lines, 50,000 parts, 10,000 nestings)', () => {
    const shapes = [`Subject: a${'\r\n b'.repeat(200000)}\r\n\r\n`, flat(50000), messages(10000), multiparts(5000)];
    for (const shape of shapes) assert.notEqual(scan(shape), null);
  });
});
