// Issue 16's hostile message shapes against a `postern start`, on both backends: port 25 and the mailstore's
// LMTP refuse them past the structure limits (RFC 3463 5.6.0 / 5.3.4), and the same shapes already stored
// (older mail, or delivered with the limits raised) are fetched and searched by a real client while another
// client's NOOP is answered and SMTP greetings arrive. Nothing here asserts a time: the process lives and answers.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import type { User } from '@postern/store';
import { RawClient } from '../fuzz/raw-client.js';
import { startInstance, type PosternInstance } from '../support/instance.js';
import { imaplib } from '../imap/clients.js';
import { python } from '../support/python.js';
import { flatMultipart, foldedHeader, manyFields, nestedGroups, nestedMessages, nestedMultiparts, type HostileShape } from './shapes.js';

const USER = 'hostile@example.com';
const PASSWORD = 'hostile test password';

/** Python's smtplib (SMTP or LMTP) sends each file as one transaction; the reply to DATA, or 250. */
const SEND = `
import smtplib
results = []
for path in args['files']:
    with open(path, 'rb') as f:
        raw = f.read()
    client = (smtplib.LMTP if args['lmtp'] else smtplib.SMTP)('127.0.0.1', args['port'])
    try:
        client.sendmail('attacker@example.org', [args['rcpt']], raw)
        results.append([250, ''])
    except smtplib.SMTPDataError as error:
        results.append([error.smtp_code, error.smtp_error.decode()])
    client.quit()
out['results'] = results
`;

type Reply = [number, string];

/** imaplib: each UID's ENVELOPE, BODYSTRUCTURE and BODY[] (status, text, bytes), then SEARCH TEXT and BODY. */
const READ = `
imaplib._MAXLINE = 10_000_000
imap = imaplib.IMAP4('127.0.0.1', args['port'])
imap.starttls(tls)
imap.login(args['user'], args['password'])
imap.select('INBOX')
def answer(uid, items):
    status, data = imap.uid('FETCH', str(uid), items)
    raw = b''.join(piece for item in data if item for piece in (item if isinstance(item, tuple) else (item,)))
    return [status, raw.decode(errors='replace') if len(raw) < 2_000_000 and items != '(BODY.PEEK[])' else '', len(data[0][1]) if items == '(BODY.PEEK[])' else len(raw)]
out['fetched'] = {str(uid): [answer(uid, items) for items in ('(ENVELOPE)', '(BODYSTRUCTURE)', '(BODY.PEEK[])')] for uid in args['uids']}
out['text'] = imap.uid('SEARCH', 'TEXT', 'needle')[1][0].decode()
out['body'] = imap.uid('SEARCH', 'BODY', 'needle')[1][0].decode()
imap.logout()
`;

function imapClient(port: number): ImapFlow {
  const client = new ImapFlow({ host: '127.0.0.1', port, secure: false, doSTARTTLS: true, auth: { user: USER, pass: PASSWORD }, logger: false, tls: { rejectUnauthorized: false } });
  client.on('error', () => {});
  return client;
}

/** A fresh SMTP connection's 220 greeting, however long it takes. */
async function greeting(port: number): Promise<void> {
  const client = await RawClient.open(port);
  try {
    assert.equal(await client.settle((text) => /^220 [^\r\n]*\r\n/.test(text), 120_000, 120_000), 'done', client.received);
  } finally {
    client.close();
  }
}

/**
 * Runs `work` while a second IMAP session sends NOOP after NOOP and fresh SMTP connections wait for
 * their greeting; every NOOP and greeting must be answered (counted, never timed).
 */
async function whileOthersAreServed<T>(instance: PosternInstance<'smtp' | 'lmtp' | 'imap'>, work: () => Promise<T>): Promise<{ result: T; noops: number; greetings: number }> {
  const other = imapClient(instance.ports.imap);
  await other.connect();
  let running = true;
  let noops = 0;
  let greetings = 0;
  const noopLoop = (async () => {
    while (running) {
      await other.noop();
      noops += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const greetingLoop = (async () => {
    while (running) {
      await greeting(instance.ports.smtp);
      greetings += 1;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  try {
    const result = await work();
    return { result, noops, greetings };
  } finally {
    running = false;
    await Promise.all([noopLoop, greetingLoop]);
    await other.logout();
  }
}

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`hostile message shapes against postern start on ${backend}`, () => {
    let instance: PosternInstance<'smtp' | 'lmtp' | 'imap'>;
    let user: User;
    let dir: string;

    /** Writes each shape to a file for the Python client (too big for an argument) and sends them all. */
    async function send(shapes: HostileShape[], lmtp: boolean): Promise<Reply[]> {
      const files = shapes.map((shape, index) => {
        const file = join(dir, `${lmtp ? 'lmtp' : 'smtp'}-${index}.eml`);
        writeFileSync(file, shape.raw);
        return file;
      });
      const port = lmtp ? instance.ports.lmtp : instance.ports.smtp;
      return (await python<{ results: Reply[] }>(SEND, { files, port, lmtp, rcpt: USER })).results;
    }

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'postern-hostile-'));
      instance = await startInstance(backend, {
        listen: ['smtp', 'lmtp', 'imap'],
        settings: [['limits.max_connections_per_ip', '1000']],
      });
      user = await instance.addUser(USER, PASSWORD);
    });

    after(async () => {
      await instance?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    // Just past each limit (the sizes are past them too), and what each refusal must say.
    const refused: [HostileShape, number, RegExp][] = [
      [nestedMessages(101), 554, /^5\.6\.0 .*MIME nesting exceeds safety limit \(mime_nesting_limit 100\)/],
      [nestedMultiparts(101), 554, /^5\.6\.0 .*MIME nesting exceeds safety limit \(mime_nesting_limit 100\)/],
      [nestedGroups(40_000), 552, /^5\.3\.4 .*header length exceeds safety limit \(header_size_limit 102400\)/],
      [flatMultipart(10_000), 554, /^5\.6\.0 .*MIME part count exceeds safety limit \(mime_part_limit 10000\)/],
      [foldedHeader(10_001), 552, /^5\.3\.4 .*header line count exceeds safety limit \(header_line_limit 10000\)/],
      [manyFields(10_000), 552, /^5\.3\.4 .*header line count exceeds safety limit \(header_line_limit 10000\)/],
    ];

    it('refuses each shape past the limits at the end of DATA on port 25 (RFC 3463 5.6.0 / 5.3.4), logs why and stores nothing', async () => {
      const replies = await send(refused.map(([shape]) => shape), false);
      refused.forEach(([shape, code, text], index) => {
        assert.equal(replies[index]![0], code, `${shape.name}: ${replies[index]![1]}`);
        assert.match(replies[index]![1], text, shape.name);
      });
      await instance.waitForLog((line) => line.event === 'reject' && line.command === 'END-OF-MESSAGE' && /\(mime_part_limit 10000\)/.test(String(line.reply)));
      assert.equal((await instance.inbox(USER)).length, 0);
    });

    it("refuses each shape past the limits in the mailstore's LMTP, per recipient (RFC 2033 §4.2), and logs the limit", async () => {
      const replies = await send(refused.map(([shape]) => shape), true);
      refused.forEach(([shape, code, text], index) => {
        assert.equal(replies[index]![0], code, `${shape.name}: ${replies[index]![1]}`);
        assert.match(replies[index]![1], text, shape.name);
      });
      await instance.waitForLog((line) => line.limit === 'header_line_limit' && /nothing stored/.test(String(line.msg)));
      assert.equal((await instance.inbox(USER)).length, 0);
    });

    it('accepts messages at the limits on port 25: 100 levels, 10,000 parts, a header of 10,000 lines with our Received', async () => {
      // The generators' own fields take 6 header lines (the folded Subject is one of them), our Received field 3 or 4.
      const replies = await send([nestedMultiparts(100), nestedMessages(100), flatMultipart(9_999), foldedHeader(9_991)], false);
      assert.deepEqual(replies.map(([code]) => code), [250, 250, 250, 250], JSON.stringify(replies));
      const inbox = await instance.inbox(USER);
      assert.equal(inbox.length, 4);
      for (const message of inbox) await instance.store.expungeMessages(message.record.mailboxId, [message.record.uid]);
    });

    it('serves each shape already stored (the issue sizes): FETCH ENVELOPE, BODYSTRUCTURE, BODY[] and SEARCH TEXT/BODY answer while NOOPs and greetings are answered', async () => {
      const stored: [HostileShape, number][] = [];
      for (const shape of [nestedMessages(10_000), nestedMultiparts(5000), nestedGroups(140_000), flatMultipart(20_000), foldedHeader(20_000)]) {
        stored.push([shape, await instance.deliver(user, shape.raw)]);
      }
      // Python's imaplib reads the answers as they are (imapflow's parser gives up on 100 nested lists).
      const served = await whileOthersAreServed(instance, () =>
        imaplib<{ fetched: Record<string, [string, string, number][]>; text: string; body: string }>(READ, { port: instance.ports.imap, user: USER, password: PASSWORD, uids: stored.map(([, uid]) => uid) }),
      );
      assert.ok(served.noops > 0 && served.greetings > 0, 'the other clients were answered');
      const answers = stored.map(([, uid]) => served.result.fetched[String(uid)]!);
      for (const [index, [shape]] of stored.entries()) {
        for (const [status] of answers[index]!) assert.equal(status, 'OK', shape.name);
        assert.equal(answers[index]![2]![2], shape.raw.length, `${shape.name}: BODY[] is the stored bytes`);
      }
      const [messages, , , flat, folded] = answers;
      assert.match(messages![0]![1], /"nested rfc822 10000"/);
      // Dovecot's max_total_mime_parts: past 10,000 parts in all, the rest is text of the last part.
      const parts = flat![1]![1].match(/\("TEXT" "PLAIN"/g)?.length ?? 0;
      assert.ok(parts > 9000 && parts < 10_000, `flat multipart served with ${parts} parts`);
      assert.match(folded![0]![1], /w19999"/);
      for (const found of [served.result.text, served.result.body]) {
        const uids = found.replace(/^\* SEARCH ?/, '').split(' ').filter(Boolean).map(Number);
        for (const uid of [stored[2]![1], stored[4]![1]]) assert.ok(uids.includes(uid), `uid ${uid} found by its body text in ${found}`);
      }
      assert.equal(instance.processes[0]!.child.exitCode, null, 'postern start lives');
    });
  });
}
