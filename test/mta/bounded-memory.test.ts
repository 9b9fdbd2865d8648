// Issue 10, bounded memory: twenty clients send a 50 MB message each, all at
// once, into `postern mta` (the mailstore runs as its own process) while the
// MTA's resident set is sampled from /proc every 50 ms. Every message ends in
// 250, or in a 4xx that the client retries until it gets 250 (RFC 5321
// §4.2.5: a 4yz reply means "try again"); all twenty reach the mailbox; and
// the peak stays within the budget docs give for the default smtpd limits.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { MessageRecord } from '@postern/store';
import { startMtaInstance, type MtaInstance } from './instance.js';
import { SmtpDialogue, type Reply } from './smtp-dialogue.js';

const CLIENTS = 20;
const MESSAGE_BYTES = 50_000_000;
// The budget the docs give for the defaults (packages/config/src/render.ts, README):
// 100 MiB + 1.5 MiB × message_concurrency_limit (20) + 2 × in_flight_bytes_limit (150 MiB),
// about 430 MiB: the idle process, each message's in-memory spool and stream
// buffers while it arrives, and up to two copies of the bytes in flight after
// their final dots (the assembled message, the store's copy while the queue
// writes it); deliveries read the queue 1 MiB at a time.
const BUDGET_MIB = Number(process.env['POSTERN_RSS_BUDGET_MIB'] ?? 430);
const RETRY_DELAY_MS = 1000;
const ATTEMPTS = 30;

/** A 50 MB RFC 5322 message of 76-character lines (what base64 attachments look like), numbered in its Subject. */
function bigMessage(index: number, body: Buffer): Buffer {
  const header = Buffer.from(`From: sender@example.org\r\nTo: alice@example.com\r\nSubject: big ${index}\r\nMessage-ID: <big.${index}.${Date.now()}@example.org>\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\n\r\n`);
  const message = Buffer.concat([header, body.subarray(0, MESSAGE_BYTES - header.length)]);
  // The content ends with a line break, so that the final dot is a line of its own.
  message.write('\r\n', MESSAGE_BYTES - 2);
  return message;
}

function bodyLines(): Buffer {
  const line = Buffer.from(`${'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3'.slice(0, 76)}\r\n`);
  const body = Buffer.alloc(MESSAGE_BYTES);
  for (let at = 0; at < MESSAGE_BYTES; at += line.length) line.copy(body, at);
  return body;
}

/** Samples VmRSS of a process every 50 ms; the peak in KiB. */
function sampleRss(pid: number): { stop(): number } {
  let peak = 0;
  const read = (): void => {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match) peak = Math.max(peak, Number(match[1]));
    } catch {
      // The process is gone; the peak so far stands.
    }
  };
  read();
  const timer = setInterval(read, 50);
  return {
    stop() {
      clearInterval(timer);
      read();
      return peak;
    },
  };
}

/** One attempt: the reply that ended it (354 never ends one). SIZE= is declared when asked (RFC 1870). */
async function attempt(port: number, content: Buffer, declareSize: boolean): Promise<Reply> {
  const smtp = await SmtpDialogue.open(port, { localAddress: '127.0.0.2' });
  try {
    const ehlo = await smtp.ehlo('client.example.org');
    if (ehlo.code !== 250) return ehlo;
    const mail = await smtp.command(`MAIL FROM:<sender@example.org>${declareSize ? ` SIZE=${content.length}` : ''}`);
    if (mail.code !== 250) return mail;
    const rcpt = await smtp.command('RCPT TO:<alice@example.com>');
    if (rcpt.code !== 250) return rcpt;
    smtp.send('DATA\r\n');
    // The server may hold DATA while others use the room (smtpd.in_flight_wait_time).
    const data = await smtp.reply(180_000);
    if (data.code !== 354) return data;
    smtp.send(content);
    smtp.send('.\r\n');
    return await smtp.reply(600_000);
  } finally {
    smtp.close();
  }
}

/** Sends until 250, retrying after each 4xx as an MTA's queue would; returns every reply. */
async function deliver(port: number, content: Buffer, declareSize: boolean): Promise<Reply[]> {
  const replies: Reply[] = [];
  for (let i = 0; i < ATTEMPTS; i++) {
    const reply = await attempt(port, content, declareSize).catch((err: unknown): Reply => ({ code: 0, lines: [], line: `no reply: ${String(err)}` }));
    replies.push(reply);
    if (reply.code === 250 || reply.code >= 500 || reply.code === 0) return replies;
    await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
  }
  return replies;
}

/** The INBOX records (without their bytes: 1 GB is not read back) once `count` are there. */
async function waitForRecords(mta: MtaInstance, count: number): Promise<MessageRecord[]> {
  const user = await mta.store.getUser('alice@example.com');
  const inbox = user && (await mta.store.getMailbox(user.id, 'INBOX'));
  assert.ok(inbox, 'alice has an INBOX');
  const deadline = Date.now() + 120_000;
  for (;;) {
    const records = await mta.store.listMessages(inbox.id);
    if (records.length >= count || Date.now() > deadline) return records;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('bounded memory: 20 concurrent 50 MB messages into postern mta', { timeout: 1_500_000 }, () => {
  let mta: MtaInstance;

  before(async () => {
    // The sender's SPF and DMARC records answer at once, so no DNS timeout turns into a 4xx under load.
    mta = await startMtaInstance('sqlite', {
      mode: 'split',
      settings: [['dns.timeout_ms', '5000']],
      zone: { 'example.org': { TXT: ['v=spf1 ip4:127.0.0.2 -all'] }, '_dmarc.example.org': { TXT: ['v=DMARC1; p=none'] } },
    });
    await mta.addUser('alice@example.com', 'memory test password');
  });
  after(async () => {
    await mta?.stop();
  });

  it(`keeps the MTA's peak RSS within ${BUDGET_MIB} MiB, every message accepted (250, or 4xx then 250 on retry) and delivered once`, async () => {
    const process = mta.processes.find((p) => p.output().includes('postern mta ready'));
    assert.ok(process, 'the postern mta process');
    const body = bodyLines();
    const messages = Array.from({ length: CLIENTS }, (_, i) => bigMessage(i, body));
    const idleKib = sampleRss(process.pid).stop();
    const sampler = sampleRss(process.pid);
    const started = Date.now();
    // Half declare SIZE= at MAIL (RFC 1870), half do not.
    const outcomes = await Promise.all(messages.map((content, i) => deliver(mta.ports.smtp, content, i % 2 === 0)));
    const peakKib = sampler.stop();
    const seconds = (Date.now() - started) / 1000;
    const tempFailures = outcomes.flat().filter((reply) => reply.code >= 400 && reply.code < 500);
    console.log(
      `# postern mta RSS: idle ${(idleKib / 1024).toFixed(0)} MiB, peak ${(peakKib / 1024).toFixed(0)} MiB under ${CLIENTS} × ${MESSAGE_BYTES / 1e6} MB in ${seconds.toFixed(1)} s; ` +
        `${tempFailures.length} 4xx replies retried (${[...new Set(tempFailures.map((reply) => reply.line.slice(0, 9)))].join(', ') || 'none'})`,
    );
    for (const [i, replies] of outcomes.entries()) {
      const last = replies.at(-1)!;
      assert.equal(last.code, 250, `message ${i} ended with ${last.line} after ${replies.map((r) => r.line).join(' / ')}`);
      for (const reply of replies.slice(0, -1)) assert.ok(reply.code >= 400 && reply.code < 500, `message ${i}: ${reply.line} before its 250`);
    }
    const records = await waitForRecords(mta, CLIENTS);
    assert.deepEqual(records.map((record) => record.headers.subject).sort(), Array.from({ length: CLIENTS }, (_, i) => `big ${i}`).sort(), 'each message exactly once');
    for (const record of records) assert.ok(record.size >= MESSAGE_BYTES, `stored size ${record.size}`);
    assert.ok(peakKib / 1024 <= BUDGET_MIB, `peak RSS ${(peakKib / 1024).toFixed(0)} MiB is over the ${BUDGET_MIB} MiB budget`);
  });
});
