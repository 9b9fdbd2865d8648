// The MTA-STS policy cache (RFC 8461 §5.1) and TLS-RPT session counts (RFC 8460 §4) in the store.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TlsResult } from '../types.js';
import type { FreshStore } from './harness.js';

const POLICY = 'version: STSv1\r\nmode: enforce\r\nmx: mx1.example.net\r\nmx: *.example.net\r\nmax_age: 86400\r\n';

export function registerOutboundTlsTests(fresh: FreshStore): void {
  describe('MTA-STS policy cache and TLS-RPT results', () => {
    it('keeps one policy per domain, replaced when the id changes, expired entries kept for the caller to judge', async () => {
      const { store, openPeer } = await fresh();
      assert.equal(await store.getMtaStsPolicy('example.net'), null);
      const fetchedAt = new Date('2026-03-01T00:00:00Z');
      await store.putMtaStsPolicy({ domain: 'Example.NET', id: '20260301', policy: POLICY, fetchedAt, expiresAt: new Date(fetchedAt.getTime() + 86_400_000) });
      const other = await openPeer();
      const cached = await other.getMtaStsPolicy('example.net');
      assert.deepEqual(cached, { domain: 'example.net', id: '20260301', policy: POLICY, fetchedAt, expiresAt: new Date('2026-03-02T00:00:00Z') });
      await other.putMtaStsPolicy({ domain: 'example.net', id: '20260302', policy: POLICY.replace('enforce', 'testing'), fetchedAt, expiresAt: fetchedAt });
      const replaced = await store.getMtaStsPolicy('EXAMPLE.net');
      assert.equal(replaced?.id, '20260302');
      assert.match(replaced?.policy ?? '', /mode: testing/);
      assert.equal(replaced?.expiresAt.getTime(), fetchedAt.getTime());
    });

    it('counts sessions per day, policy and result, every concurrent writer once, and forgets a reported domain of a day', async () => {
      const { store, openPeer } = await fresh();
      const other = await openPeer();
      const base: TlsResult = {
        day: '2026-03-01',
        policyDomain: 'example.net',
        policyType: 'sts',
        policyString: ['version: STSv1', 'mode: testing', 'mx: mx1.example.net', 'max_age: 86400'],
        mxHost: 'mx1.example.net',
        resultType: 'success',
        sendingIp: '192.0.2.1',
        receivingIp: '198.51.100.5',
      };
      await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? store : other).recordTlsResult(base)));
      await store.recordTlsResult({ ...base, resultType: 'certificate-host-mismatch' });
      await store.recordTlsResult({ ...base, day: '2026-03-02', policyType: 'no-policy-found', policyString: [], policyDomain: 'other.example' });
      const day = await store.listTlsResults('2026-03-01');
      assert.equal(day.length, 2);
      assert.equal(day.find((row) => row.resultType === 'success')?.count, 20);
      assert.deepEqual(day.find((row) => row.resultType === 'certificate-host-mismatch'), { ...base, resultType: 'certificate-host-mismatch', count: 1 });
      assert.equal((await store.listTlsResults()).length, 3);
      assert.deepEqual(await store.listTlsResultDays(), ['2026-03-01', '2026-03-02']);
      await store.recordTlsResult({ ...base, policyDomain: 'Second.example' });
      assert.equal(await store.deleteTlsResults('2026-03-01', 'Example.NET'), 2);
      assert.deepEqual((await other.listTlsResults('2026-03-01')).map((row) => [row.policyDomain, row.count]), [['second.example', 1]]);
      assert.equal(await store.deleteTlsResults('2026-03-01', 'second.example'), 1);
      assert.deepEqual(await other.listTlsResultDays(), ['2026-03-02']);
      assert.deepEqual((await other.listTlsResults('2026-03-02'))[0]?.policyString, []);
    });
  });
}
