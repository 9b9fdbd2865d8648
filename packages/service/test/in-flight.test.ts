import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InFlight } from '../src/index.js';

function deferred(): { promise: Promise<void>; resolve(): void; reject(err: Error): void } {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('InFlight', () => {
  test('knows a session while its work runs and forgets it once settled, failed work included', async () => {
    const inFlight = new InFlight();
    const ok = deferred();
    const failing = deferred();
    assert.equal(inFlight.track('a', ok.promise), ok.promise);
    void inFlight.track('b', failing.promise).catch(() => undefined);
    assert.equal(inFlight.has('a'), true);
    assert.equal(inFlight.has('b'), true);
    ok.resolve();
    failing.reject(new Error('store down'));
    await inFlight.idle();
    assert.equal(inFlight.has('a'), false);
    assert.equal(inFlight.has('b'), false);
  });

  test('idle() also waits for work that starts while it waits', async () => {
    const inFlight = new InFlight();
    const first = deferred();
    const second = deferred();
    void inFlight.track('a', first.promise);
    let idle = false;
    const waiting = inFlight.idle().then(() => (idle = true));
    void first.promise.then(() => inFlight.track('b', second.promise));
    first.resolve();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(idle, false);
    second.resolve();
    await waiting;
    assert.equal(idle, true);
  });
});
