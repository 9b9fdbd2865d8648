// DNSSEC-aware lookups for DANE (RFC 7672 §2.1): the AD bit from a trusted resolver, TLSA records, failures.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDnsServer, startSilentDnsServer, type DnsTestServer } from '../../../test/support/dns-server.js';
import { createResolver, DnsError, tlsaText, tlsaUsable, trustedServers } from '../src/index.js';

const SHA256 = 'a'.repeat(64);

describe('DNSSEC lookups against a validating-resolver stand-in', () => {
  let server: DnsTestServer;

  before(async () => {
    server = await startDnsServer({
      'signed.test': { SECURE: true, MX: [{ exchange: 'mx.signed.test', priority: 10 }] },
      'mx.signed.test': { SECURE: true, A: ['192.0.2.10'] },
      '_25._tcp.mx.signed.test': { SECURE: true, TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: SHA256 }, { usage: 1, selector: 0, matchingType: 1, data: SHA256 }] },
      // Forty SHA2-512 records: more than 1232 octets, so the answer comes truncated over UDP and again over TCP.
      '_25._tcp.big.signed.test': { SECURE: true, TLSA: Array.from({ length: 40 }, (_, i) => ({ usage: 3, selector: 1, matchingType: 2, data: i.toString(16).padStart(2, '0').repeat(64) })) },
      '_25._tcp.broken.signed.test': { SERVFAIL: true },
      'plain.test': { MX: [{ exchange: 'mx.plain.test', priority: 10 }] },
      '_25._tcp.mx.plain.test': { TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: SHA256 }] },
    });
  });
  after(() => server.stop());

  const resolver = (dnssecTrusted?: string[]) => createResolver({ servers: [server.address], timeoutMs: 1000, cache: false, ...(dnssecTrusted === undefined ? {} : { dnssecTrusted }) });

  test('an MX RRset from a signed zone is secure; one from an unsigned zone is not', async () => {
    assert.deepEqual(await resolver().dnssec.mx('signed.test'), { records: [{ exchange: 'mx.signed.test', priority: 10 }], secure: true, canonicalName: 'signed.test' });
    assert.deepEqual(await resolver().dnssec.mx('plain.test'), { records: [{ exchange: 'mx.plain.test', priority: 10 }], secure: false, canonicalName: 'plain.test' });
  });

  test('TLSA records are parsed into usage, selector, matching type and data', async () => {
    const answer = await resolver().dnssec.tlsa('_25._tcp.mx.signed.test');
    assert.equal(answer.secure, true);
    assert.deepEqual(answer.records.map(tlsaText), [`3 1 1 ${SHA256}`, `1 0 1 ${SHA256}`]);
    // RFC 7672 §3.1.3: PKIX-EE(1) is not for SMTP.
    assert.deepEqual(answer.records.map(tlsaUsable), [true, false]);
  });

  test('a truncated UDP answer is asked again over TCP (RFC 7766 §5)', async () => {
    const before = server.queries.filter((query) => query.transport === 'tcp').length;
    const answer = await resolver().dnssec.tlsa('_25._tcp.big.signed.test');
    assert.equal(answer.records.length, 40);
    assert.equal(answer.records[39]?.data.length, 64);
    assert.equal(server.queries.filter((query) => query.transport === 'tcp').length, before + 1);
  });

  test('no TLSA records under a signed zone is a secure empty answer (RFC 7672 §2.2: authenticated denial)', async () => {
    assert.deepEqual(await resolver().dnssec.tlsa('_25._tcp.other.signed.test'), { records: [], secure: true, canonicalName: '_25._tcp.other.signed.test' });
  });

  test('SERVFAIL is a temporary failure, never an empty answer (RFC 7672 §2.1.1)', async () => {
    await assert.rejects(resolver().dnssec.tlsa('_25._tcp.broken.signed.test'), (error: unknown) => error instanceof DnsError && error.kind === 'TEMPFAIL' && error.detail === 'ESERVFAIL');
  });

  test('a resolver that does not answer is a temporary failure', async () => {
    const silent = await startSilentDnsServer();
    try {
      const lookup = createResolver({ servers: [silent.address], timeoutMs: 200, cache: false });
      await assert.rejects(lookup.dnssec.tlsa('_25._tcp.mx.signed.test'), (error: unknown) => error instanceof DnsError && error.kind === 'TEMPFAIL' && error.detail === 'ETIMEOUT');
    } finally {
      await silent.stop();
    }
  });

  test('the AD bit counts only from a trusted resolver: loopback by default, else dns.dnssec_trusted', async () => {
    assert.deepEqual(trustedServers(['127.0.0.1:5353', '192.0.2.53', '[::1]:53'], undefined), [{ host: '127.0.0.1', port: 5353 }, { host: '::1', port: 53 }]);
    assert.deepEqual(trustedServers(['192.0.2.53'], undefined), []);
    assert.deepEqual(trustedServers(['127.0.0.1'], ['192.0.2.53:5353']), [{ host: '192.0.2.53', port: 5353 }]);
    // No trusted resolver: nothing is secure and no DNSSEC query is sent.
    const untrusted = createResolver({ servers: ['192.0.2.53'], timeoutMs: 200, cache: false });
    assert.equal(untrusted.dnssec.validating, false);
    assert.deepEqual(await untrusted.dnssec.tlsa('_25._tcp.mx.signed.test'), { records: [], secure: false, canonicalName: '_25._tcp.mx.signed.test' });
    assert.equal((await resolver([server.address]).dnssec.mx('signed.test')).secure, true);
  });
});
