// `postern trace QUEUEID|MESSAGE-ID` over the JSON log of a real `postern start` (written to a
// file as a journal export would be) and its queue: a message delivered to a remote MX, one
// refused there and bounced, one deferred, and one received from outside and stored over LMTP.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import { startMtaInstance, type MtaInstance } from '../mta/instance.js';
import { sendFromOutside } from '../outbound/outside.js';
import { freePort } from '../support/ports.js';
import { startRemoteSmtp, type RemoteSmtp } from '../support/remote-smtp.js';

const REMOTE_MX = '127.0.0.131';
const PASSWORD = 'trace test password';

interface TraceJson {
  queueIds: string[];
  messageIds: string[];
  lines: Record<string, unknown>[];
  queued: { id: string; recipients: { address: string; status: string; lastResponse: string | null }[] }[];
}

describe('postern trace (sqlite)', { timeout: 180_000 }, () => {
  let mta: MtaInstance;
  let remote: RemoteSmtp;
  let logFile: string;

  const submit = async (to: string, messageId: string): Promise<void> => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: mta.ports.submission, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user: 'alice@example.com', pass: PASSWORD } });
    try {
      await transport.sendMail({ from: 'alice@example.com', to, subject: `to ${to}`, text: 'trace me', messageId: `<${messageId}>` });
    } finally {
      transport.close();
    }
  };
  /** The queue id the MTA gave the message with this Message-ID (its `received` line). */
  const queueIdOf = async (messageId: string): Promise<string> => {
    const received = await mta.waitForLog((line) => line.event === 'received' && line.message_id === `<${messageId}>`);
    return String(received.queue_id);
  };
  const trace = async (id: string): Promise<{ code: number; stdout: string; stderr: string; json: TraceJson }> => {
    writeFileSync(logFile, mta.output());
    const text = await mta.instance.run(['trace', id, '--log', logFile]);
    const json = await mta.instance.run(['trace', id, '--log', logFile, '--json']);
    assert.equal(json.code, text.code, json.stderr);
    return { code: text.code, stdout: text.stdout, stderr: text.stderr, json: json.code === 0 ? (JSON.parse(json.stdout) as TraceJson) : ({} as TraceJson) };
  };

  before(async () => {
    const port = await freePort();
    remote = await startRemoteSmtp({ host: REMOTE_MX, port, refuseRecipients: { 'nobody@remote.test': [550, '5.1.1 <nobody@remote.test>: no such user'], 'later@remote.test': [451, '4.3.0 try again later'] } });
    mta = await startMtaInstance('sqlite', {
      settings: [
        ['smtp.port', String(port)],
        ['queue.queue_run_delay', '"1s"'],
        ['queue.minimal_backoff_time', '"1h"'],
      ],
      zone: { 'remote.test': { MX: [{ exchange: 'mx.remote.test', priority: 10 }] }, 'mx.remote.test': { A: [REMOTE_MX] } },
    });
    await mta.addUser('alice@example.com', PASSWORD);
    logFile = join(mta.instance.dir, 'postern.log');
  });
  after(async () => {
    await mta?.stop();
    await remote?.stop();
  });

  it('tells a delivered message from submission to the remote MX, by queue id and by Message-ID', async () => {
    await submit('bob@remote.test', 'delivered.1@example.com');
    const queueId = await queueIdOf('delivered.1@example.com');
    await mta.waitForLog((line) => line.event === 'removed' && line.queue_id === queueId);
    const { code, stdout, json } = await trace(queueId);
    assert.equal(code, 0);
    assert.deepEqual(json.messageIds, ['delivered.1@example.com']);
    const events = json.lines.map((line) => line.event);
    for (const event of ['connect', 'auth', 'mail', 'received', 'dkim_signed', 'queued', 'delivery', 'removed', 'disconnect']) assert.ok(events.includes(event), `${event} in ${events.join(' ')}`);
    const received = json.lines.find((line) => line.event === 'received')!;
    assert.equal(received.service, 'submission');
    assert.match(String(received.client), /\[127\.0\.0\.1\]$/);
    const delivery = json.lines.find((line) => line.event === 'delivery')!;
    assert.deepEqual([delivery.to, delivery.status], ['bob@remote.test', 'sent']);
    assert.deepEqual(json.queued, []);
    assert.match(stdout, new RegExp(`^trace: queue id ${queueId}; Message-ID <delivered\\.1@example\\.com>$`, 'm'));
    assert.match(stdout, new RegExp(`^\\S+Z {2}delivery {7}${queueId}: to=<bob@remote\\.test>, relay=mx\\.remote\\.test\\[${REMOTE_MX.replaceAll('.', '\\.')}\\]:\\d+, .*status=sent`, 'm'));
    assert.match(stdout, new RegExp(`^no longer queued: ${queueId}$`, 'm'));
    // The same story from the Message-ID, with or without its angle brackets.
    const byMessageId = await trace('<delivered.1@example.com>');
    assert.deepEqual(byMessageId.json.lines, json.lines);
  });

  it('tells a bounced message: the refusal, the non-delivery notification and its own delivery back to the sender', async () => {
    await submit('nobody@remote.test', 'bounced.1@example.com');
    const queueId = await queueIdOf('bounced.1@example.com');
    const bounce = await mta.waitForLog((line) => line.event === 'bounce' && line.queue_id === queueId, 15_000);
    const bounceId = String(bounce.bounce_id);
    await mta.waitForLog((line) => line.event === 'delivery' && line.queue_id === bounceId, 15_000);
    const { code, stdout, json } = await trace(queueId);
    assert.equal(code, 0);
    assert.deepEqual(json.queueIds.sort(), [queueId, bounceId].sort());
    const refused = json.lines.find((line) => line.event === 'delivery' && line.queue_id === queueId)!;
    assert.deepEqual([refused.status, refused.dsn], ['bounced', '5.1.1']);
    const returned = json.lines.find((line) => line.event === 'delivery' && line.queue_id === bounceId)!;
    assert.deepEqual([returned.to, returned.status], ['alice@example.com', 'sent']);
    assert.match(stdout, new RegExp(`bounce {9}${queueId}: sender non-delivery notification: ${bounceId}$`, 'm'));
  });

  it('tells a deferred message: the attempt, its temporary reply and what the queue still holds', async () => {
    await submit('later@remote.test', 'deferred.1@example.com');
    const queueId = await queueIdOf('deferred.1@example.com');
    await mta.waitForLog((line) => line.event === 'deferred' && line.queue_id === queueId, 15_000);
    const { code, stdout, json } = await trace(queueId);
    assert.equal(code, 0);
    const attempt = json.lines.find((line) => line.event === 'delivery')!;
    assert.deepEqual([attempt.status, attempt.dsn], ['deferred', '4.3.0']);
    assert.equal(json.queued.length, 1);
    assert.deepEqual(json.queued[0]!.recipients.map((r) => [r.address, r.status]), [['later@remote.test', 'deferred']]);
    assert.match(stdout, new RegExp(`^queue ${queueId}: from=<alice@example\\.com>, 1 attempt, next attempt \\S+Z$`, 'm'));
    assert.match(stdout, /^ {2}to=<later@remote\.test> deferred \(451 4\.3\.0 try again later\)$/m);
  });

  it('tells a message from outside: checks and verdicts, the LMTP hand-off and the mailbox it went to', async () => {
    const raw = 'From: someone@outside.test\r\nTo: alice@example.com\r\nSubject: from outside\r\nMessage-ID: <inbound.1@outside.test>\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\n\r\nHello.\r\n';
    assert.equal((await sendFromOutside(mta, 'someone@outside.test', raw)).code, 250);
    await mta.waitForLog((line) => String(line.messageId).includes('inbound.1@outside.test') && line.user === 'alice@example.com');
    // The mailstore logs the stored copy before the MTA has read its LMTP reply and logged the delivery.
    const queueId = await queueIdOf('inbound.1@outside.test');
    await mta.waitForLog((line) => line.event === 'delivery' && line.queue_id === queueId);
    const { code, json } = await trace('inbound.1@outside.test');
    assert.equal(code, 0);
    const events = json.lines.map((line) => line.event ?? (line.rcpt !== undefined ? 'lmtp' : line.msg));
    for (const event of ['connect', 'mail', 'authentication', 'received', 'delivery', 'lmtp']) assert.ok(events.includes(event), `${event} in ${events.join(' ')}`);
    const stored = json.lines.find((line) => line.user === 'alice@example.com')!;
    assert.equal(stored.mailbox, 'INBOX');
  });

  it('exits 1 naming an id that neither the log nor the queue knows', async () => {
    const { code, stderr } = await trace('000000000000000000000000');
    assert.equal(code, 1);
    assert.equal(stderr, 'postern: 000000000000000000000000: no such message in the log or the queue\n');
  });
});
