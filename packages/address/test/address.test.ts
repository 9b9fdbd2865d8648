import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AddressError, isFqdn, parseAddress, parseAliasSource, parseDomain, splitRecipientDelimiter } from '../src/index.js';

describe('parseAddress', () => {
  const valid: [string, string][] = [
    ['alice@example.com', 'alice@example.com'],
    ['Alice@EXAMPLE.com', 'Alice@example.com'],
    [' bob.smith+tag@mail.example.org ', 'bob.smith+tag@mail.example.org'],
    ['"john doe"@example.com', '"john doe"@example.com'],
    ['"a@b"@example.com', '"a@b"@example.com'],
    ["o'brien@example.ie", "o'brien@example.ie"],
    ['user@bücher.example', 'user@xn--bcher-kva.example'],
    ['josé@example.com', 'josé@example.com'],
  ];
  for (const [input, expected] of valid) {
    it(`accepts ${JSON.stringify(input)} as ${expected}`, () => {
      assert.equal(parseAddress(input).address, expected);
    });
  }

  const invalid = [
    'no-at-sign',
    '@example.com',
    'alice@',
    'alice@-bad.example',
    'alice@exa_mple.com',
    'a..b@example.com',
    '.a@example.com',
    'a.@example.com',
    'a b@example.com',
    '"unterminated@example.com',
    `${'x'.repeat(65)}@example.com`,
    'alice@example..com',
    `alice@${'a'.repeat(64)}.com`,
  ];
  for (const input of invalid) {
    it(`rejects ${JSON.stringify(input)} with an AddressError naming it`, () => {
      assert.throws(() => parseAddress(input), (err: unknown) => err instanceof AddressError && err.message.includes(input.slice(0, 20)));
    });
  }
});

describe('domains and aliases', () => {
  it('normalises a domain to a lower-case A-label without trailing dot', () => {
    assert.equal(parseDomain('Example.COM.'), 'example.com');
  });
  it('tells fully qualified domains from bare names', () => {
    assert.equal(isFqdn('example.com'), true);
    assert.equal(isFqdn('localhost'), false);
    assert.equal(isFqdn('10.0.0.1'), false);
  });
  it('parses a catch-all alias source', () => {
    assert.deepEqual(parseAliasSource('@Example.com'), { kind: 'catchall', domain: 'example.com' });
  });
  it('splits user+tag on the recipient delimiter and leaves other local parts whole', () => {
    assert.deepEqual(splitRecipientDelimiter('user+news', '+'), { base: 'user', tag: 'news' });
    assert.deepEqual(splitRecipientDelimiter('user-news', '+-'), { base: 'user', tag: 'news' });
    assert.deepEqual(splitRecipientDelimiter('+leading', '+'), { base: '+leading', tag: null });
    assert.deepEqual(splitRecipientDelimiter('plain', '+'), { base: 'plain', tag: null });
    assert.deepEqual(splitRecipientDelimiter('user+tag', ''), { base: 'user+tag', tag: null });
  });
});
