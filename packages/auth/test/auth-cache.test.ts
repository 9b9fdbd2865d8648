// Dovecot's auth cache semantics (auth_cache_ttl, auth_cache_negative_ttl, auth_cache_size).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthCache } from '../src/index.js';

function clock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('AuthCache', () => {
  it('remembers a verified password until cache_ttl, and a failed one until cache_negative_ttl', () => {
    const time = clock();
    const cache = new AuthCache({ ttlMs: 60_000, negativeTtlMs: 5_000, now: time.now });
    cache.set('alice@example.com', 'right', '{SCRYPT}hash-1', true);
    cache.set('alice@example.com', 'wrong', '{SCRYPT}hash-1', false);
    assert.equal(cache.get('alice@example.com', 'right', '{SCRYPT}hash-1'), true);
    assert.equal(cache.get('alice@example.com', 'wrong', '{SCRYPT}hash-1'), false);
    time.advance(5_000);
    assert.equal(cache.get('alice@example.com', 'wrong', '{SCRYPT}hash-1'), undefined, 'negative entry expired');
    assert.equal(cache.get('alice@example.com', 'right', '{SCRYPT}hash-1'), true);
    time.advance(55_000);
    assert.equal(cache.get('alice@example.com', 'right', '{SCRYPT}hash-1'), undefined, 'positive entry expired');
  });

  it('misses once the stored hash changed (a `user passwd` in any process), so an old password is never let in', () => {
    const cache = new AuthCache({ ttlMs: 60_000, negativeTtlMs: 60_000 });
    cache.set('alice@example.com', 'old password', '{SCRYPT}before', true);
    assert.equal(cache.get('alice@example.com', 'old password', '{SCRYPT}after'), undefined);
    assert.equal(cache.get('bob@example.com', 'old password', '{SCRYPT}before'), undefined, 'another login never shares an entry');
  });

  it('keeps nothing when a ttl is 0, and drops the oldest entries beyond its size', () => {
    const off = new AuthCache({ ttlMs: 0, negativeTtlMs: 0 });
    off.set('a@example.com', 'pw', 'h', true);
    off.set('a@example.com', 'no', 'h', false);
    assert.equal(off.size, 0);
    const small = new AuthCache({ ttlMs: 60_000, negativeTtlMs: 60_000, maxEntries: 2 });
    for (const password of ['one', 'two', 'three']) small.set('a@example.com', password, 'h', true);
    assert.equal(small.size, 2);
    assert.equal(small.get('a@example.com', 'one', 'h'), undefined);
    assert.equal(small.get('a@example.com', 'three', 'h'), true);
  });

  it('tells apart fields that would concatenate alike', () => {
    const cache = new AuthCache({ ttlMs: 60_000, negativeTtlMs: 60_000 });
    cache.set('ab', 'c', 'h', true);
    assert.equal(cache.get('a', 'bc', 'h'), undefined);
  });
});
