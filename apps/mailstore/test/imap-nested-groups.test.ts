// One delivered message whose To: nests groups thousands deep must not poison the mailbox (RFC 5322 §3.4 has no nested groups).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { describeOnBackends, loginWire, type ImapFixture } from './imap-fixture.js';
import { LmtpClient, sampleMessage } from './lmtp-client.js';
import { lmtpConfig, runLmtp, type RunningLmtp } from './lmtp-fixture.js';

/** Enough to overflow any parser that recurses once per group (nodemailer's did at about 3,000). */
const DEPTH = 50_000;

/** `To: g:g:g:…a@b.example;;;…`, folded into 78-octet lines as a sender would (RFC 5322 §2.2.3). */
function poisonMessage(): string {
  const starts = Array.from({ length: DEPTH / 25 }, () => 'g:'.repeat(25)).join('\r\n ');
  const ends = Array.from({ length: DEPTH / 50 }, () => ';'.repeat(50)).join('\r\n ');
  return ['From: Mallory <mallory@remote.example>', `To: ${starts}\r\n a@b.example\r\n ${ends}`, 'Subject: Nested', 'Message-ID: <nested@remote.example>', 'Date: Mon, 06 Jan 2025 10:00:00 +0000', '', 'Poison body.', ''].join('\r\n');
}

describeOnBackends('IMAP with a message of deeply nested address groups', {}, (suite) => {
  let fx: ImapFixture;
  let lmtp: RunningLmtp;

  before(async () => {
    ({ fx } = suite);
    // smtpd.header_size_limit raised: the mailstore now refuses a 150 KB To: field, so it stands for one stored before.
    lmtp = await runLmtp(suite.store, lmtpConfig({ message_size_limit: '1M', header_size_limit: 1024 * 1024 }));
    const { client } = await LmtpClient.open(lmtp.target);
    await client.lhlo();
    for (const message of [sampleMessage({ subject: 'Before' }), poisonMessage(), sampleMessage({ subject: 'After' })]) {
      const { data } = await client.send('sender@remote.example', ['alice@example.com'], message);
      assert.equal(data[0]?.code, 250, JSON.stringify(data));
    }
    await client.quit();
  });

  after(async () => {
    await lmtp?.service.close();
  });

  test('FETCH ENVELOPE and BODYSTRUCTURE answer for every message, the nested groups read as one group', async (t) => {
    const wire = await loginWire(fx);
    await wire.command('SELECT INBOX');
    const started = Date.now();
    const fetched = await wire.command('FETCH 1:* (ENVELOPE BODYSTRUCTURE)', { timeoutMs: 20_000 });
    const ms = Date.now() - started;
    t.diagnostic(`FETCH 1:* (ENVELOPE BODYSTRUCTURE) with ${DEPTH} nested groups: ${ms} ms`);
    assert.equal(fetched.status, 'OK', fetched.tagged);
    assert.equal(fetched.untagged.filter((line) => / FETCH \(/.test(line)).length, 3);
    assert.ok(fetched.untagged[1]!.includes('"Nested" (("Mallory" NIL "mallory" "remote.example"))'), fetched.untagged[1]!.slice(0, 300));
    assert.ok(fetched.untagged[1]!.includes(' ((NIL NIL "g" NIL)(NIL NIL "a" "b.example")(NIL NIL NIL NIL)) NIL NIL NIL "<nested@remote.example>"'));
    assert.ok(ms < 5000, `FETCH took ${ms} ms`);
    const header = await wire.command('FETCH 2 (BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY.PEEK[1])');
    assert.equal(header.untagged[0], '* 2 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {19}\r\nSubject: Nested\r\n\r\n BODY[1] {14}\r\nPoison body.\r\n)');
    wire.close();
  });

  test('SEARCH TO, BODY and TEXT work over the whole mailbox', async () => {
    const wire = await loginWire(fx);
    await wire.command('SELECT INBOX');
    for (const [keys, expected] of [
      ['TO "a@b.example"', '2'],
      ['TO alice', '1 3'],
      ['BODY poison', '2'],
      ['TEXT there', '1 3'],
      ['SUBJECT after', '3'],
    ] as const) {
      const result = await wire.command(`SEARCH ${keys}`, { timeoutMs: 20_000 });
      assert.equal(result.status, 'OK', `${keys}: ${result.tagged}`);
      assert.deepEqual(result.untagged.filter((line) => line.startsWith('* SEARCH')), [`* SEARCH ${expected}`], keys);
    }
    wire.close();
  });

  test('APPEND of the same message and imapflow reading every envelope of the mailbox', async () => {
    const wire = await loginWire(fx);
    assert.equal((await wire.append('INBOX', Buffer.from(poisonMessage()))).status, 'OK');
    wire.close();
    const client = fx.client('alice@example.com');
    await client.connect();
    const lock = await client.getMailboxLock('INBOX', { readOnly: true });
    try {
      const subjects: string[] = [];
      for await (const message of client.fetch('1:*', { envelope: true })) subjects.push(message.envelope?.subject ?? '');
      assert.deepEqual(subjects, ['Before', 'Nested', 'After', 'Nested']);
    } finally {
      lock.release();
    }
    await client.logout();
  });
});
