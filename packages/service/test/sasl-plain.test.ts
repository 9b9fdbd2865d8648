import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authzidAllowed, decodePlainResponse } from '../src/sasl-plain.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('SASL PLAIN response (RFC 4616 §2)', () => {
  it('reads the username and password without an authorization identity', () => {
    assert.deepEqual(decodePlainResponse(b64('\0alice@example.com\0secret word')), { authzid: '', username: 'alice@example.com', password: 'secret word' });
  });

  it('reads an authorization identity when one is given', () => {
    assert.deepEqual(decodePlainResponse(b64('alice@example.com\0alice@example.com\0pw')), { authzid: 'alice@example.com', username: 'alice@example.com', password: 'pw' });
  });

  it('keeps UTF-8 passwords', () => {
    assert.equal(decodePlainResponse(b64('\0bob\0pässwörd'))?.password, 'pässwörd');
  });

  for (const [name, response] of [
    ['invalid base64', 'not base64!'],
    ['base64 of the wrong length', 'AGFsaWNl'.slice(0, 7)],
    ['two fields', b64('alice\0secret')],
    ['four fields', b64('a\0b\0c\0d')],
    ['an empty username', b64('\0\0secret')],
    ['an empty password', b64('\0alice\0')],
    ['an empty response', ''],
  ] as const) {
    it(`rejects ${name}`, () => {
      assert.equal(decodePlainResponse(response), null);
    });
  }
});

describe('authorization identity (RFC 4616 §2: empty, or the login itself)', () => {
  it('allows an empty authzid and one naming the login, compared as addresses', () => {
    assert.equal(authzidAllowed('', 'alice@example.com'), true);
    assert.equal(authzidAllowed('Alice@EXAMPLE.com', 'alice@example.com'), true);
    assert.equal(authzidAllowed('alice', 'alice@example.com', 'example.com'), true, 'smtpd_sasl_local_domain completes a bare name');
  });

  it('refuses any other identity', () => {
    assert.equal(authzidAllowed('bob@example.com', 'alice@example.com'), false);
    assert.equal(authzidAllowed('alice@example.org', 'alice@example.com'), false);
    assert.equal(authzidAllowed('alice', 'alice@example.com'), false, 'a bare name with no local domain is not the address');
  });

  it('keeps spaces in a password as sent', () => {
    assert.equal(decodePlainResponse(b64('\0alice\0  pw  '))?.password, '  pw  ');
  });
});
