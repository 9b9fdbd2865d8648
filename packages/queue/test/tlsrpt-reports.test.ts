// TLS-RPT report sending (RFC 8460 §5) against a real store and DNS server: each policy domain's
// counts are forgotten once its own report is queued, so a domain whose lookup fails is retried
// alone on the next run and the others are not sent twice.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createResolver } from '@postern/dns';
import { createLogger } from '@postern/log';
import type { Store, TlsResult } from '@postern/store';
import { startDnsServer, type DnsTestServer, type ZoneRecords } from '../../../test/support/dns-server.js';
import { reportPerDomain } from '../src/reporting/per-domain.js';
import { sendTlsReportsForDay } from '../src/index.js';
import { StoreHost } from './runner-world.js';
import { testConfig } from './support/delivery-context.js';

const DAY = '2026-03-05';

const result = (policyDomain: string): TlsResult => ({
  day: DAY,
  policyDomain,
  policyType: 'no-policy-found',
  policyString: [],
  mxHost: `mx.${policyDomain}`,
  resultType: 'starttls-not-supported',
  sendingIp: '192.0.2.1',
  receivingIp: '198.51.100.7',
});

const zone = (flaky: 'SERVFAIL' | 'answers'): ZoneRecords => ({
  '_smtp._tls.good.test': { TXT: ['v=TLSRPTv1; rua=mailto:tls@reports.test'] },
  '_smtp._tls.flaky.test': flaky === 'SERVFAIL' ? { SERVFAIL: true } : { TXT: ['v=TLSRPTv1; rua=mailto:flaky-tls@reports.test'] },
});

describe('the daily TLS-RPT report job', () => {
  const host = new StoreHost('sqlite');
  let store: Store;
  let dns: DnsTestServer;
  const config = testConfig('[tlsrpt]\nenabled = true\n');
  const deps = () => ({ config, store, resolver: createResolver({ servers: [dns.address], timeoutMs: 1000, cache: false }), logger: createLogger({ level: 'silent' }) });

  before(async () => {
    store = (await host.open()).store;
    dns = await startDnsServer(zone('SERVFAIL'));
  });
  after(async () => {
    await store?.close();
    await dns?.stop();
    await host.close();
  });

  test('a domain whose _smtp._tls lookup fails keeps its counts and is sent on the next run; the other domain is sent once', async () => {
    await store.recordTlsResult(result('good.test'));
    await store.recordTlsResult(result('flaky.test'));
    const first = await sendTlsReportsForDay(deps(), DAY);
    assert.deepEqual(first.map((run) => [run.domain, run.recipients, run.queueId !== null]).sort(), [
      ['flaky.test', [], false],
      ['good.test', ['tls@reports.test'], true],
    ]);
    assert.match(first.find((run) => run.domain === 'flaky.test')!.reason ?? '', /lookup failed/);
    assert.deepEqual((await store.listTlsResults(DAY)).map((row) => row.policyDomain), ['flaky.test']);

    dns.set(zone('answers'));
    const second = await sendTlsReportsForDay(deps(), DAY);
    assert.deepEqual(second.map((run) => [run.domain, run.recipients]), [['flaky.test', ['flaky-tls@reports.test']]]);
    assert.deepEqual(await store.listTlsResults(DAY), []);
    assert.deepEqual(await store.listTlsResultDays(), []);
  });

  test('a report that fails by throwing leaves only its own domain\'s counts: those reported before it are forgotten', async () => {
    const forgotten: string[] = [];
    const rows = [{ policyDomain: 'a.test' }, { policyDomain: 'b.test' }, { policyDomain: 'a.test' }];
    await assert.rejects(
      reportPerDomain(
        rows,
        async (domain, domainRows) => {
          if (domain === 'b.test') throw new Error('queue write failed');
          assert.equal(domainRows.length, 2);
          return { run: { day: DAY, domain, queueId: 'q1', recipients: ['r@x.test'] }, keep: false };
        },
        async (domain) => forgotten.push(domain),
      ),
      /queue write failed/,
    );
    assert.deepEqual(forgotten, ['a.test']);
  });
});
