// DMARC aggregate report sending (RFC 7489 §7.2) against a real store and DNS server: which days are due,
// rua= size limits, and counts kept when the §7.1 destination check fails temporarily.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createResolver } from '@postern/dns';
import { createLogger } from '@postern/log';
import type { DmarcResult, Store } from '@postern/store';
import { startDnsServer, type DnsTestServer } from '../../../test/support/dns-server.js';
import { reportDestinations } from '../src/dmarc-reports/destinations.js';
import { readQueuedMessage, sendDmarcReportsForDay, sendDueDmarcReports } from '../src/index.js';
import { StoreHost } from './runner-world.js';
import { testConfig } from './support/delivery-context.js';

describe('rua= destinations (RFC 7489 §6.2)', () => {
  test('mailto: URIs with their "!size" limits in powers of two; other schemes and bad addresses are left out', () => {
    assert.deepEqual(reportDestinations(['mailto:dmarc@example.net!10m', 'mailto:small@example.net!100', 'mailto:k@example.net!5K', 'mailto:plain@example.net']), [
      { address: 'dmarc@example.net', maxBytes: 10 * 2 ** 20 },
      { address: 'small@example.net', maxBytes: 100 },
      { address: 'k@example.net', maxBytes: 5 * 2 ** 10 },
      { address: 'plain@example.net', maxBytes: null },
    ]);
    assert.deepEqual(reportDestinations(['https://reports.example.net/dmarc', 'mailto:no-at-sign', 'mailto:%zz@example.net', 'mailto:a%2Bb@example.net?subject=x']), [{ address: 'a+b@example.net', maxBytes: null }]);
  });
});

const row = (day: string, policyDomain: string, rua: string[]): DmarcResult => ({
  day,
  policyDomain,
  headerFrom: policyDomain,
  sourceIp: '192.0.2.1',
  results: { envelopeFrom: policyDomain, envelopeTo: 'example.com', disposition: 'none', dkimAligned: 'pass', spfAligned: 'fail', reasons: [], dkim: [], spf: { domain: policyDomain, scope: 'mfrom', result: 'pass' } },
  published: { p: 'none', sp: 'none', pct: 100, adkim: 'r', aspf: 'r', fo: '0', rua },
});

describe('the daily DMARC report job', () => {
  const host = new StoreHost('sqlite');
  let store: Store;
  let dns: DnsTestServer;
  const config = testConfig('[dmarc_reports]\nenabled = true\nsend_hour = 3\n');
  const deps = () => ({ config, store, resolver: createResolver({ servers: [dns.address], timeoutMs: 1000, cache: false }), logger: createLogger({ level: 'silent' }) });

  before(async () => {
    store = (await host.open()).store;
    dns = await startDnsServer({ 'flaky.test._report._dmarc.reports.test': { SERVFAIL: true } });
  });
  after(async () => {
    await store?.close();
    await dns?.stop();
    await host.close();
  });

  test('sends yesterday from send_hour (UTC) on and older days at once, never today', async () => {
    for (const day of ['2026-02-27', '2026-03-01', '2026-03-02']) await store.recordDmarcResult(row(day, 'example.net', ['mailto:dmarc@example.net']));
    const early = await sendDueDmarcReports(deps(), new Date('2026-03-02T02:59:00Z'));
    assert.deepEqual(early.map((run) => run.day), ['2026-02-27']);
    assert.ok(early[0]!.queueId !== null);
    const due = await sendDueDmarcReports(deps(), new Date('2026-03-02T03:00:00Z'));
    assert.deepEqual(due.map((run) => run.day), ['2026-03-01']);
    assert.deepEqual(await store.listDmarcResultDays(), ['2026-03-02']);
    // The From: defaults to postmaster@ the hostname's local domain; with none, the hostname.
    const message = (await readQueuedMessage(store, (await store.getQueueEntry(due[0]!.queueId! as never))!)).toString('utf8');
    assert.match(message, new RegExp(`^From: postmaster@${config.hostname.replace(/\./g, '\\.')}\\r$`, 'm'));
  });

  test('keeps a domain\'s counts when its external destination cannot be checked (temporary DNS failure), and drops a domain without rua=', async () => {
    await store.recordDmarcResult(row('2026-03-05', 'flaky.test', ['mailto:agg@reports.test']));
    await store.recordDmarcResult(row('2026-03-05', 'quiet.test', []));
    const runs = await sendDmarcReportsForDay(deps(), '2026-03-05');
    assert.deepEqual(runs.map((run) => [run.domain, run.queueId, run.reason]), [
      ['flaky.test', null, 'destination check failed temporarily'],
      ['quiet.test', null, 'no rua=mailto: in its DMARC record'],
    ]);
    assert.deepEqual((await store.listDmarcResults('2026-03-05')).map((r) => r.policyDomain), ['flaky.test']);
  });
});
