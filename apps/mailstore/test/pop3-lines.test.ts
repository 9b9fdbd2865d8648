import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineReader } from '../src/pop3/lines.js';

const lines = (reader: LineReader, ...chunks: string[]) => chunks.flatMap((chunk) => reader.push(Buffer.from(chunk)));

describe('POP3 line reader', () => {
  it('splits CRLF lines and strips the line ending', () => {
    assert.deepEqual(lines(new LineReader(100), 'USER a\r\nPASS b c\r\n'), [
      { kind: 'line', text: 'USER a' },
      { kind: 'line', text: 'PASS b c' },
    ]);
  });

  it('joins a line that arrives in several chunks', () => {
    assert.deepEqual(lines(new LineReader(100), 'ST', 'A', 'T\r', '\n'), [{ kind: 'line', text: 'STAT' }]);
  });

  it('accepts a bare LF as the end of a line', () => {
    assert.deepEqual(lines(new LineReader(100), 'NOOP\nQUIT\n'), [
      { kind: 'line', text: 'NOOP' },
      { kind: 'line', text: 'QUIT' },
    ]);
  });

  it('keeps a line of exactly the limit, CRLF included', () => {
    const text = 'X'.repeat(8);
    assert.deepEqual(lines(new LineReader(10), `${text}\r\n`), [{ kind: 'line', text }]);
  });

  it('reports a line one octet over the limit as overlong', () => {
    assert.deepEqual(lines(new LineReader(10), `${'X'.repeat(9)}\r\n`), [{ kind: 'overlong' }]);
  });

  it('drops an overlong line as it streams in and reports it once, then reads the next line', () => {
    const reader = new LineReader(16);
    const events = lines(reader, 'A'.repeat(10), 'B'.repeat(10_000), 'C'.repeat(10_000), 'D\r\nNOOP\r\n');
    assert.deepEqual(events, [{ kind: 'overlong' }, { kind: 'line', text: 'NOOP' }]);
  });

  it('never holds more than the limit of an unfinished line', () => {
    const reader = new LineReader(16);
    for (let i = 0; i < 1000; i++) reader.push(Buffer.alloc(1024, 0x41));
    const held = (reader as unknown as { pendingOctets: number }).pendingOctets;
    assert.ok(held <= 16, `holds ${held} octets`);
  });

  it('forgets an unfinished line on clear()', () => {
    const reader = new LineReader(100);
    lines(reader, 'USER pipelined');
    reader.clear();
    assert.deepEqual(lines(reader, 'CAPA\r\n'), [{ kind: 'line', text: 'CAPA' }]);
  });

  it('decodes UTF-8 (a password may hold non-ASCII characters)', () => {
    assert.deepEqual(lines(new LineReader(100), 'PASS pässwörd\r\n'), [{ kind: 'line', text: 'PASS pässwörd' }]);
  });
});
