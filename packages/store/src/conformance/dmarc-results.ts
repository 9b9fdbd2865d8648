// DMARC aggregate report counts (RFC 7489 §7.2) in the store: counts per record, never a row per message.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DmarcResult } from '../types.js';
import type { FreshStore } from './harness.js';

const PASS: DmarcResult = {
  day: '2026-03-01',
  policyDomain: 'example.net',
  headerFrom: 'example.net',
  sourceIp: '192.0.2.1',
  results: {
    envelopeFrom: 'example.net',
    envelopeTo: 'example.com',
    disposition: 'none',
    dkimAligned: 'pass',
    spfAligned: 'pass',
    reasons: [],
    dkim: [{ domain: 'example.net', selector: 's1', result: 'pass' }],
    spf: { domain: 'example.net', scope: 'mfrom', result: 'pass' },
  },
  published: { p: 'reject', sp: 'reject', pct: 100, adkim: 'r', aspf: 'r', fo: '0', rua: ['mailto:dmarc@example.net'] },
};

export function registerDmarcResultTests(fresh: FreshStore): void {
  describe('DMARC aggregate report counts', () => {
    it('counts messages per day, From domain, source IP and results, every concurrent writer once', async () => {
      const { store, openPeer } = await fresh();
      const other = await openPeer();
      await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? store : other).recordDmarcResult(PASS)));
      const failed: DmarcResult = { ...PASS, sourceIp: '203.0.113.9', results: { ...PASS.results, disposition: 'reject', dkimAligned: 'fail', spfAligned: 'fail', dkim: [], spf: { domain: 'spoof.example', scope: 'mfrom', result: 'fail' } } };
      await store.recordDmarcResult(failed);
      await store.recordDmarcResult({ ...PASS, headerFrom: 'News.Example.NET' });
      await store.recordDmarcResult({ ...PASS, day: '2026-03-02', policyDomain: 'other.example', headerFrom: 'other.example' });
      const day = await store.listDmarcResults('2026-03-01');
      assert.equal(day.length, 3, 'one row per distinct record, not per message');
      assert.equal(day.find((row) => row.sourceIp === '192.0.2.1' && row.headerFrom === 'example.net')?.count, 20);
      assert.deepEqual(day.find((row) => row.sourceIp === '203.0.113.9'), { ...failed, count: 1 });
      assert.equal(day.find((row) => row.headerFrom === 'news.example.net')?.count, 1, 'domains are kept in lower case');
      assert.equal((await store.listDmarcResults()).length, 4);
      assert.deepEqual(await other.listDmarcResultDays(), ['2026-03-01', '2026-03-02']);
    });

    it('reports the newest published record and forgets one policy domain of a day once its report is sent', async () => {
      const { store } = await fresh();
      await store.recordDmarcResult(PASS);
      await store.recordDmarcResult({ ...PASS, published: { ...PASS.published, p: 'quarantine', rua: ['mailto:new@example.net!10m'] } });
      await store.recordDmarcResult({ ...PASS, policyDomain: 'other.example', headerFrom: 'other.example' });
      const [row] = (await store.listDmarcResults('2026-03-01')).filter((r) => r.policyDomain === 'example.net');
      assert.equal(row?.count, 2, 'a new record does not split the count');
      assert.deepEqual(row?.published, { ...PASS.published, p: 'quarantine', rua: ['mailto:new@example.net!10m'] });
      assert.equal(await store.deleteDmarcResults('2026-03-01', 'Example.NET'), 1);
      assert.deepEqual((await store.listDmarcResults('2026-03-01')).map((r) => r.policyDomain), ['other.example']);
      assert.equal(await store.deleteDmarcResults('2026-03-01', 'other.example'), 1);
      assert.deepEqual(await store.listDmarcResultDays(), []);
    });
  });
}
