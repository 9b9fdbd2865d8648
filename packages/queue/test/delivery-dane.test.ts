// DANE on the sending side (RFC 7672) at smtp.tls_security_level = "dane": a local DNS server stands in for a
// validating resolver (AD on signed names, TLSA records), the MX is a local SMTP server with a test CA certificate.
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Store } from '@postern/store';
import { startDnsServer, type DnsTestServer, type ZoneEntry, type ZoneRecords } from '../../../test/support/dns-server.js';
import { createTestCa, issueLeaf } from '../../../test/support/pki.js';
import { freePort } from '../../../test/support/ports.js';
import { startRemoteSmtp, type RemoteSmtp } from '../../../test/support/remote-smtp.js';
import { deliver } from '../src/delivery/index.js';
import { utcDay } from '../src/index.js';
import { buildTlsReport } from '../src/tlsrpt/report.js';
import type { DeliveryContext } from '../src/types.js';
import { BACKENDS, StoreHost } from './runner-world.js';
import { testConfig, testContext, testRequest } from './support/delivery-context.js';

// This file's servers live on 127.0.0.190-199.
const IP = { mx: '127.0.0.190', plain: '127.0.0.191' };

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const spki = (cert: X509Certificate) => cert.publicKey.export({ type: 'spki', format: 'der' });

for (const backend of BACKENDS) {
  describe(`DANE on the sending side (RFC 7672) (${backend})`, () => {
    let dns: DnsTestServer;
    let port: number;
    let mx: RemoteSmtp;
    let plain: RemoteSmtp;
    let stores: StoreHost;
    let store: Store;

    before(async () => {
      port = await freePort();
      const ca = createTestCa(await mkdtemp(join(tmpdir(), 'postern-dane-')));
      const leaf = issueLeaf(ca, ['mx.ta.test', 'mx.ee.test']);
      const other = issueLeaf(ca, ['mx.ee.test']);
      const leafKey = sha256(spki(new X509Certificate(leaf.cert)));
      const otherKey = sha256(spki(new X509Certificate(other.cert)));
      const intermediate = sha256(new X509Certificate(await readFile(ca.intermediateFile)).raw);
      const tlsaName = (host: string) => `_${port}._tcp.${host}`;
      /** A domain whose one MX host (of the same name with "mx.") is at `address`, signed or not, with these TLSA records. */
      const domain = (name: string, tlsa: ZoneEntry | null, { signed = true, address = IP.mx } = {}): ZoneRecords => {
        const secure = signed ? { SECURE: true as const } : {};
        return {
          [name]: { MX: [{ exchange: `mx.${name}`, priority: 10 }], ...secure },
          [`mx.${name}`]: { A: [address], ...secure },
          ...(tlsa === null ? {} : { [tlsaName(`mx.${name}`)]: { ...tlsa, ...secure } }),
        };
      };
      const zone: ZoneRecords = {
        ...domain('ee.test', { TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: leafKey }] }),
        ...domain('mismatch.test', { TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: otherKey }] }),
        ...domain('ta.test', { TLSA: [{ usage: 2, selector: 0, matchingType: 1, data: intermediate }] }),
        // DANE-TA(2) with the trust anchor, but the certificate does not name mx.taname.test.
        ...domain('taname.test', { TLSA: [{ usage: 2, selector: 0, matchingType: 1, data: intermediate }] }),
        ...domain('insecure.test', { TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: otherKey }] }, { signed: false }),
        ...domain('notlsa.test', null),
        ...domain('unusable.test', { TLSA: [{ usage: 1, selector: 1, matchingType: 1, data: leafKey }] }),
        ...domain('servfail.test', { SERVFAIL: true }),
        ...domain('cleartext.test', { TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: leafKey }] }, { address: IP.plain }),
        // Two MX hosts: the preferred one's TLSA record does not match its key, the other's does.
        'twomx.test': { SECURE: true, MX: [{ exchange: 'mx1.twomx.test', priority: 10 }, { exchange: 'mx2.twomx.test', priority: 20 }] },
        'mx1.twomx.test': { SECURE: true, A: [IP.mx] },
        'mx2.twomx.test': { SECURE: true, A: [IP.mx] },
        [tlsaName('mx1.twomx.test')]: { SECURE: true, TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: otherKey }] },
        [tlsaName('mx2.twomx.test')]: { SECURE: true, TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: leafKey }] },
        // MTA-STS published too: DANE decides and the policy is never fetched (RFC 8461 §2).
        ...domain('both.test', { TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: leafKey }] }),
        '_mta-sts.both.test': { TXT: ['v=STSv1; id=1;'] },
        '_smtp._tls.mismatch.test': { TXT: ['v=TLSRPTv1; rua=mailto:tls@reports.test'] },
      };
      dns = await startDnsServer(zone);
      mx = await startRemoteSmtp({ host: IP.mx, port, server: { key: leaf.key, cert: leaf.fullchain } });
      plain = await startRemoteSmtp({ host: IP.plain, port, server: { hideSTARTTLS: true } });
      stores = new StoreHost(backend);
      store = (await stores.open()).store;
    });
    after(async () => {
      await store?.close();
      await Promise.all([mx, plain].map((server) => server?.stop()));
      await dns?.stop();
      await stores?.close();
    });

    const context = (smtp = ''): { ctx: DeliveryContext; logs: () => Record<string, unknown>[] } => {
      const config = testConfig(`[smtp]\nport = ${port}\nconnect_timeout = "3s"\ntimeout = "10s"\ntls_security_level = "dane"\n${smtp}[tlsrpt]\nenabled = true\n`);
      const { ctx, logs } = testContext({ config, dns: dns.address });
      return { ctx: { ...ctx, store }, logs };
    };

    /** Delivers one message to user@DOMAIN; the outcome, the maillog line, and how many messages the MX got. */
    async function send(domainName: string, smtp = '') {
      const { ctx, logs } = context(smtp);
      const before = mx.messages.length;
      const [outcome] = await deliver(ctx, testRequest([`user@${domainName}`]));
      const line = logs().find((entry) => entry['event'] === 'delivery');
      return { outcome, line, received: mx.messages.slice(before) };
    }

    test('DANE-EE 3 1 1 matching the server key: delivered over TLS, policy=dane in the outcome and the maillog', async () => {
      const { outcome, line, received } = await send('ee.test');
      assert.equal(outcome?.status, 'delivered', outcome?.response);
      assert.equal(outcome?.policy, 'dane');
      assert.equal(received.length, 1);
      assert.equal(received[0]?.secure, true);
      assert.match(String(line?.['msg']), /relay=mx\.ee\.test\[127\.0\.0\.190\]:\d+, policy=dane, delay=/);
      assert.equal(dns.count(`_${port}._tcp.mx.ee.test`, 'TLSA'), 1);
    });

    test('DANE-EE 3 1 1 for another key: deferred 4.7.5, the message is not sent, not even in clear', async () => {
      const { outcome, received } = await send('mismatch.test');
      assert.equal(outcome?.status, 'deferred');
      assert.equal(outcome?.dsn, '4.7.5');
      assert.equal(outcome?.policy, 'dane');
      assert.match(outcome?.response ?? '', /^4\.7\.5 Server certificate not verified by TLSA \(no TLSA record matches .*\) for host mx\.mismatch\.test\[127\.0\.0\.190\]:\d+ by its DNSSEC-signed TLSA records/);
      assert.equal(received.length, 0);
      // RFC 8460 §4.3.2 / §4.4: counted as tlsa-invalid under the TLSA policy.
      const rows = (await store.listTlsResults(utcDay(new Date()))).filter((row) => row.policyDomain === 'mismatch.test');
      assert.deepEqual(rows.map(({ policyType, resultType, mxHost, count }) => ({ policyType, resultType, mxHost, count })), [{ policyType: 'tlsa', resultType: 'tlsa-invalid', mxHost: 'mx.mismatch.test', count: 1 }]);
      assert.match(rows[0]?.policyString[0] ?? '', /^3 1 1 [0-9a-f]{64}$/);
    });

    test('a mismatch on the preferred MX: the next MX, whose TLSA record matches, takes the message', async () => {
      const { outcome, received } = await send('twomx.test');
      assert.equal(outcome?.status, 'delivered', outcome?.response);
      assert.equal(outcome?.policy, 'dane');
      assert.match(outcome?.relay ?? '', /^mx2\.twomx\.test\[/);
      assert.equal(received.length, 1);
    });

    test('DANE-TA 2 0 1 on the issuing CA with the MX host name in the certificate: delivered', async () => {
      const { outcome, received } = await send('ta.test');
      assert.equal(outcome?.status, 'delivered', outcome?.response);
      assert.equal(outcome?.policy, 'dane');
      assert.equal(received[0]?.secure, true);
    });

    test('DANE-TA 2 0 1 on the CA, but the certificate does not name the MX host: deferred 4.7.5 (RFC 7672 §3.2.2)', async () => {
      const { outcome, received } = await send('taname.test');
      assert.equal(outcome?.status, 'deferred');
      assert.equal(outcome?.dsn, '4.7.5');
      assert.match(outcome?.response ?? '', /chains to the DANE-TA trust anchor, but no name matches mx\.taname\.test/);
      assert.equal(received.length, 0);
    });

    test('an unsigned zone (no AD): TLSA is ignored, delivered opportunistically, policy=dane-fallback:insecure-mx', async () => {
      const { outcome, line, received } = await send('insecure.test');
      assert.equal(outcome?.status, 'delivered', outcome?.response);
      assert.equal(outcome?.policy, 'dane-fallback:insecure-mx');
      assert.equal(line?.['policy'], 'dane-fallback:insecure-mx');
      assert.equal(received[0]?.secure, true, 'opportunistic TLS is still used');
      assert.equal(dns.count(`_${port}._tcp.mx.insecure.test`, 'TLSA'), 0, 'no TLSA lookup under an insecure MX RRset (RFC 7672 §2.2.1)');
    });

    test('a signed zone without TLSA records: delivered opportunistically, policy=dane-fallback:no-tlsa', async () => {
      const { outcome } = await send('notlsa.test');
      assert.equal(outcome?.status, 'delivered', outcome?.response);
      assert.equal(outcome?.policy, 'dane-fallback:no-tlsa');
    });

    test('TLSA records none of which is usable (PKIX-EE): TLS is required but not authenticated (RFC 7672 §2.2, §3.1.3)', async () => {
      const { outcome, received } = await send('unusable.test');
      assert.equal(outcome?.status, 'delivered', outcome?.response);
      assert.equal(outcome?.policy, 'dane-fallback:unusable-tlsa');
      assert.equal(received[0]?.secure, true);
    });

    test('TLSA lookup SERVFAIL in a signed zone: deferred 4.7.5, the MX is not contacted (RFC 7672 §2.1.1)', async () => {
      const connections = mx.connections.length;
      const { outcome, received } = await send('servfail.test');
      assert.equal(outcome?.status, 'deferred');
      assert.equal(outcome?.dsn, '4.7.5');
      assert.match(outcome?.response ?? '', /DNSSEC lookup error for _\d+\._tcp\.mx\.servfail\.test type=TLSA: ESERVFAIL/);
      assert.equal(received.length, 0);
      assert.equal(mx.connections.length, connections);
    });

    test('a relay host named in the configuration: its own TLSA records decide, with no MX lookup (RFC 7672 §2.2.2)', async () => {
      const matching = await send('anywhere.example', `relayhost = "[mx.ee.test]:${port}"\n`);
      assert.equal(matching.outcome?.status, 'delivered', matching.outcome?.response);
      assert.equal(matching.outcome?.policy, 'dane');
      const mismatched = await send('anywhere.example', `relayhost = "[mx.mismatch.test]:${port}"\n`);
      assert.equal(mismatched.outcome?.status, 'deferred');
      assert.equal(mismatched.outcome?.dsn, '4.7.5');
      assert.equal(mismatched.received.length, 0);
    });

    test('TLS-RPT: the DANE sessions are reported under policy-type "tlsa" with the TLSA records as policy-string (RFC 8460 §4.4)', async () => {
      const day = utcDay(new Date());
      const rows = (await store.listTlsResults(day)).filter((row) => row.policyDomain === 'ee.test' || row.policyDomain === 'servfail.test');
      const identity = { organizationName: 'Postern Test', contactInfo: 'tlsrpt@test.example', reportId: 'r1' };
      const ee = buildTlsReport(day, 'ee.test', rows.filter((row) => row.policyDomain === 'ee.test'), identity);
      assert.equal(ee.policies.length, 1);
      assert.equal(ee.policies[0]?.policy['policy-type'], 'tlsa');
      assert.match(ee.policies[0]?.policy['policy-string'][0] ?? '', /^3 1 1 [0-9a-f]{64}$/);
      assert.deepEqual(ee.policies[0]?.summary, { 'total-successful-session-count': 1, 'total-failure-session-count': 0 });
      // RFC 8460 §4.3.2: a TLSA RRset that could not be had from the signed zone is dnssec-invalid.
      const servfail = buildTlsReport(day, 'servfail.test', rows.filter((row) => row.policyDomain === 'servfail.test'), identity);
      assert.deepEqual(servfail.policies[0]?.['failure-details'].map((detail) => [detail['result-type'], detail['receiving-mx-hostname']]), [['dnssec-invalid', 'mx.servfail.test']]);
    });

    test('an MX with usable TLSA records that offers no STARTTLS: deferred 4.7.4, nothing sent in clear', async () => {
      const before = plain.messages.length;
      const { outcome } = await send('cleartext.test');
      assert.equal(outcome?.status, 'deferred');
      assert.equal(outcome?.dsn, '4.7.4');
      assert.equal(plain.messages.length, before);
    });

    test('TLSA and MTA-STS both published: DANE governs and the MTA-STS policy is not looked up (RFC 8461 §2)', async () => {
      const { outcome } = await send('both.test');
      assert.equal(outcome?.status, 'delivered', outcome?.response);
      assert.equal(outcome?.policy, 'dane');
      assert.equal(dns.count('_mta-sts.both.test', 'TXT'), 0);
    });
  });
}
