import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import { datedSelector, dkimTxtRecord, generateDkimKey, zoneTxt } from '../src/index.js';

describe('DKIM keys', () => {
  it('generates an RSA-2048 key whose p= value is the DER SubjectPublicKeyInfo', () => {
    const key = generateDkimKey('rsa');
    const pub = createPublicKey({ key: Buffer.from(key.publicKey, 'base64'), format: 'der', type: 'spki' });
    assert.equal(pub.asymmetricKeyDetails?.modulusLength, 2048);
    const sig = sign('sha256', Buffer.from('x'), createPrivateKey(key.privateKey));
    assert.equal(verify('sha256', Buffer.from('x'), pub, sig), true);
  });

  it('publishes ed25519 keys as the raw 32-byte key (RFC 8463)', () => {
    const key = generateDkimKey('ed25519');
    assert.equal(Buffer.from(key.publicKey, 'base64').length, 32);
    const spkiPrefix = Buffer.from('302a300506032b6570032100', 'hex');
    const pub = createPublicKey({ key: Buffer.concat([spkiPrefix, Buffer.from(key.publicKey, 'base64')]), format: 'der', type: 'spki' });
    const sig = sign(null, Buffer.from('x'), createPrivateKey(key.privateKey));
    assert.equal(verify(null, Buffer.from('x'), pub, sig), true);
  });

  it('names selectors by year and month and prints the TXT record in 255-character strings', () => {
    assert.equal(datedSelector(new Date('2026-03-09T00:00:00Z')), '202603');
    const record = dkimTxtRecord('example.com', '202603', 'rsa', 'A'.repeat(400));
    assert.equal(record.name, '202603._domainkey.example.com');
    const zone = zoneTxt(record.value);
    assert.match(zone, /^"v=DKIM1; k=rsa; p=A+" "A+"$/);
    assert.ok(zone.split('" "').every((c) => c.replaceAll('"', '').length <= 255));
  });
});
