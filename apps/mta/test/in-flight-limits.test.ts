// The MTA's admission (smtpd.message_concurrency_limit, smtpd.in_flight_bytes_limit):
// a slot and bytes per message, granted in arrival order, with a bounded wait.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InFlightLimits } from '../src/in-flight-limits.js';

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('InFlightLimits', () => {
  it('grants up to message_concurrency_limit slots at once; the next waits for a release', async () => {
    const limits = new InFlightLimits(2, 1000);
    const a = await limits.acquire(10, 1000);
    const b = await limits.acquire(10, 1000);
    assert.ok(a && b);
    let third: unknown = 'pending';
    const waiting = limits.acquire(10, 5000).then((room) => (third = room));
    await settle();
    assert.equal(third, 'pending');
    assert.deepEqual(limits.usage, { messages: 2, bytes: 20, waiting: 1 });
    a.release();
    await waiting;
    assert.ok(third !== null && third !== 'pending');
    assert.deepEqual(limits.usage, { messages: 2, bytes: 20, waiting: 0 });
  });

  it('holds at most in_flight_bytes_limit bytes: a request that does not fit waits, then gets null when time runs out', async () => {
    const limits = new InFlightLimits(10, 100);
    const big = await limits.acquire(80, 1000);
    assert.ok(big);
    const started = Date.now();
    assert.equal(await limits.acquire(30, 150), null);
    assert.ok(Date.now() - started >= 140, 'it waited for the bound');
    assert.deepEqual(limits.usage, { messages: 1, bytes: 80, waiting: 0 });
    big.release();
    big.release();
    assert.deepEqual(limits.usage, { messages: 0, bytes: 0, waiting: 0 });
  });

  it('serves in arrival order: a small request does not pass a large one waiting at the head', async () => {
    const limits = new InFlightLimits(10, 100);
    const first = await limits.acquire(60, 1000);
    const order: string[] = [];
    const large = limits.acquire(90, 5000).then((room) => (order.push('large'), room));
    const small = limits.acquire(10, 5000).then((room) => (order.push('small'), room));
    await settle();
    assert.deepEqual(order, [], 'the small one waits behind the large one although it would fit');
    first!.release();
    const [l, s] = await Promise.all([large, small]);
    assert.deepEqual(order, ['large', 'small']);
    assert.ok(l && s);
  });

  it('a waiter that times out lets those behind it through', async () => {
    const limits = new InFlightLimits(10, 100);
    await limits.acquire(60, 1000);
    const large = limits.acquire(90, 100);
    const small = limits.acquire(10, 5000);
    assert.equal(await large, null);
    assert.ok(await small, 'granted once the large one gave up');
  });

  it('an aborted wait (the client went away) leaves the queue and never holds anything', async () => {
    const limits = new InFlightLimits(1, 100);
    const held = await limits.acquire(10, 1000);
    const gone = new AbortController();
    const waiting = limits.acquire(10, 5000, gone.signal);
    gone.abort();
    assert.equal(await waiting, null);
    held!.release();
    assert.deepEqual(limits.usage, { messages: 0, bytes: 0, waiting: 0 });
  });

  it('grows a room to the size known at the final dot, ahead of messages not yet admitted; never past the limit', async () => {
    const limits = new InFlightLimits(10, 100);
    const room = await limits.acquire(10, 1000);
    const other = await limits.acquire(50, 1000);
    const newcomer = limits.acquire(30, 5000);
    const grown = room!.grow(60, 5000);
    await settle();
    other!.release();
    assert.equal(await grown, true);
    assert.equal(room!.bytes, 60);
    assert.equal(await room!.grow(101, 5000), false, 'more than in_flight_bytes_limit can never fit');
    assert.ok(await newcomer);
    assert.deepEqual(limits.usage, { messages: 2, bytes: 90, waiting: 0 });
  });

  it('fits() says whether a SIZE= could ever be taken (RFC 1870 §6.1)', () => {
    const limits = new InFlightLimits(10, 100);
    assert.equal(limits.fits(100), true);
    assert.equal(limits.fits(101), false);
  });
});
