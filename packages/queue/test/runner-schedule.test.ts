// The runner's timing rules (Postfix qmgr): retry backoff, lifetime, delay warning.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { delayWarningDue, isExpired, nextAttemptAfterDeferral, retryDelay, willRetryUntil } from '../src/schedule.js';
import { testConfig } from './runner-world.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('retry schedule', () => {
  // The defaults: minimal_backoff_time 300s, maximal_backoff_time 4h, maximal_queue_lifetime 5d, delay_warning_time 4h.
  const queue = testConfig('127.0.0.1:53', 25, { minimal_backoff_time: '300s', maximal_backoff_time: '4h', maximal_queue_lifetime: '5d', bounce_queue_lifetime: '1d', delay_warning_time: '4h' }).queue;

  test('attempt k waits minimal_backoff_time·2^(k−1): 5, 10, 20, 40, 80, 160 minutes, then maximal_backoff_time', () => {
    const waits = [1, 2, 3, 4, 5, 6, 7, 8, 50].map((attempt) => retryDelay(queue, attempt) / MINUTE);
    assert.deepEqual(waits, [5, 10, 20, 40, 80, 160, 240, 240, 240]);
  });

  test('a deferred entry is tried again after its backoff, but at the latest when the warning or the expiry is due', () => {
    const entry = { createdAt: new Date('2026-03-01T00:00:00Z') };
    const at = (ms: number) => new Date(entry.createdAt.getTime() + ms);
    // Early on, the backoff decides.
    assert.deepEqual(nextAttemptAfterDeferral(queue, entry, { attempts: 1, isBounce: false, warned: false }, at(MINUTE)), at(6 * MINUTE));
    // A 4 h backoff from 3 h in would pass the 4 h warning: the warning time wins.
    assert.deepEqual(nextAttemptAfterDeferral(queue, entry, { attempts: 8, isBounce: false, warned: false }, at(3 * HOUR)), at(4 * HOUR));
    // Once warned, the backoff again; near the end of the lifetime, the expiry.
    assert.deepEqual(nextAttemptAfterDeferral(queue, entry, { attempts: 8, isBounce: false, warned: true }, at(3 * HOUR)), at(7 * HOUR));
    assert.deepEqual(nextAttemptAfterDeferral(queue, entry, { attempts: 8, isBounce: false, warned: true }, at(119 * HOUR)), at(120 * HOUR));
  });

  test('an entry expires at maximal_queue_lifetime, a DSN entry at bounce_queue_lifetime', () => {
    const entry = { createdAt: new Date('2026-03-01T00:00:00Z') };
    assert.equal(isExpired(queue, entry, false, new Date('2026-03-05T23:59:59Z')), false);
    assert.equal(isExpired(queue, entry, false, new Date('2026-03-06T00:00:00Z')), true);
    assert.equal(isExpired(queue, entry, true, new Date('2026-03-02T00:00:00Z')), true);
    assert.deepEqual(willRetryUntil(queue, entry, false), new Date('2026-03-06T00:00:00Z'));
  });

  test('the delay warning is due after delay_warning_time, and never when it is 0', () => {
    const entry = { createdAt: new Date('2026-03-01T00:00:00Z') };
    assert.equal(delayWarningDue(queue, entry, new Date(entry.createdAt.getTime() + 4 * HOUR - 1)), false);
    assert.equal(delayWarningDue(queue, entry, new Date(entry.createdAt.getTime() + 4 * HOUR)), true);
    const off = { ...queue, delay_warning_time: 0 };
    assert.equal(delayWarningDue(off, entry, new Date(entry.createdAt.getTime() + 100 * HOUR)), false);
  });
});
