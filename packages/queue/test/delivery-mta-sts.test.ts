// MTA-STS on the sending side (RFC 8461) and TLS-RPT (RFC 8460), against a local DNS server with _mta-sts
// records, an HTTPS policy host signed by a test CA, and MX servers whose certificates match or do not.
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { createResolver } from '@postern/dns';
import type { QueueId, Store } from '@postern/store';
import { startDnsServer, type DnsTestServer, type ZoneRecords } from '../../../test/support/dns-server.js';
import { startMtaStsHost, type MtaStsHost } from '../../../test/support/mta-sts-host.js';
import { createTestCa, issueLeaf, type TestCa } from '../../../test/support/pki.js';
import { freePort } from '../../../test/support/ports.js';
import { startRemoteSmtp, type RemoteSmtp } from '../../../test/support/remote-smtp.js';
import { deliver } from '../src/delivery/index.js';
import { queueMeta, readQueuedMessage, sendTlsReportsForDay, utcDay } from '../src/index.js';
import type { DeliveryContext } from '../src/types.js';
import { BACKENDS, StoreHost } from './runner-world.js';
import { testConfig, testContext, testRequest } from './support/delivery-context.js';

// This file's servers live on 127.0.0.170-179.
const IP = { good: '127.0.0.170', misnamed: '127.0.0.171', plain: '127.0.0.172', policyHost: '127.0.0.173' };

const policy = (mode: string, mx: string[], maxAge = 86400) => [`version: STSv1`, `mode: ${mode}`, ...mx.map((pattern) => `mx: ${pattern}`), `max_age: ${maxAge}`, ''].join('\r\n');

/** A recipient domain: its MX host and address, and its _mta-sts record. */
function domain(name: string, mx: string, address: string, stsId: string | null): ZoneRecords {
  return {
    [name]: { MX: [{ exchange: mx, priority: 10 }] },
    [mx]: { A: [address] },
    ...(stsId === null ? {} : { [`_mta-sts.${name}`]: { TXT: [`v=STSv1; id=${stsId};`] }, [`mta-sts.${name}`]: { A: [IP.policyHost] } }),
  };
}

const ZONE: ZoneRecords = {
  ...domain('enforce.test', 'mx.enforce.test', IP.good, '1'),
  ...domain('wild.test', 'mx1.wild.test', IP.good, 'w1'),
  ...domain('unlisted.test', 'mx.unlisted.test', IP.good, 'u1'),
  ...domain('badcert.test', 'mx.badcert.test', IP.misnamed, 'b1'),
  ...domain('testing.test', 'mx.testing.test', IP.misnamed, 't1'),
  ...domain('plain.test', 'mx.plain.test', IP.plain, 'p1'),
  ...domain('none.test', 'mx.none.test', IP.plain, 'n1'),
  ...domain('nofetch.test', 'mx.nofetch.test', IP.good, 'f1'),
  ...domain('redirect.test', 'mx.redirect.test', IP.good, 'r1'),
  ...domain('cached.test', 'mx.cached.test', IP.good, 'c1'),
  ...domain('huge.test', 'mx.huge.test', IP.good, 'h1'),
  ...domain('loose.test', 'mx.loose.test', IP.good, 'l1'),
  // The policy host's certificate does not name mta-sts.webpki.test.
  ...domain('webpki.test', 'mx.webpki.test', IP.good, 'x1'),
  '_smtp._tls.testing.test': { TXT: ['v=TLSRPTv1; rua=mailto:tls-reports@reports.test'] },
  '_smtp._tls.nofetch.test': { TXT: ['v=TLSRPTv1;rua=mailto:tlsrpt%2Bnofetch@reports.test,https://reports.test/tlsrpt'] },
};

for (const backend of BACKENDS) {
  describe(`MTA-STS and TLS-RPT on the sending side (${backend})`, () => {
    let dns: DnsTestServer;
    let port: number;
    let ca: TestCa;
    let policyHost: MtaStsHost;
    let good: RemoteSmtp;
    let misnamed: RemoteSmtp;
    let plain: RemoteSmtp;
    let stores: StoreHost;
    let store: Store;

    before(async () => {
      port = await freePort();
      ca = createTestCa(await mkdtemp(join(tmpdir(), 'postern-mta-sts-')));
      dns = await startDnsServer(ZONE);
      const mxLeaf = issueLeaf(ca, ['mx.enforce.test', 'mx1.wild.test', 'mx.unlisted.test', 'mx.nofetch.test', 'mx.redirect.test', 'mx.cached.test', 'mx.huge.test']);
      good = await startRemoteSmtp({ host: IP.good, port, server: { key: mxLeaf.key, cert: mxLeaf.fullchain } });
      const otherLeaf = issueLeaf(ca, ['somewhere-else.test']);
      misnamed = await startRemoteSmtp({ host: IP.misnamed, port, server: { key: otherLeaf.key, cert: otherLeaf.fullchain } });
      plain = await startRemoteSmtp({ host: IP.plain, port, server: { hideSTARTTLS: true } });
      const names = Object.keys(ZONE).filter((name) => name.startsWith('mta-sts.') && name !== 'mta-sts.webpki.test');
      const webLeaf = issueLeaf(ca, names);
      policyHost = await startMtaStsHost({ host: IP.policyHost, port: 0, key: webLeaf.key, cert: webLeaf.fullchain });
      policyHost.answers.set('mta-sts.enforce.test', policy('enforce', ['mx.enforce.test']));
      policyHost.answers.set('mta-sts.wild.test', policy('enforce', ['*.wild.test']));
      policyHost.answers.set('mta-sts.unlisted.test', policy('enforce', ['mx.elsewhere.test', '*.unlisted.example']));
      policyHost.answers.set('mta-sts.badcert.test', policy('enforce', ['mx.badcert.test']));
      policyHost.answers.set('mta-sts.testing.test', policy('testing', ['mx.testing.test']));
      policyHost.answers.set('mta-sts.plain.test', policy('enforce', ['mx.plain.test']));
      policyHost.answers.set('mta-sts.none.test', 'version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n');
      policyHost.answers.set('mta-sts.redirect.test', { status: 301, headers: { location: 'https://mta-sts.enforce.test/.well-known/mta-sts.txt' } });
      policyHost.answers.set('mta-sts.cached.test', policy('enforce', ['mx.cached.test']));
      policyHost.answers.set('mta-sts.loose.test', policy('testing', ['mx.elsewhere.test']));
      policyHost.answers.set('mta-sts.webpki.test', policy('enforce', ['mx.elsewhere.test']));
      // A valid enforce policy padded past 64 KB with extension lines: refused for its size alone.
      policyHost.answers.set('mta-sts.huge.test', policy('enforce', ['mx.elsewhere.test']) + `padding: ${'x'.repeat(70 * 1024)}\r\n`);
      stores = new StoreHost(backend);
      store = (await stores.open()).store;
    });
    after(async () => {
      await store?.close();
      await Promise.all([good, misnamed, plain].map((server) => server?.stop()));
      await policyHost?.stop();
      await dns?.stop();
      await stores?.close();
    });

    const context = (extra = ''): { ctx: DeliveryContext; logs: () => Record<string, unknown>[] } => {
      const config = testConfig(`[smtp]\nport = ${port}\nconnect_timeout = "3s"\ntimeout = "10s"\ntls_CAfile = "${ca.rootFile}"\nmta_sts_port = ${policyHost.port}\n[tlsrpt]\nenabled = true\n${extra}`);
      const { ctx, logs } = testContext({ config, dns: dns.address });
      return { ctx: { ...ctx, store }, logs };
    };

    test('enforce: a listed MX with a certificate for its name gets the message over TLS; the maillog and outcome name the policy', async () => {
      const { ctx, logs } = context();
      const before = good.messages.length;
      const [outcome] = await deliver(ctx, testRequest(['a@enforce.test']));
      assert.equal(outcome?.status, 'delivered', outcome?.response);
      assert.equal(outcome?.policy, 'mta-sts:enforce');
      assert.equal(good.messages.length, before + 1);
      assert.equal(good.messages.at(-1)?.secure, true);
      const line = logs().find((entry) => entry['event'] === 'delivery');
      assert.equal(line?.['policy'], 'mta-sts:enforce');
      assert.match(String(line?.['msg']), /relay=mx\.enforce\.test\[127\.0\.0\.170\]:\d+, policy=mta-sts:enforce, delay=/);
      // RFC 8461 §5.1: cached in the store by domain with the TXT id and max_age.
      const cached = await store.getMtaStsPolicy('enforce.test');
      assert.equal(cached?.id, '1');
      assert.equal((cached!.expiresAt.getTime() - cached!.fetchedAt.getTime()) / 1000, 86400);
    });

    test('the policy is cached: a second delivery looks up the TXT record again but does not fetch the policy', async () => {
      const { ctx } = context();
      const fetches = policyHost.count('mta-sts.enforce.test');
      assert.ok(fetches >= 1);
      const txtQueries = dns.count('_mta-sts.enforce.test', 'TXT');
      const [outcome] = await deliver(ctx, testRequest(['b@enforce.test']));
      assert.equal(outcome?.status, 'delivered', outcome?.response);
      assert.equal(policyHost.count('mta-sts.enforce.test'), fetches, 'no second HTTPS request');
      assert.equal(dns.count('_mta-sts.enforce.test', 'TXT'), txtQueries + 1);
    });

    test('"*.wild.test" matches the left-most label of the MX host (RFC 8461 §4.1)', async () => {
      const { ctx } = context();
      const [outcome] = await deliver(ctx, testRequest(['c@wild.test']));
      assert.equal(outcome?.status, 'delivered', outcome?.response);
      assert.equal(outcome?.policy, 'mta-sts:enforce');
    });

    test('enforce: an MX host the policy does not list is never contacted; the mail is deferred with 4.7.5', async () => {
      const { ctx } = context();
      const connections = good.connections.length;
      const [outcome] = await deliver(ctx, testRequest(['d@unlisted.test']));
      assert.equal(outcome?.status, 'deferred');
      assert.equal(outcome?.dsn, '4.7.5');
      assert.match(outcome?.response ?? '', /no MX host of unlisted\.test is listed in its MTA-STS policy \(mode enforce; mx: mx\.elsewhere\.test, \*\.unlisted\.example\)/);
      assert.equal(good.connections.length, connections);
    });

    test('enforce: a certificate that does not name the MX host defers with 4.7.5; nothing is sent', async () => {
      const { ctx } = context();
      const before = misnamed.messages.length;
      const [outcome] = await deliver(ctx, testRequest(['e@badcert.test']));
      assert.equal(outcome?.status, 'deferred');
      assert.equal(outcome?.dsn, '4.7.5');
      assert.match(outcome?.response ?? '', /no name matches mx\.badcert\.test.* under the MTA-STS policy of badcert\.test \(mode enforce\)/);
      assert.equal(misnamed.messages.length, before);
    });

    test('enforce: an MX without STARTTLS is deferred, never sent to in plaintext', async () => {
      const { ctx } = context();
      const before = plain.messages.length;
      const [outcome] = await deliver(ctx, testRequest(['f@plain.test']));
      assert.equal(outcome?.status, 'deferred');
      assert.equal(outcome?.dsn, '4.7.4');
      assert.equal(plain.messages.length, before);
      assert.doesNotMatch(plain.connections.map((c) => c.chunks.join('')).join(''), /MAIL FROM/i);
    });

    test('testing: the misnamed certificate is delivered to as before, and counted as certificate-host-mismatch', async () => {
      const { ctx } = context();
      const before = misnamed.messages.length;
      const [outcome] = await deliver(ctx, testRequest(['g@testing.test']));
      assert.equal(outcome?.status, 'delivered', outcome?.response);
      assert.equal(outcome?.policy, 'mta-sts:testing');
      assert.equal(misnamed.messages.length, before + 1);
      const rows = (await store.listTlsResults(utcDay(new Date()))).filter((row) => row.policyDomain === 'testing.test');
      assert.deepEqual(rows.map(({ resultType, policyType, mxHost, receivingIp, count }) => ({ resultType, policyType, mxHost, receivingIp, count })), [
        { resultType: 'certificate-host-mismatch', policyType: 'sts', mxHost: 'mx.testing.test', receivingIp: IP.misnamed, count: 1 },
      ]);
      assert.deepEqual(rows[0]?.policyString, ['version: STSv1', 'mode: testing', 'mx: mx.testing.test', 'max_age: 86400']);
    });

    test('testing: an MX host the policy does not list is still delivered to, counted once as a validation-failure', async () => {
      const { ctx } = context();
      const [outcome] = await deliver(ctx, testRequest(['s@loose.test']));
      assert.equal(outcome?.status, 'delivered', outcome?.response);
      assert.equal(outcome?.policy, 'mta-sts:testing');
      const rows = (await store.listTlsResults(utcDay(new Date()))).filter((row) => row.policyDomain === 'loose.test');
      assert.deepEqual(rows.map((row) => [row.resultType, row.mxHost, row.count]), [['validation-failure', 'mx.loose.test', 1]]);
    });

    test('mode none is as if there were no policy: delivered at the configured level, even in plaintext', async () => {
      const { ctx } = context();
      const [outcome] = await deliver(ctx, testRequest(['h@none.test']));
      assert.equal(outcome?.status, 'delivered', outcome?.response);
      assert.equal(outcome?.policy, 'tls:may');
      assert.equal(plain.messages.at(-1)?.secure, false);
    });

    test('a policy that cannot be fetched (404) is no policy: delivered, with an sts-policy-fetch-error counted', async () => {
      const { ctx } = context();
      const [outcome] = await deliver(ctx, testRequest(['i@nofetch.test']));
      assert.equal(outcome?.status, 'delivered', outcome?.response);
      assert.equal(outcome?.policy, 'tls:may');
      const rows = (await store.listTlsResults(utcDay(new Date()))).filter((row) => row.policyDomain === 'nofetch.test');
      assert.deepEqual(rows.map((row) => [row.resultType, row.policyType, row.count]).sort(), [['sts-policy-fetch-error', 'no-policy-found', 1], ['success', 'no-policy-found', 1]]);
    });

    test('a policy host whose certificate does not name it is not trusted: no policy, counted as sts-webpki-invalid (RFC 8460 §4.3.2)', async () => {
      const { ctx } = context();
      const [outcome] = await deliver(ctx, testRequest(['q@webpki.test']));
      assert.equal(outcome?.status, 'delivered', outcome?.response);
      assert.equal(outcome?.policy, 'tls:may');
      assert.equal(policyHost.count('mta-sts.webpki.test'), 0, 'no request went over the untrusted connection');
      const rows = (await store.listTlsResults(utcDay(new Date()))).filter((row) => row.policyDomain === 'webpki.test');
      assert.ok(rows.some((row) => row.resultType === 'sts-webpki-invalid' && row.policyType === 'no-policy-found'), JSON.stringify(rows));
    });

    test('a cached policy close to expiry is used at once and refreshed in the background (RFC 8461 §5.1)', async () => {
      const { ctx } = context();
      const fetchedAt = new Date(Date.now() - 86_000_000);
      await store.putMtaStsPolicy({ domain: 'enforce.test', id: '1', policy: policy('enforce', ['mx.enforce.test']), fetchedAt, expiresAt: new Date(fetchedAt.getTime() + 86_400_000) });
      const fetches = policyHost.count('mta-sts.enforce.test');
      const [outcome] = await deliver(ctx, testRequest(['r@enforce.test']));
      assert.equal(outcome?.status, 'delivered', outcome?.response);
      assert.equal(outcome?.policy, 'mta-sts:enforce');
      for (let i = 0; i < 50 && (await store.getMtaStsPolicy('enforce.test'))!.fetchedAt.getTime() === fetchedAt.getTime(); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(policyHost.count('mta-sts.enforce.test'), fetches + 1);
      const refreshed = await store.getMtaStsPolicy('enforce.test');
      assert.ok(refreshed!.expiresAt.getTime() > Date.now() + 86_000_000, 'a fresh max_age from now');
    });

    test('a redirect is not followed (RFC 8461 §3.3)', async () => {
      const { ctx, logs } = context();
      const target = policyHost.count('mta-sts.enforce.test');
      const [outcome] = await deliver(ctx, testRequest(['j@redirect.test']));
      assert.equal(outcome?.status, 'delivered', outcome?.response);
      assert.equal(outcome?.policy, 'tls:may');
      assert.equal(policyHost.count('mta-sts.enforce.test'), target);
      assert.match(String(logs().find((entry) => entry['event'] === 'mta_sts_fetch_failed')?.['msg']), /HTTP status 301/);
    });

    test('a policy over 64 KB is not read past the limit: no policy (RFC 8461 §3.3 size limit)', async () => {
      const { ctx, logs } = context();
      const [outcome] = await deliver(ctx, testRequest(['p@huge.test']));
      assert.equal(outcome?.status, 'delivered', outcome?.response);
      assert.equal(outcome?.policy, 'tls:may');
      assert.match(String(logs().find((entry) => entry['event'] === 'mta_sts_fetch_failed')?.['msg']), /policy larger than 65536 bytes/);
      assert.equal(await store.getMtaStsPolicy('huge.test'), null);
    });

    test('a new TXT id fetches again; when that fetch fails, the cached unexpired policy still governs (RFC 8461 §5.1)', async () => {
      const { ctx } = context();
      assert.equal((await deliver(ctx, testRequest(['k@cached.test'])))[0]?.policy, 'mta-sts:enforce');
      assert.equal(policyHost.count('mta-sts.cached.test'), 1);
      dns.set({ ...ZONE, '_mta-sts.cached.test': { TXT: ['v=STSv1; id=c2;'] } });
      policyHost.answers.set('mta-sts.cached.test', { status: 500 });
      try {
        const [outcome] = await deliver(ctx, testRequest(['l@cached.test']));
        assert.equal(policyHost.count('mta-sts.cached.test'), 2, 'the new id was fetched');
        assert.equal(outcome?.status, 'delivered', outcome?.response);
        assert.equal(outcome?.policy, 'mta-sts:enforce');
        assert.equal((await store.getMtaStsPolicy('cached.test'))?.id, 'c1');
        // The policy host is back with a testing policy under the new id: it replaces the cached one.
        policyHost.answers.set('mta-sts.cached.test', policy('testing', ['mx.cached.test']));
        assert.equal((await deliver(ctx, testRequest(['m@cached.test'])))[0]?.policy, 'mta-sts:testing');
        assert.equal((await store.getMtaStsPolicy('cached.test'))?.id, 'c2');
      } finally {
        dns.set(ZONE);
      }
    });

    test('a TLS report is delivered despite the policy and its session is not counted (RFC 8460 §5.3)', async () => {
      const { ctx } = context();
      const counted = async () => (await store.listTlsResults()).filter((row) => row.policyDomain === 'badcert.test').reduce((sum, row) => sum + row.count, 0);
      const before = await counted();
      const [outcome] = await deliver(ctx, testRequest(['tlsrpt@badcert.test'], { tlsReport: true }));
      assert.equal(outcome?.status, 'delivered', outcome?.response);
      assert.equal(outcome?.policy, 'tls:may');
      assert.equal(await counted(), before);
    });

    test('smtp.mta_sts = false ignores every policy', async () => {
      const { ctx } = context();
      const off = { ...ctx, config: { ...ctx.config, smtp: { ...ctx.config.smtp, mta_sts: false } } };
      const [outcome] = await deliver(off, testRequest(['n@badcert.test']));
      assert.equal(outcome?.status, 'delivered', outcome?.response);
      assert.equal(outcome?.policy, 'tls:may');
    });

    test('TLS-RPT: the day\'s report for a domain is queued to its rua= address, gzip\'d JSON with the right counts (RFC 8460 §4, §5.3)', async () => {
      const { ctx } = context('organization_name = "Postern Test"\ncontact_info = "tlsrpt@test.example"');
      // A second session to testing.test: two mismatches in the day's report.
      await deliver(ctx, testRequest(['o@testing.test']));
      const day = utcDay(new Date());
      const deps = { config: ctx.config, store, resolver: createResolver({ servers: [dns.address], timeoutMs: 1000, cache: false }), logger: ctx.logger };
      const runs = await sendTlsReportsForDay(deps, day);
      const testing = runs.find((run) => run.domain === 'testing.test');
      assert.deepEqual(testing?.recipients, ['tls-reports@reports.test']);
      assert.deepEqual(runs.find((run) => run.domain === 'nofetch.test')?.recipients, ['tlsrpt+nofetch@reports.test'], 'percent-decoded mailto; https: skipped');
      assert.match(runs.find((run) => run.domain === 'enforce.test')?.reason ?? '', /no _smtp\._tls record/);

      const entry = await store.getQueueEntry(testing!.queueId! as QueueId);
      assert.ok(entry);
      assert.deepEqual(entry.recipients.map((r) => r.address), ['tls-reports@reports.test']);
      assert.equal(queueMeta(entry).tlsReport, true, 'the runner delivers it despite TLS policy failures');
      const message = (await readQueuedMessage(store, entry)).toString('utf8');
      assert.match(message, /^TLS-Report-Domain: testing\.test\r$/m);
      assert.match(message, /^TLS-Report-Submitter: mail\.test\.example\r$/m);
      assert.match(message, /^Subject: Report Domain: testing\.test Submitter: mail\.test\.example Report-ID: <.+>\r$/m);
      assert.match(message, /^Content-Type: multipart\/report; report-type="tlsrpt";/m);
      const start = Math.floor(Date.parse(`${day}T00:00:00Z`) / 1000);
      assert.match(message, new RegExp(`filename="mail\\.test\\.example!testing\\.test!${start}!${start + 86399}\\.json\\.gz"`));
      const part = /Content-Type: application\/tlsrpt\+gzip\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: [^\r]+\r\n\t[^\r]+\r\n\r\n([A-Za-z0-9+/=\r\n]+?)\r\n--/.exec(message);
      assert.ok(part, 'the application/tlsrpt+gzip part');
      const report = JSON.parse(gunzipSync(Buffer.from(part[1]!.replace(/\r\n/g, ''), 'base64')).toString('utf8')) as Record<string, unknown>;
      assert.equal(report['organization-name'], 'Postern Test');
      assert.equal(report['contact-info'], 'tlsrpt@test.example');
      assert.deepEqual(report['date-range'], { 'start-datetime': `${day}T00:00:00Z`, 'end-datetime': `${day}T23:59:59Z` });
      assert.equal(typeof report['report-id'], 'string');
      assert.deepEqual(report['policies'], [
        {
          policy: { 'policy-type': 'sts', 'policy-string': ['version: STSv1', 'mode: testing', 'mx: mx.testing.test', 'max_age: 86400'], 'policy-domain': 'testing.test', 'mx-host': ['mx.testing.test'] },
          summary: { 'total-successful-session-count': 0, 'total-failure-session-count': 2 },
          'failure-details': [{ 'result-type': 'certificate-host-mismatch', 'sending-mta-ip': '127.0.0.1', 'receiving-mx-hostname': 'mx.testing.test', 'receiving-ip': IP.misnamed, 'failed-session-count': 2 }],
        },
      ]);
      // The day's counts are forgotten once reported.
      assert.deepEqual(await store.listTlsResults(day), []);
    });
  });
}
