import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthThrottle } from '../src/index.js';

describe('AuthThrottle', () => {
  it('bans an IP after the allowed number of failures, for the ban time, and only that IP', () => {
    let now = 1_000_000;
    const throttle = new AuthThrottle({ maxFailures: 3, banMs: 60_000, now: () => now });
    assert.equal(throttle.fail('192.0.2.1').banned, false);
    assert.equal(throttle.fail('192.0.2.1').banned, false);
    const third = throttle.fail('192.0.2.1');
    assert.equal(third.banned, true);
    assert.equal(third.remainingMs, 60_000);
    assert.equal(throttle.state('192.0.2.2').banned, false);
    now += 59_999;
    assert.equal(throttle.state('192.0.2.1').banned, true);
    now += 1;
    assert.equal(throttle.state('192.0.2.1').banned, false);
  });

  it('forgets failures older than the window and after a success', () => {
    let now = 0;
    const throttle = new AuthThrottle({ maxFailures: 2, banMs: 1000, windowMs: 100, now: () => now });
    throttle.fail('198.51.100.7');
    now = 150;
    assert.equal(throttle.fail('198.51.100.7').banned, false, 'the first failure fell out of the window');
    throttle.succeed('198.51.100.7');
    assert.equal(throttle.fail('198.51.100.7').banned, false);
  });
});
