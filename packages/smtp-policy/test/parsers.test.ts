// Table tests for the small parsers: DNSBL reply patterns, access-table keys and files.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { domainKeys, ipKeys, mailAddressKeys } from '../src/access/keys.js';
import { parseTableText } from '../src/access/table.js';
import { parseDnsblPattern } from '../src/dnsbl-pattern.js';

describe('parseDnsblPattern', () => {
  const cases: [string, string, boolean][] = [
    ['127.0.0.2', '127.0.0.2', true],
    ['127.0.0.2', '127.0.0.3', false],
    ['127.0.0.[2..11]', '127.0.0.11', true],
    ['127.0.0.[2..11]', '127.0.0.12', false],
    ['127.0.[0;1].[2;4..6]', '127.0.1.5', true],
    ['127.0.[0;1].[2;4..6]', '127.0.1.3', false],
  ];
  for (const [pattern, address, matches] of cases) {
    it(`${pattern} ${matches ? 'matches' : 'does not match'} ${address}`, () => {
      assert.equal(parseDnsblPattern(pattern)(address), matches);
    });
  }

  it('refuses malformed patterns with the reason', () => {
    for (const [pattern, reason] of [
      ['127.0.0', /four octets/],
      ['127.0.0.256', /not a number from 0 to 255/],
      ['127.0.0.[5..2]', /runs backwards/],
      ['127.0.0.[2', /unclosed/],
      ['127.0.0.x', /not a number/],
    ] as const) {
      assert.throws(() => parseDnsblPattern(pattern), reason, pattern);
    }
  });
});

describe('access-table keys', () => {
  it('a domain and its parents; an address alone', () => {
    assert.deepEqual(domainKeys('Mail.Sub.Example.com.'), ['mail.sub.example.com', 'sub.example.com', 'example.com', 'com']);
    assert.deepEqual(domainKeys('192.0.2.1'), ['192.0.2.1']);
    assert.deepEqual(domainKeys('[192.0.2.1]'), ['[192.0.2.1]']);
  });

  it('an IPv4 address and its networks, IPv4-mapped included; IPv6 cut at each colon', () => {
    assert.deepEqual(ipKeys('192.0.2.1'), ['192.0.2.1', '192.0.2', '192.0', '192']);
    assert.deepEqual(ipKeys('::ffff:192.0.2.1'), ['192.0.2.1', '192.0.2', '192.0', '192']);
    assert.deepEqual(ipKeys('2001:DB8::1'), ['2001:db8::1', '2001:db8:', '2001:db8', '2001']);
  });

  it('an envelope address in Postfix order', () => {
    assert.deepEqual(mailAddressKeys('Eve+Promo@Shop.Example', '+'), ['eve+promo@shop.example', 'eve@shop.example', 'shop.example', 'example', 'eve+promo@', 'eve@']);
    assert.deepEqual(mailAddressKeys('eve@shop.example', ''), ['eve@shop.example', 'shop.example', 'example', 'eve@']);
    assert.deepEqual(mailAddressKeys('root', '+'), ['root@']);
  });
});

describe('parseTableText', () => {
  it('reads keys (lower-cased), values, comments, blank and continued lines; the first duplicate wins', () => {
    const table = parseTableText('# c\n\nA.Example  REJECT one\n   two\nb.example OK\na.example DUNNO\n', 'file:t', '/t');
    assert.deepEqual(table.get('a.example'), { key: 'a.example', value: 'REJECT one two', line: 3 });
    assert.deepEqual([...table.entries()].map((entry) => entry.key), ['a.example', 'b.example']);
  });

  it('names the line of a key without a value and of a stray continuation', () => {
    assert.throws(() => parseTableText('a.example\n', 'file:t', '/t'), /^Error: file:t line 1: "a\.example" has no action/);
    assert.throws(() => parseTableText('  OK\n', 'file:t', '/t'), /^Error: file:t line 1: a continuation line/);
  });
});
