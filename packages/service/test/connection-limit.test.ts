import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConnectionLimiter } from '../src/index.js';

describe('ConnectionLimiter', () => {
  test('admits up to the limit per client address and counts each address apart', () => {
    const limiter = new ConnectionLimiter(2);
    assert.equal(limiter.acquire('192.0.2.1'), true);
    assert.equal(limiter.acquire('192.0.2.1'), true);
    assert.equal(limiter.acquire('192.0.2.1'), false);
    assert.equal(limiter.acquire('192.0.2.2'), true);
  });

  test('a released slot admits the next connection; extra releases do not raise the limit', () => {
    const limiter = new ConnectionLimiter(1);
    assert.equal(limiter.acquire('192.0.2.1'), true);
    limiter.release('192.0.2.1');
    limiter.release('192.0.2.1');
    assert.equal(limiter.acquire('192.0.2.1'), true);
    assert.equal(limiter.acquire('192.0.2.1'), false);
  });
});

describe('ConnectionLimiter.slot', () => {
  test('returns a release that gives the slot back once, or null when full', () => {
    const limiter = new ConnectionLimiter(1);
    const release = limiter.slot('smtp');
    assert.ok(release);
    assert.equal(limiter.slot('smtp'), null);
    release();
    release();
    assert.equal(limiter.count('smtp'), 0);
    assert.ok(limiter.slot('smtp'));
    assert.equal(limiter.slot('smtp'), null, 'the double release did not raise the limit');
  });
});
