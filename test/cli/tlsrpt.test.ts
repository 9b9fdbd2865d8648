// `postern tlsrpt send` end to end: TLS session counts in the store become one queued RFC 8460 report per
// domain that publishes _smtp._tls, through the built CLI, on both store backends.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { loadConfig, storeOptions } from '@postern/config';
import { openStore, type QueueId, type Store, type TlsResult } from '@postern/store';
import { startDnsServer, type DnsTestServer } from '../support/dns-server.js';
import { initInstance, type CliInstance } from './backends.js';

const DAY = '2026-03-01';
const SUCCESS: TlsResult = {
  day: DAY,
  policyDomain: 'reported.test',
  policyType: 'sts',
  policyString: ['version: STSv1', 'mode: enforce', 'mx: mx.reported.test', 'max_age: 86400'],
  mxHost: 'mx.reported.test',
  resultType: 'success',
  sendingIp: '192.0.2.25',
  receivingIp: '198.51.100.7',
};

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`postern tlsrpt send on ${backend}`, () => {
    let instance: CliInstance;
    let store: Store;
    let dns: DnsTestServer;

    before(async () => {
      dns = await startDnsServer({ '_smtp._tls.reported.test': { TXT: ['v=TLSRPTv1; rua=mailto:tlsrpt@reports.test'] } });
      instance = await initInstance(backend);
      store = await openStore(storeOptions(loadConfig(instance.configFile)));
    });
    after(async () => {
      await store?.close();
      await instance?.dispose();
      await dns?.stop();
    });

    it('refuses with one line while tlsrpt.enabled is false', async () => {
      const result = await instance.run(['tlsrpt', 'send']);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /^postern: tlsrpt\.enabled is false/);
    });

    it('exits 2 for a --date that is not a date, and for --day (its old name, still accepted) likewise', async () => {
      assert.equal((await instance.run(['tlsrpt', 'send', '--date', 'yesterday'])).code, 2);
      const old = await instance.run(['tlsrpt', 'send', '--day', 'yesterday']);
      assert.equal(old.code, 2);
      assert.match(old.stderr, /--day "yesterday" is not a date/);
    });

    it('queues the report of a finished day to the rua= address and forgets the day; a domain without _smtp._tls gets none', async () => {
      for (const [key, value] of [['tlsrpt.enabled', 'true'], ['dns.servers', `["${dns.address}"]`], ['dns.timeout_ms', '2000']] as const) {
        const set = await instance.run(['config', 'set', key, value]);
        assert.equal(set.code, 0, set.stderr);
      }
      for (let i = 0; i < 3; i++) await store.recordTlsResult(SUCCESS);
      await store.recordTlsResult({ ...SUCCESS, resultType: 'starttls-not-supported' });
      await store.recordTlsResult({ ...SUCCESS, policyDomain: 'silent.test', policyType: 'no-policy-found', policyString: [] });

      const result = await instance.run(['tlsrpt', 'send', '--json']);
      assert.equal(result.code, 0, result.stderr);
      const runs = JSON.parse(result.stdout) as { day: string; domain: string; queueId: string | null; recipients: string[]; reason?: string }[];
      const reported = runs.find((run) => run.domain === 'reported.test');
      assert.deepEqual(reported?.recipients, ['tlsrpt@reports.test']);
      assert.match(runs.find((run) => run.domain === 'silent.test')?.reason ?? '', /no _smtp\._tls record/);

      const entry = await store.getQueueEntry(reported!.queueId! as QueueId);
      assert.ok(entry);
      const message = Buffer.concat(await Promise.all(entry.parts.map(async (hash) => (await store.getBlob(hash))!))).toString('utf8');
      assert.match(message, /^TLS-Report-Domain: reported\.test\r$/m);
      const base64 = /Content-Type: application\/tlsrpt\+gzip[\s\S]*?\r\n\r\n([A-Za-z0-9+/=\r\n]+?)\r\n--/.exec(message)?.[1];
      assert.ok(base64);
      const report = JSON.parse(gunzipSync(Buffer.from(base64.replace(/\r\n/g, ''), 'base64')).toString('utf8')) as { policies: { summary: Record<string, number>; 'failure-details': Record<string, unknown>[] }[] };
      assert.deepEqual(report.policies[0]?.summary, { 'total-successful-session-count': 3, 'total-failure-session-count': 1 });
      assert.deepEqual(report.policies[0]?.['failure-details'], [
        { 'result-type': 'starttls-not-supported', 'sending-mta-ip': '192.0.2.25', 'receiving-mx-hostname': 'mx.reported.test', 'receiving-ip': '198.51.100.7', 'failed-session-count': 1 },
      ]);
      assert.deepEqual(await store.listTlsResultDays(), []);
      const again = await instance.run(['tlsrpt', 'send']);
      assert.equal(again.stdout, 'no TLS sessions to report\n');
    });
  });
}
