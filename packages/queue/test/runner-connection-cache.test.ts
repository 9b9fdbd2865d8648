// A burst to one destination through the queue runner uses few SMTP sessions (Postfix
// smtp_connection_cache_on_demand), on both store backends: real store, real remote (smtp-server).
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { enqueueMessage } from '../src/index.js';
import { BACKENDS, SENDER, StoreHost, openWorld, queueEmpty, testMessage, waitFor, type World } from './runner-world.js';

const BURST = 200;
const CONCURRENCY = 5;

for (const backend of BACKENDS) {
  describe(`queue runner connection cache on ${backend}`, () => {
    const host = new StoreHost(backend);
    let world: World | null = null;
    afterEach(async () => {
      await world?.close();
      world = null;
    });
    after(() => host.close());

    test(`${BURST} messages to one domain: at most 2 × destination_concurrency_limit sessions, RSET between transactions, each message delivered once`, async (t) => {
      t.diagnostic(await host.describe());
      const w = (world = await openWorld(host, { smtp: { destination_concurrency_limit: CONCURRENCY } }));
      for (let i = 0; i < BURST; i++) {
        await enqueueMessage(w.store, { from: SENDER, recipients: [{ address: `burst${i}@dest.test` }], message: testMessage(`burst${i}`) });
      }
      const started = Date.now();
      w.runner().start();
      await waitFor('an empty queue', () => queueEmpty(w.store), 120_000);
      const { received, sessionsOpened, rsets, maxSessions } = w.remote;
      t.diagnostic(`${received.length} messages in ${sessionsOpened} sessions (${(received.length / sessionsOpened).toFixed(1)} a session), ${rsets} RSET, ${Date.now() - started} ms`);
      assert.equal(received.length, BURST);
      const ids = new Set(received.map((message) => /^Message-ID: <([^>]+)>/im.exec(message.message.toString('latin1'))?.[1]));
      assert.equal(ids.size, BURST, 'each message once');
      assert.ok(maxSessions <= CONCURRENCY, `never more than destination_concurrency_limit sessions at once (${maxSessions})`);
      assert.ok(sessionsOpened <= 2 * CONCURRENCY, `${sessionsOpened} sessions for ${BURST} messages`);
      // RFC 5321 §4.1.4: every transaction on a reused session follows an RSET.
      assert.equal(rsets, BURST - sessionsOpened);
    });
  });
}
