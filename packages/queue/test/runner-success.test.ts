// RFC 3461 NOTIFY=SUCCESS through the queue runner, against real remotes (smtp-server, with and without DSN,
// and an LMTP mailstore), on both store backends: who gets a success DSN from us, and what it says.
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { dsnId, enqueueMessage, reportSuccess, type OwedSuccess } from '../src/index.js';
import { parseReport, statusGroups } from './bounce-parse.js';
import {
  BACKENDS,
  SENDER,
  StoreHost,
  loopbackHost,
  openWorld,
  queueEmpty,
  receivedBy,
  startRemote,
  testMessage,
  waitFor,
  type LogLine,
  type RemoteMessage,
  type World,
  type WorldOptions,
} from './runner-world.js';

const SUCCESS_SUBJECT = 'Successful Mail Delivery Report';
const FAILURE_SUBJECT = 'Undelivered Mail Returned to Sender';

/** DSNs the remote received (mail from the null sender), oldest first. */
const dsns = (world: World): RemoteMessage[] => world.remote.received.filter((message) => message.from === '');
const subjectOf = (message: RemoteMessage): string | undefined => parseReport(message.message).top.headers.get('subject');
const successLines = (world: World): LogLine[] => world.logs.filter((line) => line.event === 'success_notification');
/** The per-recipient groups of a DSN's message/delivery-status part. */
const recipientGroups = (message: RemoteMessage): Map<string, string>[] => statusGroups(parseReport(message.message).parts[1]?.body ?? '').slice(1);

async function removed(world: World, id: string): Promise<void> {
  await waitFor(`the removal of ${id}`, () => world.logs.some((line) => line.event === 'removed' && line.queue_id === id));
  await waitFor('an empty queue', () => queueEmpty(world.store));
}

for (const backend of BACKENDS) {
  describe(`NOTIFY=SUCCESS through the queue runner on ${backend}`, () => {
    const host = new StoreHost(backend);
    let world: World | null = null;
    const open = async (options?: WorldOptions): Promise<World> => {
      world = await openWorld(host, options);
      return world;
    };
    afterEach(async () => {
      await world?.close();
      world = null;
    });
    after(() => host.close());

    test('runs against a real store', async (t) => {
      t.diagnostic(await host.describe());
    });

    test('relayed to a remote that does not advertise DSN: one "relayed" DSN to the sender, with the header only even for RET=FULL', async () => {
      const w = await open();
      const entry = await enqueueMessage(w.store, {
        from: SENDER,
        recipients: [{ address: 'ok-s1@dest.test', notify: ['SUCCESS'], orcpt: 'rfc822;OK-S1@dest.test' }],
        message: testMessage('msuccess1'),
        envid: 'envelope-s1',
        ret: 'FULL',
      });
      w.runner().start();
      const report = await waitFor('the success DSN', () => dsns(w)[0]);
      await removed(w, entry.id);

      const delivered = receivedBy(w.remote, 'ok-s1@dest.test');
      assert.equal(delivered.length, 1);
      assert.deepEqual(delivered[0]?.rcptDsn, [{ notify: null, orcpt: null }], 'no NOTIFY to a server without DSN');
      assert.equal(dsns(w).length, 1, 'one DSN');
      assert.deepEqual(report.to, [SENDER]);

      const { top, parts } = parseReport(report.message);
      assert.equal(top.headers.get('subject'), SUCCESS_SUBJECT);
      assert.equal(top.headers.get('from'), 'Mail Delivery System <MAILER-DAEMON@mail.postern.test>');
      assert.equal(top.headers.get('to'), SENDER);
      assert.equal(top.headers.get('auto-submitted'), 'auto-replied');
      assert.match(top.headers.get('content-type') ?? '', /^multipart\/report; report-type=delivery-status;/);
      const [perMessage, perRecipient, ...others] = statusGroups(parts[1]?.body ?? '');
      assert.equal(others.length, 0);
      assert.equal(perMessage?.get('x-postern-queue-id'), entry.id);
      assert.equal(perMessage?.get('original-envelope-id'), 'envelope-s1');
      assert.equal(perRecipient?.get('final-recipient'), 'rfc822; ok-s1@dest.test');
      assert.equal(perRecipient?.get('original-recipient'), 'rfc822; OK-S1@dest.test');
      assert.equal(perRecipient?.get('action'), 'relayed');
      assert.equal(perRecipient?.get('status'), '2.0.0');
      assert.equal(perRecipient?.get('remote-mta'), 'dns; mx.dest.test');
      assert.match(perRecipient?.get('diagnostic-code') ?? '', /^smtp; 250 2\.\d+\.\d+ Ok: queued$/);
      // RFC 3461 §4.3: RET is for failure reports; a report of success returns the header only.
      assert.equal(parts[2]?.headers.get('content-type'), 'text/rfc822-headers');
      assert.match(parts[2]?.body ?? '', /^Subject: test msuccess1\r$/m);
      assert.equal(parts[2]?.body.includes('Body of msuccess1'), false);

      const line = successLines(w)[0];
      assert.equal(line?.queue_id, entry.id);
      assert.equal(line?.bounce_id, dsnId(entry.id, 'success', 1));
    });

    test('relayed to a remote that advertises DSN: NOTIFY=SUCCESS and ORCPT go on with the RCPT, and no DSN comes from us', async () => {
      const w = await open({ remote: { dsn: true } });
      const entry = await enqueueMessage(w.store, {
        from: SENDER,
        recipients: [{ address: 'ok-s2@dest.test', notify: ['SUCCESS'], orcpt: 'rfc822;OK-S2@dest.test' }],
        message: testMessage('msuccess2'),
      });
      w.runner().start();
      await removed(w, entry.id);
      const delivered = receivedBy(w.remote, 'ok-s2@dest.test');
      assert.equal(delivered.length, 1);
      assert.deepEqual(delivered[0]?.rcptDsn, [{ notify: ['SUCCESS'], orcpt: 'rfc822;OK-S2@dest.test' }]);
      assert.equal(dsns(w).length, 0, 'the remote reports the success, not we');
      assert.equal(successLines(w).length, 0);
    });

    test('delivered into a local mailbox over LMTP: one "delivered" DSN to the sender', async () => {
      const w = await open();
      await w.store.addDomain('dest.test');
      const mailstore = await startRemote(loopbackHost(), { lmtp: true });
      try {
        const entry = await enqueueMessage(w.store, { from: SENDER, recipients: [{ address: 'ok-s3@dest.test', notify: ['SUCCESS'] }], message: testMessage('msuccess3') });
        w.runner({ lmtp: { kind: 'tcp', host: mailstore.host, port: mailstore.port } }).start();
        const report = await waitFor('the success DSN', () => dsns(w)[0]);
        await removed(w, entry.id);
        assert.deepEqual(mailstore.received.map((message) => message.to), [['ok-s3@dest.test']], 'the message went to the mailstore');
        assert.equal(receivedBy(w.remote, 'ok-s3@dest.test').length, 0, 'not to the MX');
        assert.equal(dsns(w).length, 1);
        assert.equal(subjectOf(report), SUCCESS_SUBJECT);
        const [perRecipient] = recipientGroups(report);
        assert.equal(perRecipient?.get('final-recipient'), 'rfc822; ok-s3@dest.test');
        assert.equal(perRecipient?.has('original-recipient'), false);
        assert.equal(perRecipient?.get('action'), 'delivered');
        assert.equal(perRecipient?.get('status'), '2.0.0');
        assert.equal(perRecipient?.get('remote-mta'), `dns; ${mailstore.host}`);
        assert.match(perRecipient?.get('diagnostic-code') ?? '', /^smtp; 250 /);
        assert.match(parseReport(report.message).parts[0]?.body.replace(/\s+/g, ' ') ?? '', /<ok-s3@dest\.test>: delivered to the mailbox by lmtp\[/);
      } finally {
        await mailstore.stop();
      }
    });

    test('NOTIFY=SUCCESS,FAILURE with one recipient delivered and one refused with 5xx: one success DSN and one failure DSN', async () => {
      const w = await open();
      const notify = ['SUCCESS', 'FAILURE'];
      const entry = await enqueueMessage(w.store, {
        from: SENDER,
        recipients: [
          { address: 'ok-s4@dest.test', notify },
          { address: 'fail-s4@dest.test', notify },
        ],
        message: testMessage('msuccess4'),
      });
      w.runner().start();
      await waitFor('two DSNs', () => dsns(w).length >= 2 || undefined);
      await removed(w, entry.id);
      assert.equal(dsns(w).length, 2);
      const bySubject = new Map(dsns(w).map((message) => [subjectOf(message), message]));
      assert.deepEqual([...bySubject.keys()].sort(), [SUCCESS_SUBJECT, FAILURE_SUBJECT]);
      const success = recipientGroups(bySubject.get(SUCCESS_SUBJECT)!);
      assert.deepEqual(success.map((group) => [group.get('final-recipient'), group.get('action'), group.get('status')]), [['rfc822; ok-s4@dest.test', 'relayed', '2.0.0']]);
      const failure = recipientGroups(bySubject.get(FAILURE_SUBJECT)!);
      assert.deepEqual(failure.map((group) => [group.get('final-recipient'), group.get('action'), group.get('status')]), [['rfc822; fail-s4@dest.test', 'failed', '5.1.1']]);
      // The whole message comes back with the failure report only.
      assert.equal(parseReport(bySubject.get(SUCCESS_SUBJECT)!.message).parts[2]?.headers.get('content-type'), 'text/rfc822-headers');
      assert.equal(parseReport(bySubject.get(FAILURE_SUBJECT)!.message).parts[2]?.headers.get('content-type'), 'message/rfc822');
    });

    test('without NOTIFY, or with a NOTIFY list that leaves SUCCESS out, a delivery brings no DSN', async () => {
      const w = await open();
      const entry = await enqueueMessage(w.store, {
        from: SENDER,
        recipients: [{ address: 'ok-s5@dest.test' }, { address: 'ok-s5b@dest.test', notify: ['FAILURE', 'DELAY'] }],
        message: testMessage('msuccess5'),
      });
      w.runner().start();
      await removed(w, entry.id);
      assert.equal(receivedBy(w.remote, 'ok-s5@dest.test').length, 1);
      assert.equal(receivedBy(w.remote, 'ok-s5b@dest.test').length, 1);
      assert.equal(dsns(w).length, 0);
      assert.equal(successLines(w).length, 0);
    });

    test('mail from the null sender gets no success DSN, whatever NOTIFY says', async () => {
      const w = await open();
      const entry = await enqueueMessage(w.store, { from: '', recipients: [{ address: 'ok-s6@dest.test', notify: ['SUCCESS'] }], message: testMessage('msuccess6') });
      w.runner().start();
      await removed(w, entry.id);
      assert.equal(receivedBy(w.remote, 'ok-s6@dest.test').length, 1);
      assert.equal(w.remote.received.length, 1, 'only the message itself');
      assert.equal(successLines(w).length, 0);
    });

    test('a recipient delivered on the second attempt is reported once, under the second attempt\'s DSN id', async () => {
      const w = await open();
      const entry = await enqueueMessage(w.store, { from: SENDER, recipients: [{ address: 'later-s7@dest.test', notify: ['SUCCESS'] }], message: testMessage('msuccess7') });
      w.runner().start();
      const report = await waitFor('the success DSN', () => dsns(w)[0]);
      await removed(w, entry.id);
      assert.equal(dsns(w).length, 1);
      assert.equal(subjectOf(report), SUCCESS_SUBJECT);
      assert.deepEqual(successLines(w).map((line) => line.bounce_id), [dsnId(entry.id, 'success', 2)]);
    });

    test('queueing an attempt\'s success DSN again (a run repeated after a crash) finds the first one: one DSN', async () => {
      const w = await open();
      const entry = await enqueueMessage(w.store, { from: SENDER, recipients: [{ address: 'ok-s8@dest.test', notify: ['SUCCESS'] }], message: testMessage('msuccess8') });
      const owed: OwedSuccess = {
        address: 'ok-s8@dest.test',
        orcpt: null,
        action: 'relayed',
        response: '250 2.0.0 Ok: queued',
        relay: `mx.dest.test[${w.remote.host}]:${w.remote.port}`,
        remote: true,
        at: new Date().toISOString(),
        attempt: 1,
      };
      const context = { store: w.store, config: w.config, logger: w.logger };
      const first = await reportSuccess(context, entry, 1, [owed], new Date());
      const second = await reportSuccess(context, entry, 1, [owed], new Date());
      assert.ok(first);
      assert.equal(first.id, dsnId(entry.id, 'success', 1));
      assert.equal(second?.id, first.id);
      assert.deepEqual((await w.store.listQueue()).map((queued) => queued.id).sort(), [entry.id, first.id].sort());
    });

    test('a success DSN a run could not queue (kept in meta) is sent by the next run, which then removes the entry', async () => {
      const w = await open();
      const entry = await enqueueMessage(w.store, { from: SENDER, recipients: [{ address: 'ok-s9@dest.test', notify: ['SUCCESS'] }], message: testMessage('msuccess9') });
      // What a run leaves when the store refused the success DSN: the delivery recorded, the report owed.
      const [leased] = await w.store.leaseQueueEntries('earlier-runner', new Date(), 60_000, 1);
      assert.equal(leased?.id, entry.id);
      const relay = `mx.dest.test[${w.remote.host}]:${w.remote.port}`;
      const owed: OwedSuccess = { address: 'ok-s9@dest.test', orcpt: null, action: 'relayed', response: '250 2.0.0 Ok: queued', relay, remote: true, at: new Date().toISOString(), attempt: 1 };
      const recorded = await w.store.updateQueueEntry(
        entry.id,
        {
          recipients: [{ address: 'ok-s9@dest.test', status: 'delivered', lastResponse: owed.response, notify: ['SUCCESS'], orcpt: null }],
          attempts: 1,
          nextAttemptAt: new Date(),
          meta: { ...entry.meta, successOwed: [owed] },
        },
        'earlier-runner',
      );
      assert.ok(recorded);
      w.runner().start();
      const report = await waitFor('the success DSN', () => dsns(w)[0]);
      await removed(w, entry.id);
      assert.equal(receivedBy(w.remote, 'ok-s9@dest.test').length, 0, 'nothing was delivered again');
      assert.equal(dsns(w).length, 1);
      assert.deepEqual(recipientGroups(report).map((group) => [group.get('final-recipient'), group.get('action')]), [['rfc822; ok-s9@dest.test', 'relayed']]);
      assert.deepEqual(successLines(w).map((line) => line.bounce_id), [dsnId(entry.id, 'success', 1)]);
    });
  });
}
