// The ManageSieve command reader (RFC 5804 §4): the grammar's forms as tables, its bounds, and a
// fuzz run with a fixed seed: no input throws, and what it holds stays bounded.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommandReader, type LineEvent } from '../src/managesieve/index.js';

const LIMITS = { maxLineOctets: 1024, maxLiteralOctets: 4096, maxArgs: 8 };

function read(...chunks: string[]): LineEvent[] {
  const reader = new CommandReader(LIMITS);
  return chunks.flatMap((chunk) => reader.push(Buffer.from(chunk, 'utf8')));
}

describe('ManageSieve command reader', () => {
  const table: [string, string, LineEvent[]][] = [
    ['an atom', 'CAPABILITY\r\n', [{ kind: 'line', args: [{ kind: 'atom', value: 'CAPABILITY' }] }]],
    ['quoted strings and a number (RFC 5804 §2.5 example)', 'HAVESPACE "myscript" 999999\r\n', [{ kind: 'line', args: [{ kind: 'atom', value: 'HAVESPACE' }, { kind: 'string', value: 'myscript' }, { kind: 'number', value: 999999 }] }]],
    ['a non-synchronizing literal (RFC 5804 §2.6 example)', 'Putscript "foo" {31+}\r\n#comment\r\nInvalidSieveCommand\r\n\r\n', [{ kind: 'line', args: [{ kind: 'atom', value: 'Putscript' }, { kind: 'string', value: 'foo' }, { kind: 'string', value: '#comment\r\nInvalidSieveCommand\r\n' }] }]],
    ['a synchronizing literal', 'CHECKSCRIPT {5}\r\nkeep;\r\n', [{ kind: 'line', args: [{ kind: 'atom', value: 'CHECKSCRIPT' }, { kind: 'string', value: 'keep;' }] }]],
    ['escaped quote and backslash', 'PUTSCRIPT "a\\"b\\\\c" ""\r\n', [{ kind: 'line', args: [{ kind: 'atom', value: 'PUTSCRIPT' }, { kind: 'string', value: 'a"b\\c' }, { kind: 'string', value: '' }] }]],
    ['UTF-8 in a quoted string', 'SETACTIVE "café"\r\n', [{ kind: 'line', args: [{ kind: 'atom', value: 'SETACTIVE' }, { kind: 'string', value: 'café' }] }]],
    ['a SASL answer line that is only a string', '"dGVzdA=="\r\n', [{ kind: 'line', args: [{ kind: 'string', value: 'dGVzdA==' }] }]],
    ['a bare LF', 'NOOP\n', [{ kind: 'line', args: [{ kind: 'atom', value: 'NOOP' }] }]],
  ];
  for (const [what, input, expected] of table) {
    it(`reads ${what}`, () => assert.deepEqual(read(input), expected));
    it(`reads ${what} split at every byte`, () => {
      const reader = new CommandReader(LIMITS);
      const bytes = Buffer.from(input, 'utf8');
      const events = [...bytes].flatMap((_, i) => reader.push(bytes.subarray(i, i + 1)));
      assert.deepEqual(events, expected);
    });
  }

  const refusals: [string, string, LineEvent['kind'], string][] = [
    ['an escape other than \\" and \\\\', 'PUTSCRIPT "a\\nb" "x"\r\n', 'bad', 'syntax'],
    ['a CR inside a quoted string', 'NOOP "a\rb"\r\n', 'bad', 'syntax'],
    ['a quoted string over 1024 octets', `NOOP "${'x'.repeat(1025)}"\r\n`, 'bad', 'syntax'],
    ['a number over 4294967295', 'HAVESPACE "a" 4294967296\r\n', 'bad', 'syntax'],
    ['an empty line', '\r\n', 'bad', 'syntax'],
    ['arguments run together', 'NOOP "a""b"\r\n', 'bad', 'syntax'],
    ['too many arguments', `NOOP${' "a"'.repeat(9)}\r\n`, 'bad', 'syntax'],
    ['a literal size that is not a number', 'PUTSCRIPT "a" {x+}\r\n', 'bad', 'syntax'],
  ];
  for (const [what, input, kind, reason] of refusals) {
    it(`refuses ${what} and reads the next line`, () => {
      const events = read(input, 'NOOP\r\n');
      assert.equal(events.length, 2, JSON.stringify(events));
      assert.equal(events[0]?.kind, kind);
      assert.equal(events[0]?.kind === 'bad' ? events[0].reason : null, reason);
      assert.deepEqual(events[1], { kind: 'line', args: [{ kind: 'atom', value: 'NOOP' }] });
    });
  }

  it('refuses an overlong line without holding it, then reads the next', () => {
    const reader = new CommandReader(LIMITS);
    const events: LineEvent[] = [];
    for (let i = 0; i < 100; i++) events.push(...reader.push(Buffer.from('x'.repeat(1000))));
    events.push(...reader.push(Buffer.from('\r\nNOOP\r\n')));
    assert.deepEqual(events.map((e) => (e.kind === 'bad' ? e.reason : 'line')), ['overlong', 'line']);
  });

  it('drops an oversized literal as it streams by, naming the command, then reads the next line', () => {
    const reader = new CommandReader(LIMITS);
    const events = [...reader.push(Buffer.from('PUTSCRIPT "big" {10000+}\r\n'))];
    for (let i = 0; i < 10; i++) events.push(...reader.push(Buffer.alloc(1000, 0x61)));
    events.push(...reader.push(Buffer.from('\r\nNOOP\r\n')));
    assert.deepEqual(events, [
      { kind: 'bad', reason: 'literal-too-large', text: 'Literal too large (at most 4096 octets)', command: 'PUTSCRIPT' },
      { kind: 'line', args: [{ kind: 'atom', value: 'NOOP' }] },
    ]);
  });

  it('never throws on random input (fixed seed, 2000 rounds) and never holds more than a line and a literal', () => {
    let seed = 20261207;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const pieces = ['{', '}', '+}', '{12+}\r\n', '{4294967296}', '"', '\\', '\\"', '\r', '\n', '\r\n', ' ', 'PUTSCRIPT', 'NOOP', '0', '99999999999'];
    for (let round = 0; round < 2000; round++) {
      const reader = new CommandReader(LIMITS);
      for (let chunk = 0; chunk < 8; chunk++) {
        let text = '';
        const length = random() % 300;
        for (let i = 0; i < length; i++) text += random() % 4 === 0 ? String.fromCharCode(random() % 256) : pieces[random() % pieces.length];
        const events = reader.push(Buffer.from(text, 'latin1'));
        for (const event of events) assert.ok(event.kind === 'line' || event.kind === 'bad');
        const held = (reader as unknown as { buffer: Buffer }).buffer.length;
        assert.ok(held <= LIMITS.maxLineOctets + LIMITS.maxLiteralOctets + 300, `held ${held} octets`);
      }
    }
  });
});
