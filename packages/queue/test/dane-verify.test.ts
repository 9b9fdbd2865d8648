// TLSA matching (RFC 6698 §2.1, RFC 7672 §3.1) against certificates from the test CA: DANE-EE(3) and DANE-TA(2).
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import type { TlsaRecord } from '@postern/dns';
import { createTestCa, issueLeaf, type TestCa } from '../../../test/support/pki.js';
import { daneProblem, tlsaMatches } from '../src/smtp-client/dane-verify.js';

const spki = (cert: X509Certificate) => cert.publicKey.export({ type: 'spki', format: 'der' });
const digest = (algorithm: 'sha256' | 'sha512', data: Buffer) => createHash(algorithm).update(data).digest();
const tlsa = (usage: number, selector: number, matchingType: number, data: Buffer): TlsaRecord => ({ usage, selector, matchingType, data });
const A_YEAR_FROM_NOW = new Date(Date.now() + 365 * 86400_000);

describe('TLSA matching of a server certificate chain', () => {
  let ca: TestCa;
  let leaf: X509Certificate;
  let wildcard: X509Certificate;
  let other: X509Certificate;
  let intermediate: X509Certificate;
  let root: X509Certificate;

  before(async () => {
    ca = createTestCa(await mkdtemp(join(tmpdir(), 'postern-dane-verify-')));
    leaf = new X509Certificate(issueLeaf(ca, ['mx.signed.test']).cert);
    wildcard = new X509Certificate(issueLeaf(ca, ['*.signed.test']).cert);
    other = new X509Certificate(issueLeaf(ca, ['mx.signed.test']).cert);
    intermediate = new X509Certificate(await readFile(ca.intermediateFile));
    root = new X509Certificate(await readFile(ca.rootFile));
  });

  test('selector and matching type: the full certificate or its SubjectPublicKeyInfo, as is or by SHA2-256/512 (RFC 6698 §2.1.2-2.1.3)', () => {
    assert.ok(tlsaMatches(tlsa(3, 0, 0, leaf.raw), leaf));
    assert.ok(tlsaMatches(tlsa(3, 0, 1, digest('sha256', leaf.raw)), leaf));
    assert.ok(tlsaMatches(tlsa(3, 1, 0, spki(leaf)), leaf));
    assert.ok(tlsaMatches(tlsa(3, 1, 1, digest('sha256', spki(leaf))), leaf));
    assert.ok(tlsaMatches(tlsa(3, 1, 2, digest('sha512', spki(leaf))), leaf));
    assert.ok(!tlsaMatches(tlsa(3, 1, 1, digest('sha256', spki(other))), leaf));
    assert.ok(!tlsaMatches(tlsa(3, 1, 1, digest('sha256', leaf.raw)), leaf), 'the certificate digest is not the key digest');
  });

  test('DANE-EE(3): the leaf key matches; names and validity dates are not checked (RFC 7672 §3.1.1)', () => {
    const record = tlsa(3, 1, 1, digest('sha256', spki(leaf)));
    assert.equal(daneProblem([leaf, intermediate], [record], ['mx.signed.test']), null);
    assert.equal(daneProblem([leaf], [record], ['not-the-name.test']), null);
    assert.equal(daneProblem([leaf], [record], ['mx.signed.test'], A_YEAR_FROM_NOW), null);
  });

  test('DANE-EE(3) for another key does not match', () => {
    const problem = daneProblem([leaf, intermediate], [tlsa(3, 1, 1, digest('sha256', spki(other)))], ['mx.signed.test']);
    assert.match(problem ?? '', /no TLSA record matches the certificate chain of 2 certificates/);
  });

  test('DANE-TA(2): the leaf chains to the matching CA certificate the server sent and names the MX host (RFC 7672 §3.1.2)', () => {
    assert.equal(daneProblem([leaf, intermediate], [tlsa(2, 0, 1, digest('sha256', intermediate.raw))], ['mx.signed.test']), null);
    assert.equal(daneProblem([leaf, intermediate, root], [tlsa(2, 1, 1, digest('sha256', spki(root)))], ['mx.signed.test']), null);
    // RFC 7672 §3.2.3: a wildcard in the left-most label matches one label.
    assert.equal(daneProblem([wildcard, intermediate], [tlsa(2, 0, 1, digest('sha256', intermediate.raw))], ['mx.signed.test']), null);
  });

  test('DANE-TA(2): a name mismatch, a trust anchor the server did not send, or an expired leaf fail', () => {
    const anchor = tlsa(2, 0, 1, digest('sha256', intermediate.raw));
    assert.match(daneProblem([leaf, intermediate], [anchor], ['mx.elsewhere.test']) ?? '', /chains to the DANE-TA trust anchor, but no name matches mx\.elsewhere\.test; certificate names: DNS:mx\.signed\.test/);
    assert.match(daneProblem([leaf], [anchor], ['mx.signed.test']) ?? '', /no TLSA record matches/);
    assert.match(daneProblem([leaf, intermediate], [anchor], ['mx.signed.test'], A_YEAR_FROM_NOW) ?? '', /no TLSA record matches/);
    // The TA must be above the leaf: a DANE-TA record of the leaf itself anchors nothing.
    assert.match(daneProblem([leaf, intermediate], [tlsa(2, 0, 1, digest('sha256', leaf.raw))], ['mx.signed.test']) ?? '', /no TLSA record matches/);
  });
});
