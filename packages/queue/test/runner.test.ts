// The queue runner against real remotes (smtp-server on 127.0.0.x found through a local DNS server), on both store backends.
import assert from 'node:assert/strict';
import { after, afterEach, describe, test } from 'node:test';
import { dsnId, enqueueMessage, queueMeta, QUEUE_PART_BYTES, returnToSender } from '../src/index.js';
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
  type RemoteMessage,
  type World,
  type WorldOptions,
} from './runner-world.js';

/** DSNs the remote received (mail from the null sender), oldest first. */
const dsns = (world: World): RemoteMessage[] => world.remote.received.filter((message) => message.from === '');
const subjectOf = (message: RemoteMessage): string | undefined => parseReport(message.message).top.headers.get('subject');

/** A message of `size` octets in 78-octet CRLF lines after testMessage's header, ending with CRLF. */
function longMessage(id: string, size: number): Buffer {
  const message = Buffer.alloc(size, 'x');
  const head = testMessage(id);
  head.copy(message);
  for (let at = head.length + 76; at < size - 2; at += 78) message.write('\r\n', at, 'latin1');
  message.write('\r\n', size - 2, 'latin1');
  return message;
}

for (const backend of BACKENDS) {
  describe(`queue runner on ${backend}`, () => {
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

    test('a 5xx recipient is bounced to the sender with the remote reply; the others are delivered; the entry is removed', async (t) => {
      const w = await open();
      const original = testMessage('m5xx');
      const entry = await enqueueMessage(w.store, {
        from: SENDER,
        recipients: [{ address: 'ok1@dest.test' }, { address: 'fail1@dest.test', orcpt: 'rfc822;Fail1@dest.test' }],
        message: original,
        envid: 'envelope-m5xx',
      });
      const started = Date.now();
      w.runner().start();
      const bounce = await waitFor('the bounce', () => dsns(w)[0]);
      t.diagnostic(`bounce at the sender's MX ${Date.now() - started} ms after the runner started`);
      await waitFor('an empty queue', () => queueEmpty(w.store));
      const removed = await waitFor('both removals', () => {
        const ids = w.logs.filter((line) => line.event === 'removed').map((line) => line.queue_id);
        return ids.length >= 2 ? ids : undefined;
      });

      assert.equal(receivedBy(w.remote, 'ok1@dest.test').length, 1);
      assert.equal(receivedBy(w.remote, 'fail1@dest.test').length, 0);
      assert.deepEqual(bounce.to, [SENDER]);
      assert.equal(dsns(w).length, 1, 'one DSN');

      const { top, parts } = parseReport(bounce.message);
      assert.equal(top.headers.get('subject'), 'Undelivered Mail Returned to Sender');
      assert.equal(top.headers.get('from'), 'Mail Delivery System <MAILER-DAEMON@mail.postern.test>');
      assert.equal(top.headers.get('to'), SENDER);
      assert.equal(top.headers.get('auto-submitted'), 'auto-replied');
      assert.match(top.headers.get('content-type') ?? '', /^multipart\/report; report-type=delivery-status;/);
      assert.match(parts[0]?.body.replace(/\s+/g, ' ') ?? '', /<fail1@dest\.test>: host mx\.dest\.test\[[\d.]+\]:\d+ said: 550 5\.1\.1 <fail1@dest\.test>: Recipient address rejected: User unknown/);
      const [perMessage, perRecipient, ...others] = statusGroups(parts[1]?.body ?? '');
      assert.equal(others.length, 0, 'only the failed recipient is reported');
      assert.equal(perMessage?.get('reporting-mta'), 'dns; mail.postern.test');
      assert.equal(perMessage?.get('x-postern-queue-id'), entry.id);
      assert.equal(perMessage?.get('original-envelope-id'), 'envelope-m5xx');
      assert.ok(perMessage?.get('arrival-date'));
      assert.equal(perRecipient?.get('final-recipient'), 'rfc822; fail1@dest.test');
      assert.equal(perRecipient?.get('original-recipient'), 'rfc822; Fail1@dest.test');
      assert.equal(perRecipient?.get('action'), 'failed');
      assert.equal(perRecipient?.get('status'), '5.1.1');
      assert.equal(perRecipient?.get('remote-mta'), 'dns; mx.dest.test');
      assert.equal(perRecipient?.get('diagnostic-code'), 'smtp; 550 5.1.1 <fail1@dest.test>: Recipient address rejected: User unknown');
      assert.ok(perRecipient?.get('last-attempt-date'));
      assert.equal(parts[2]?.headers.get('content-type'), 'message/rfc822');
      assert.equal(parts[2]?.body, original.toString('utf8'), 'the whole message comes back');

      const bounceLine = w.logs.find((line) => line.event === 'bounce');
      assert.equal(bounceLine?.queue_id, entry.id);
      assert.equal(bounceLine?.to, SENDER);
      assert.ok(typeof bounceLine?.bounce_id === 'string');
      assert.deepEqual(removed.sort(), [entry.id, bounceLine?.bounce_id].sort(), 'the entry and its DSN are both removed once done');
    });

    test('a 4xx recipient is deferred, tried again after minimal_backoff_time and delivered, without any DSN', async (t) => {
      const w = await open();
      const started = Date.now();
      const entry = await enqueueMessage(w.store, { from: SENDER, recipients: [{ address: 'later1@dest.test' }], message: testMessage('m4xx') });
      w.runner().start();
      const deferred = await waitFor('the deferral', async () => {
        const current = await w.store.getQueueEntry(entry.id);
        return current?.recipients[0]?.status === 'deferred' && current.leaseOwner === null ? current : undefined;
      });
      assert.equal(deferred.attempts, 1);
      assert.match(deferred.recipients[0]?.lastResponse ?? '', /^451 .*greylisted/);
      // The attempt records the policy it went under (`postern queue show` prints it): no MTA-STS policy, and this world's TLS level "none".
      assert.equal(queueMeta(deferred).attempts[0]?.policy, 'plain');
      const wait = deferred.nextAttemptAt.getTime() - Date.now();
      assert.ok(wait > 500 && wait <= 1000, `next attempt in ${wait} ms (minimal_backoff_time 1s)`);

      await waitFor('the delivery', () => receivedBy(w.remote, 'later1@dest.test')[0]);
      const elapsed = Date.now() - started;
      await waitFor('an empty queue', () => queueEmpty(w.store));
      assert.ok(elapsed >= 1000 && elapsed < 5000, `delivered after ${elapsed} ms`);
      assert.equal(dsns(w).length, 0);
      assert.ok(w.logs.some((line) => line.event === 'deferred' && line.queue_id === entry.id));
      t.diagnostic(`4xx → retry → delivered in ${elapsed} ms (minimal_backoff_time 1 s)`);
    });

    test('wake() delivers a new entry at once, without waiting for queue_run_delay', async (t) => {
      const w = await open({ queue: { queue_run_delay: '1h' } });
      const runner = w.runner();
      runner.start();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const started = Date.now();
      await enqueueMessage(w.store, { from: SENDER, recipients: [{ address: 'ok2@dest.test' }], message: testMessage('mwake') });
      runner.wake();
      await waitFor('the delivery', () => receivedBy(w.remote, 'ok2@dest.test')[0], 3000);
      const elapsed = Date.now() - started;
      t.diagnostic(`enqueue → remote 250 in ${elapsed} ms`);
      await waitFor('an empty queue', () => queueEmpty(w.store));
    });

    test('a message over one queue part is stored in parts and sent part by part, byte for byte (RFC 5321 §4.5.2 dots across part boundaries)', async () => {
      const w = await open();
      // Lines of 78 octets; then, at the first part boundary, a line that begins with "." (the octet before is the
      // LF that ends the previous part), and a CRLF cut in two by the second boundary.
      const message = longMessage('mparts', 2 * QUEUE_PART_BYTES + 1000);
      message.write('\r\n', QUEUE_PART_BYTES - 2, 'latin1');
      message.write('.. dot line\r\n', QUEUE_PART_BYTES, 'latin1');
      message.write('\r\n.', 2 * QUEUE_PART_BYTES - 1, 'latin1');
      const entry = await enqueueMessage(w.store, { from: SENDER, recipients: [{ address: 'ok6@dest.test' }], message });
      assert.equal(entry.parts.length, 3, 'three parts of at most QUEUE_PART_BYTES');
      assert.equal(entry.size, message.length);
      w.runner().start();
      const received = await waitFor('the delivery', () => receivedBy(w.remote, 'ok6@dest.test')[0]);
      assert.ok(received.message.equals(message), 'the remote got the queued bytes exactly (its dot-unstuffing undoes ours)');
      await waitFor('an empty queue', () => queueEmpty(w.store));
    });

    test('a queued part missing from the store ends the delivery in DATA without the final ".": the remote keeps nothing, the recipient is deferred (4.3.0)', async () => {
      const w = await open();
      const entry = await enqueueMessage(w.store, { from: SENDER, recipients: [{ address: 'ok7@dest.test' }], message: longMessage('mlost', QUEUE_PART_BYTES + 1000) });
      assert.equal(entry.parts.length, 2);
      await w.store.releaseBlob(entry.parts[1]!);
      w.runner().start();
      await waitFor('the deferral', () => w.logs.find((line) => line.event === 'deferred' && line.queue_id === entry.id));
      // RFC 5321 §4.1.1.4: data without its final "." is no message; the session is dropped, not ended with QUIT.
      assert.equal(receivedBy(w.remote, 'ok7@dest.test').length, 0);
      const [queued] = await w.store.listQueue();
      assert.equal(queued?.recipients[0]?.status, 'deferred');
      assert.match(queued?.recipients[0]?.lastResponse ?? '', /^4\.3\.0 .*missing from the store/);
    });

    test('a failure of mail from the null sender is never bounced', async () => {
      const w = await open();
      const entry = await enqueueMessage(w.store, { from: '', recipients: [{ address: 'fail2@dest.test' }], message: testMessage('mnull') });
      w.runner().start();
      await waitFor('the removal', () => w.logs.some((line) => line.event === 'removed' && line.queue_id === entry.id));
      assert.equal(await queueEmpty(w.store), true);
      assert.equal(w.remote.received.length, 0);
      assert.equal(w.logs.some((line) => line.event === 'bounce'), false);
    });

    test("a local sender's bounce is delivered to the mailstore over LMTP", async () => {
      const w = await open();
      await w.store.addDomain('sender.test');
      const mailstore = await startRemote(loopbackHost(), { lmtp: true });
      try {
        await enqueueMessage(w.store, { from: SENDER, recipients: [{ address: 'fail8@dest.test' }], message: testMessage('mlocal') });
        w.runner({ lmtp: { kind: 'tcp', host: mailstore.host, port: mailstore.port } }).start();
        const bounce = await waitFor('the bounce over LMTP', () => mailstore.received[0]);
        await waitFor('an empty queue', () => queueEmpty(w.store));
        assert.equal(bounce.from, '');
        assert.deepEqual(bounce.to, [SENDER]);
        assert.equal(parseReport(bounce.message).top.headers.get('subject'), 'Undelivered Mail Returned to Sender');
        assert.equal(dsns(w).length, 0, "nothing went to the sender domain's MX");
        const line = w.logs.find((entry) => entry.event === 'delivery' && entry.to === SENDER);
        assert.match(String(line?.relay), /^lmtp\[/);
      } finally {
        await mailstore.stop();
      }
    });

    test('an entry older than maximal_queue_lifetime is returned with 4.4.7 and the last remote reply', async (t) => {
      const w = await open({ queue: { maximal_queue_lifetime: '3s', delay_warning_time: 0 } });
      const started = Date.now();
      const entry = await enqueueMessage(w.store, { from: SENDER, recipients: [{ address: 'never1@dest.test' }], message: testMessage('mexpire') });
      w.runner().start();
      const bounce = await waitFor('the bounce', () => dsns(w)[0], 20_000);
      const elapsed = Date.now() - started;
      await waitFor('an empty queue', () => queueEmpty(w.store));
      assert.ok(elapsed >= 3000, `returned after ${elapsed} ms`);

      const { top, parts } = parseReport(bounce.message);
      assert.equal(top.headers.get('subject'), 'Undelivered Mail Returned to Sender');
      assert.match(parts[0]?.body.replace(/\s+/g, ' ') ?? '', /message delayed too long \/ expired/);
      const perRecipient = statusGroups(parts[1]?.body ?? '')[1];
      assert.equal(perRecipient?.get('final-recipient'), 'rfc822; never1@dest.test');
      assert.equal(perRecipient?.get('action'), 'failed');
      assert.equal(perRecipient?.get('status'), '4.4.7');
      assert.equal(perRecipient?.get('remote-mta'), 'dns; mx.dest.test');
      assert.match(perRecipient?.get('diagnostic-code') ?? '', /^smtp; 451 .*<never1@dest\.test>: mailbox busy, try again later$/);
      const expired = w.logs.find((line) => line.event === 'expired');
      assert.equal(expired?.queue_id, entry.id);
      assert.equal(expired?.from, SENDER);
      const attempts = w.logs.filter((line) => line.event === 'delivery' && line.queue_id === entry.id).length;
      assert.ok(attempts >= 3, `${attempts} attempts before expiry`);
      t.diagnostic(`expired and returned after ${elapsed} ms and ${attempts} attempts`);
    });

    test('one delay warning after delay_warning_time, then the bounce at expiry', async () => {
      const w = await open({ queue: { delay_warning_time: '1s', maximal_queue_lifetime: '4s' } });
      const entry = await enqueueMessage(w.store, { from: SENDER, recipients: [{ address: 'never2@dest.test' }], message: testMessage('mdelay') });
      w.runner().start();
      const warning = await waitFor('the delay warning', () => dsns(w)[0], 10_000);
      const current = await w.store.getQueueEntry(entry.id);
      assert.equal(current === null ? null : queueMeta(current).warned, true, 'meta.warned is set while the entry waits');

      const { top, parts } = parseReport(warning.message);
      assert.equal(top.headers.get('subject'), 'Delayed Mail (still being retried)');
      const perRecipient = statusGroups(parts[1]?.body ?? '')[1];
      assert.equal(perRecipient?.get('action'), 'delayed');
      assert.match(perRecipient?.get('status') ?? '', /^4\./);
      assert.ok(perRecipient?.get('will-retry-until'));
      assert.equal(parts[2]?.headers.get('content-type'), 'text/rfc822-headers');

      await waitFor('the bounce', () => dsns(w)[1], 20_000);
      await waitFor('an empty queue', () => queueEmpty(w.store));
      assert.deepEqual(dsns(w).map(subjectOf), ['Delayed Mail (still being retried)', 'Undelivered Mail Returned to Sender'], 'one warning, one bounce');
    });

    test('NOTIFY=NEVER gets no DSN; a NOTIFY list without FAILURE gets no failure DSN', async () => {
      const w = await open();
      const never = await enqueueMessage(w.store, { from: SENDER, recipients: [{ address: 'fail3@dest.test', notify: ['NEVER'] }], message: testMessage('mnever') });
      const mixed = await enqueueMessage(w.store, {
        from: SENDER,
        recipients: [
          { address: 'fail4@dest.test', notify: ['DELAY'] },
          { address: 'fail5@dest.test', notify: ['SUCCESS', 'FAILURE'] },
        ],
        message: testMessage('mmixed'),
      });
      w.runner().start();
      await waitFor('both entries removed', () => {
        const removed = w.logs.filter((line) => line.event === 'removed').map((line) => line.queue_id);
        return removed.includes(never.id) && removed.includes(mixed.id);
      });
      await waitFor('an empty queue', () => queueEmpty(w.store));
      assert.equal(dsns(w).length, 1, 'only the mixed entry bounces');
      const groups = statusGroups(parseReport(dsns(w)[0]?.message ?? Buffer.alloc(0)).parts[1]?.body ?? '');
      assert.deepEqual(groups.slice(1).map((group) => group.get('final-recipient')), ['rfc822; fail5@dest.test']);
    });

    test('NOTIFY=FAILURE gets no delay warning, only the bounce', async () => {
      const w = await open({ queue: { delay_warning_time: '1s', maximal_queue_lifetime: '3s' } });
      await enqueueMessage(w.store, { from: SENDER, recipients: [{ address: 'never3@dest.test', notify: ['FAILURE'] }], message: testMessage('mnodelay') });
      w.runner().start();
      await waitFor('the bounce', () => dsns(w)[0], 20_000);
      await waitFor('an empty queue', () => queueEmpty(w.store));
      assert.deepEqual(dsns(w).map(subjectOf), ['Undelivered Mail Returned to Sender']);
    });

    test('at most destination_concurrency_limit deliveries run to one destination at once', async () => {
      const w = await open({ smtp: { destination_concurrency_limit: 2 }, remote: { slowMs: 300 } });
      for (let i = 0; i < 6; i++) {
        await enqueueMessage(w.store, { from: SENDER, recipients: [{ address: `slow${i}@dest.test` }], message: testMessage(`mslow${i}`) });
      }
      w.runner().start();
      await waitFor('an empty queue', () => queueEmpty(w.store));
      assert.equal(w.remote.received.length, 6);
      assert.equal(w.remote.maxSessions, 2, 'two sessions at once, never more');
    });

    test('two runners on one store deliver each of 20 entries exactly once', async (t) => {
      const w = await open();
      for (let i = 0; i < 20; i++) {
        await enqueueMessage(w.store, { from: SENDER, recipients: [{ address: `twice${i}@dest.test` }], message: testMessage(`mtwo${i}`) });
      }
      const first = w.runner({ owner: 'runner-a' });
      const second = w.runner({ owner: 'runner-b' });
      first.start();
      second.start();
      await waitFor('an empty queue', () => queueEmpty(w.store));
      for (let i = 0; i < 20; i++) assert.equal(receivedBy(w.remote, `twice${i}@dest.test`).length, 1, `twice${i} once`);
      assert.equal(w.remote.received.length, 20);
      t.diagnostic(`${w.remote.received.length} messages at the remote, no duplicates`);
    });

    test('a delivery that outlasts queue.lease_time keeps renewing its lease: a second runner never delivers it again', async (t) => {
      const w = await open({ queue: { lease_time: '2s' }, remote: { slowMs: 5000 } });
      await enqueueMessage(w.store, { from: SENDER, recipients: [{ address: 'slow-lease@dest.test' }], message: testMessage('mslowlease') });
      const first = w.runner({ owner: 'runner-a' });
      first.start();
      await waitFor('the delivery to start', () => first.active === 1 || undefined);
      const second = w.runner({ owner: 'runner-b' });
      second.start();
      await waitFor('an empty queue', () => queueEmpty(w.store), 20_000);
      assert.equal(receivedBy(w.remote, 'slow-lease@dest.test').length, 1, 'one copy, though the remote took 2.5 leases to answer');
      assert.equal(w.logs.filter((line) => line.event === 'lease_lost').length, 0);
      t.diagnostic('lease renewed while the remote took 5 s for a 2 s lease');
    });

    test('an entry whose runner died after recording the failure but before removing it is bounced once, not twice', async () => {
      const w = await open();
      const entry = await enqueueMessage(w.store, { from: SENDER, recipients: [{ address: 'fail7@dest.test' }], message: testMessage('mrecover') });
      // What a runner that died between its steps leaves: the final outcome written, the DSN queued, the entry not removed.
      const [leased] = await w.store.leaseQueueEntries('dead-runner', new Date(), 60_000, 1);
      assert.equal(leased?.id, entry.id);
      const reply = '550 5.1.1 <fail7@dest.test>: Recipient address rejected: User unknown';
      const finished = await w.store.updateQueueEntry(
        entry.id,
        {
          recipients: [{ address: 'fail7@dest.test', status: 'bounced', lastResponse: reply, notify: null, orcpt: null }],
          attempts: 1,
          nextAttemptAt: new Date(),
          meta: { ...entry.meta, attempts: [{ address: 'fail7@dest.test', dsn: '5.1.1', relay: `mx.dest.test[${w.remote.host}]:${w.remote.port}`, remote: true, at: new Date().toISOString() }] },
        },
        'dead-runner',
      );
      assert.ok(finished);
      const queued = await returnToSender({ store: w.store, config: w.config, logger: w.logger }, finished, 'failure', finished.recipients, new Date());
      assert.ok(queued);
      assert.equal(queued.id, dsnId(entry.id, 'failure'));

      // Held, the DSN cannot leave before the runner has finished the entry: the test needs no race.
      await w.store.setQueueHeld(queued.id, true);

      const runner = w.runner();
      runner.start();
      await waitFor('the entry removed', () => w.logs.some((line) => line.event === 'removed' && line.queue_id === entry.id));
      assert.deepEqual((await w.store.listQueue()).map((queuedEntry) => queuedEntry.id), [queued.id], 'the DSN is queued once');
      await w.store.setQueueHeld(queued.id, false);
      runner.wake();
      await waitFor('an empty queue', () => queueEmpty(w.store));
      assert.equal(dsns(w).length, 1, 'one DSN reached the sender');
      const perRecipient = statusGroups(parseReport(dsns(w)[0]?.message ?? Buffer.alloc(0)).parts[1]?.body ?? '')[1];
      assert.equal(perRecipient?.get('diagnostic-code'), `smtp; ${reply}`);
    });

    test('stop() waits for a delivery in flight, which is recorded before it returns', async () => {
      const w = await open({ remote: { slowMs: 400 } });
      await enqueueMessage(w.store, { from: SENDER, recipients: [{ address: 'slowstop@dest.test' }], message: testMessage('mstop') });
      const runner = w.runner();
      const data = w.remote.nextData();
      runner.start();
      await data;
      await runner.stop();
      assert.equal(receivedBy(w.remote, 'slowstop@dest.test').length, 1);
      assert.equal(await queueEmpty(w.store), true);
    });

    test('stop() returns after stopTimeoutMs while a remote stalls in DATA; the entry stays queued under its lease', async (t) => {
      const w = await open();
      const entry = await enqueueMessage(w.store, { from: SENDER, recipients: [{ address: 'stall1@dest.test' }], message: testMessage('mstall') });
      const runner = w.runner({ stopTimeoutMs: 300 });
      const data = w.remote.nextData();
      runner.start();
      await data;
      const started = Date.now();
      await runner.stop();
      const elapsed = Date.now() - started;
      assert.ok(elapsed < 2000, `stop() took ${elapsed} ms`);
      const current = await w.store.getQueueEntry(entry.id);
      assert.equal(current?.leaseOwner, runner.owner);
      assert.equal(current?.recipients[0]?.status, 'pending');
      assert.ok(w.logs.some((line) => line.event === 'runner_stopped'));
      t.diagnostic(`stop() returned after ${elapsed} ms`);
      // The remote answers at last: the attempt still finishes and records the delivery.
      w.remote.releaseStalls();
      await waitFor('an empty queue', () => queueEmpty(w.store));
      assert.equal(receivedBy(w.remote, 'stall1@dest.test').length, 1);
    });
  });
}
