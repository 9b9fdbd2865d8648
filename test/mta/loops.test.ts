// Mail loops (RFC 5321 §6.3): two Postern MTAs whose transport_maps point at
// each other stop the loop at smtpd.hopcount_limit with one bounce to the
// sender; a message with more Received fields than the limit is refused at
// the end of DATA with 554 5.4.6; a message that already carries our
// Delivered-To for its recipient is bounced as a forwarding loop (Postfix local(8)).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../support/ports.js';
import { startMtaInstance, type MtaInstance } from './instance.js';
import { SmtpDialogue, message, sendMail, type Reply } from './smtp-dialogue.js';

const PASSWORD = 'loop test password';

/** `count` Received fields as relays before us would have written them. */
function receivedFields(count: number): Record<string, string> {
  const fields: Record<string, string> = {};
  // message() takes a record, so each field gets a distinct name and is renamed back below.
  for (let i = 0; i < count; i++) fields[`X-Hop-${i}`] = `from relay${i}.example.org (relay${i}.example.org [192.0.2.${i % 250}]) by relay${i + 1}.example.org with ESMTP id H${i}; Sat, 21 Nov 2026 10:00:00 +0000`;
  return fields;
}

function withHops(subject: string, hops: number, headers: Record<string, string> = {}): string {
  return message(subject, 'Looping?', { ...headers, ...receivedFields(hops) }).replace(/^X-Hop-\d+:/gm, 'Received:');
}

async function send(port: number, from: string, to: string[], content: string): Promise<Reply> {
  const smtp = await SmtpDialogue.open(port);
  try {
    assert.equal((await smtp.ehlo('client.example.com')).code, 250);
    return await sendMail(smtp, from, to, content);
  } finally {
    await smtp.command('QUIT').catch(() => undefined);
  }
}

const receivedLines = (mta: MtaInstance, messageId: string): number => mta.logLines().filter((line) => line['event'] === 'received' && String(line['message_id']).includes(messageId)).length;

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`mail loops on ${backend}`, { timeout: 240_000 }, () => {
    let a: MtaInstance;
    let b: MtaInstance;

    before(async () => {
      const [portA, portB] = [await freePort(), await freePort()];
      const common: [string, string][] = [['queue.queue_run_delay', '"1s"'], ['queue.minimal_backoff_time', '"1h"']];
      // Each sends loop.test to the other: the loop of the issue, through transport_maps.
      a = await startMtaInstance(backend, { settings: [['listen.smtp', `["127.0.0.1:${portA}"]`], ['smtp.transport_maps', `{ "loop.test" = "[127.0.0.1]:${portB}" }`], ...common] });
      b = await startMtaInstance(backend, { settings: [['listen.smtp', `["127.0.0.1:${portB}"]`], ['smtp.transport_maps', `{ "loop.test" = "[127.0.0.1]:${portA}" }`], ...common] });
      a.ports.smtp = portA;
      b.ports.smtp = portB;
      for (const mta of [a, b]) {
        await mta.addUser('alice@example.com', PASSWORD);
        await mta.addUser('bob@example.com', PASSWORD);
        await mta.addUser('carol@example.com', PASSWORD);
      }
    });
    after(async () => {
      await a?.stop();
      await b?.stop();
    });

    it('accepts a message that reaches smtpd.hopcount_limit (49 Received fields + ours = 50)', async () => {
      const reply = await send(a.ports.smtp, 'sender@example.org', ['alice@example.com'], withHops('fifty hops', 49));
      assert.equal(reply.code, 250, reply.line);
      assert.equal((await a.waitForInbox('alice@example.com', 1)).length, 1);
    });

    it('refuses 51 Received fields (50 + ours) at the end of DATA with 554 5.4.6 and stores nothing', async () => {
      const reply = await send(a.ports.smtp, 'sender@example.org', ['bob@example.com'], withHops('fifty-one hops', 50));
      assert.equal(reply.code, 554);
      assert.match(reply.line, /^554 5\.4\.6 Too many hops: 51 Received fields, limit 50/);
      assert.equal((await a.inbox('bob@example.com')).length, 0);
    });

    it('a message that already carries Delivered-To for its recipient is bounced from the queue as "mail forwarding loop", nothing stored', async () => {
      // The queue is the commit point: the 250 comes first, then the mailbox delivery refuses it and the
      // queue bounces it (Postfix local(8) does the same).
      const looped = await send(a.ports.smtp, 'sender@example.org', ['bob@example.com'], message('been here', 'Again.', { 'Delivered-To': 'bob@example.com' }));
      assert.equal(looped.code, 250, looped.line);
      const queueId = /queued as (\S+)/.exec(looped.line)![1];
      const bounced = await a.waitForLog((line) => line.event === 'delivery' && line.queue_id === queueId && line.to === 'bob@example.com');
      assert.equal(bounced.status, 'bounced');
      assert.match(String(bounced.reply), /^554 5\.4\.6 .*mail forwarding loop for bob@example\.com/);
      assert.equal((await a.inbox('bob@example.com')).length, 0);
      // Delivered-To for someone else is no loop for bob.
      const other = await send(a.ports.smtp, 'sender@example.org', ['bob@example.com'], message('been elsewhere', 'Once.', { 'Delivered-To': 'carol@example.net' }));
      assert.equal(other.code, 250, other.line);
      assert.equal((await a.waitForInbox('bob@example.com', 1)).length, 1);
    });

    it('with another recipient in the transaction, the looping one is bounced once to the sender (null sender) and the other delivered', async () => {
      const before = (await a.inbox('bob@example.com')).length;
      const reply = await send(a.ports.smtp, 'carol@example.com', ['alice@example.com', 'bob@example.com'], message('half a loop', 'Again.', { 'Delivered-To': 'alice@example.com' }));
      assert.equal(reply.code, 250, reply.line);
      assert.equal((await a.waitForInbox('bob@example.com', before + 1)).length, before + 1);
      const bounces = await a.waitForInbox('carol@example.com', 1, 15_000);
      assert.equal(bounces.length, 1);
      assert.match(bounces[0]!.raw, /^Return-Path: <>\r\n/);
      assert.match(bounces[0]!.raw, /5\.4\.6/);
      assert.match(bounces[0]!.raw, /554 5\.4\.6 <alice@example\.com> mail\s+forwarding loop for alice@example\.com/);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal((await a.inbox('carol@example.com')).length, 1, 'one bounce, no more');
      assert.ok(!(await a.inbox('alice@example.com')).some((stored) => stored.raw.includes('half a loop')), 'alice got no copy');
    });

    it('a transport_maps loop between two instances stops at the hop limit with exactly one bounce to the sender', async () => {
      const started = Date.now();
      const content = message('round and round', 'Loop.').replace('To: alice@example.com', 'To: someone@loop.test');
      const messageId = /Message-ID: <([^>]+)>/.exec(content)![1]!;
      const reply = await send(a.ports.smtp, 'alice@example.com', ['someone@loop.test'], content);
      assert.equal(reply.code, 250, reply.line);
      // The bounce comes to alice on whichever instance saw the last hop refused.
      const bounces = async (): Promise<number> => (await a.inbox('alice@example.com')).length + (await b.inbox('alice@example.com')).length - 1;
      const deadline = Date.now() + 120_000;
      while ((await bounces()) < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      const stoppedMs = Date.now() - started;
      assert.equal(await bounces(), 1, 'one bounce reached the sender');
      // Nothing more moves: the bounce (null sender) does not loop, the message is gone from both queues.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      assert.equal(await bounces(), 1, 'still exactly one bounce');
      const hops = receivedLines(a, messageId) + receivedLines(b, messageId);
      assert.equal(hops, 50, 'accepted once per hop up to smtpd.hopcount_limit');
      const bounce = [...(await a.inbox('alice@example.com')), ...(await b.inbox('alice@example.com'))].find((stored) => /Return-Path: <>/.test(stored.raw) && /5\.4\.6/.test(stored.raw));
      assert.ok(bounce, 'the bounce has a null sender and names 5.4.6');
      assert.match(bounce.raw, /Too many hops/);
      assert.deepEqual([...(await a.store.listQueue()), ...(await b.store.listQueue())].map((entry) => entry.id), [], "both queues are empty");
      console.log(`# ${backend}: loop stopped after ${hops} hops in ${stoppedMs} ms`);
    });
  });
}
