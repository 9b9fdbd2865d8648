import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { foldField } from '../src/fold.js';
import { firstMailbox } from '../src/from-address.js';
import { fieldValue, parseHeader } from '../src/header-fields.js';

describe('firstMailbox (RFC 5322 §3.4)', () => {
  const cases: [string, string | null][] = [
    ['alice@example.com', 'alice@example.com'],
    [' Alice Example <alice@Example.COM>', 'alice@example.com'],
    ['"Doe, John" <john@example.com>, jane@example.org', 'john@example.com'],
    ['"<fake@evil.example>" <real@example.com>', 'real@example.com'],
    ['alice@example.com (Alice <not@this.example>)', 'alice@example.com'],
    ['(comment, with comma) bob@example.net, carol@example.org', 'bob@example.net'],
    ['Team: ann@example.com, bo@example.com;', 'ann@example.com'],
    ['=?utf-8?q?J=C3=B6rg?= <jorg@bücher.example>', 'jorg@xn--bcher-kva.example'],
    ['<@relay.example:user@example.com>', 'user@example.com'],
    ['"john doe"@example.com', '"john doe"@example.com'],
    ['user@[192.0.2.1]', null],
    ['undisclosed-recipients:;', null],
    ['', null],
  ];
  for (const [value, expected] of cases) {
    test(`${JSON.stringify(value)} → ${JSON.stringify(expected)}`, () => assert.equal(firstMailbox(value)?.address ?? null, expected));
  }
});

describe('parseHeader', () => {
  test('splits fields at unfolded line starts and finds the empty line', () => {
    const data = Buffer.from('A: 1\r\nB: two\r\n  lines\r\nC:3\r\n\r\nbody: not a field\r\n');
    const header = parseHeader(data);
    assert.deepEqual(header.fields.map((f) => f.name), ['A', 'B', 'C']);
    assert.equal(fieldValue(header.fields[1]!), ' two  lines');
    assert.equal(header.headerEnd, data.indexOf('\r\n\r\n') + 2);
    assert.equal(Buffer.concat(header.fields.map((f) => f.raw)).toString(), 'A: 1\r\nB: two\r\n  lines\r\nC:3\r\n');
  });
});

describe('foldField', () => {
  test('folds at spaces to at most 78 characters, and unfolding restores the field', () => {
    const field = `Authentication-Results: mx.example; ${Array.from({ length: 20 }, (_, i) => `key${i}=value${i}`).join(' ')}`;
    const folded = foldField(field);
    for (const line of folded.split('\r\n')) assert.ok(line.length <= 78, line);
    assert.equal(folded.replace(/\r\n/g, ''), field);
  });

  test('a word longer than a line stays whole', () => {
    const field = `X-Long: ${'a'.repeat(100)} b`;
    assert.equal(foldField(field), `X-Long: ${'a'.repeat(100)}\r\n b`);
  });
});
