import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DnsCache } from '../src/index.js';

describe('DnsCache', () => {
  test('keys ignore the case of the name (RFC 4343) but not the type', () => {
    assert.equal(DnsCache.key('mx', 'Example.TEST'), DnsCache.key('MX', 'example.test'));
    assert.notEqual(DnsCache.key('A', 'example.test'), DnsCache.key('AAAA', 'example.test'));
  });

  test('drops the oldest entry beyond maxEntries', () => {
    const cache = new DnsCache({ maxEntries: 2 });
    cache.setRecords('A one', ['192.0.2.1']);
    cache.setRecords('A two', ['192.0.2.2']);
    cache.setRecords('A three', ['192.0.2.3']);
    assert.equal(cache.size, 2);
    assert.equal(cache.get('A one'), undefined);
    assert.deepEqual(cache.get('A three'), { records: ['192.0.2.3'] });
  });

  test('a record TTL of 0 or a maxTtlSeconds of 0 stores nothing', () => {
    const cache = new DnsCache();
    cache.setRecords('A zero', ['192.0.2.1'], 0);
    assert.equal(cache.size, 0);
    const off = new DnsCache({ maxTtlSeconds: 0 });
    off.setRecords('A x', ['192.0.2.1']);
    off.setNegative('A y', 'ENOTFOUND');
    assert.equal(off.size, 0);
  });

  test('counts hits and misses, and clear() empties it', () => {
    const cache = new DnsCache();
    cache.setNegative('TXT gone.test', 'ENOTFOUND');
    assert.deepEqual(cache.get('TXT gone.test'), { negative: 'ENOTFOUND' });
    assert.equal(cache.get('TXT other.test'), undefined);
    assert.deepEqual([cache.hits, cache.misses], [1, 1]);
    cache.clear();
    assert.deepEqual([cache.size, cache.hits, cache.misses], [0, 0, 0]);
  });
});
