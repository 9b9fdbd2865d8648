// Issue 10's admission caps on a running `postern start`: a DATA past
// smtpd.message_concurrency_limit waits without a 354 (the client sends
// nothing meanwhile) and gets 451 4.3.1 (RFC 3463 X.3.1, mail system full)
// after smtpd.in_flight_wait_time; SIZE= larger than smtpd.in_flight_bytes_limit
// gets 452 4.3.1 at MAIL (RFC 1870 §6.1); messages past 1 MiB are spooled to
// a 0600 file in the MTA's private directory under data_dir/spool, removed
// after the reply and when the client goes away mid-DATA.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '@postern/config';
import { startMtaInstance, type MtaInstance } from './instance.js';
import { SmtpDialogue, message, type Reply } from './smtp-dialogue.js';

const PASSWORD = 'admission test password';

/** EHLO, MAIL, RCPT: the dialogue ready for DATA. */
async function envelope(port: number, mailArgs = ''): Promise<SmtpDialogue> {
  const smtp = await SmtpDialogue.open(port);
  assert.equal((await smtp.ehlo()).code, 250);
  assert.equal((await smtp.command(`MAIL FROM:<sender@example.org>${mailArgs}`)).code, 250);
  assert.equal((await smtp.command('RCPT TO:<alice@example.com>')).code, 250);
  return smtp;
}

/** A message of about `bytes` octets in 78-octet lines. */
function sized(subject: string, bytes: number): string {
  return message(subject, `${'y'.repeat(76)}\r\n`.repeat(Math.ceil(bytes / 78)));
}

/** The files in the MTA's spool directories. */
function spoolFiles(dataDir: string): string[] {
  const parent = join(dataDir, 'spool');
  if (!existsSync(parent)) return [];
  return readdirSync(parent).flatMap((dir) => readdirSync(join(parent, dir)).map((file) => join(parent, dir, file)));
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('MTA admission caps and the disk spool (postern start, sqlite)', { timeout: 120_000 }, () => {
  let mta: MtaInstance;
  let dataDir: string;

  before(async () => {
    mta = await startMtaInstance('sqlite', {
      settings: [
        ['smtpd.message_concurrency_limit', '1'],
        ['smtpd.in_flight_bytes_limit', '"2M"'],
        ['smtpd.in_flight_wait_time', '"1s"'],
      ],
    });
    await mta.addUser('alice@example.com', PASSWORD);
    dataDir = loadConfig(mta.instance.configFile).data_dir;
  });
  after(async () => {
    await mta?.stop();
  });

  it('holds a DATA past message_concurrency_limit without a 354, answers 451 4.3.1 after in_flight_wait_time; the retry gets 250', async () => {
    const first = await envelope(mta.ports.smtp);
    assert.equal((await first.command('DATA')).code, 354);
    first.send('Subject: first\r\n\r\nstill sending');
    const second = await envelope(mta.ports.smtp);
    const started = Date.now();
    const refused = await second.command('DATA');
    assert.equal(refused.code, 451, refused.line);
    assert.match(refused.line, /^451 4\.3\.1 /);
    assert.ok(Date.now() - started >= 900, `answered after ${Date.now() - started} ms, before in_flight_wait_time`);
    first.send('\r\n.\r\n');
    assert.equal((await first.reply()).code, 250);
    // RFC 5321 §4.2.5: after a 4yz the client tries again; the room is free now.
    assert.equal((await second.command('DATA')).code, 354);
    second.send(`${message('second')}.\r\n`);
    assert.equal((await second.reply()).code, 250);
    for (const smtp of [first, second]) smtp.close();
    await mta.waitForLog((line) => line['event'] === 'in_flight_limit');
  });

  it('gives the 354 as soon as the slot frees up within in_flight_wait_time', async () => {
    const first = await envelope(mta.ports.smtp);
    assert.equal((await first.command('DATA')).code, 354);
    const second = await envelope(mta.ports.smtp);
    second.send('DATA\r\n');
    assert.deepEqual(await second.quietFor(300), [], 'no reply to DATA while the slot is taken');
    first.send(`${message('frees the slot')}.\r\n`);
    assert.equal((await first.reply()).code, 250);
    const data: Reply = await second.reply(2000);
    assert.equal(data.code, 354);
    second.send(`${message('waited')}.\r\n`);
    assert.equal((await second.reply()).code, 250);
    for (const smtp of [first, second]) smtp.close();
  });

  it('refuses SIZE= above in_flight_bytes_limit at MAIL with 452 4.3.1, and above message_size_limit with 552', async () => {
    const smtp = await SmtpDialogue.open(mta.ports.smtp);
    await smtp.ehlo();
    const tooBigForNow = await smtp.command(`MAIL FROM:<sender@example.org> SIZE=${3 * 1024 * 1024}`);
    assert.match(tooBigForNow.line, /^452 4\.3\.1 /);
    const tooBigEver = await smtp.command(`MAIL FROM:<sender@example.org> SIZE=${60 * 1024 * 1024}`);
    assert.equal(tooBigEver.code, 552);
    assert.equal((await smtp.command(`MAIL FROM:<sender@example.org> SIZE=${1024 * 1024}`)).code, 250);
    smtp.close();
  });

  it('refuses a message without SIZE= that outgrows in_flight_bytes_limit with 452 4.3.1 after the dot, and removes its spool file', async () => {
    const smtp = await envelope(mta.ports.smtp);
    assert.equal((await smtp.command('DATA')).code, 354);
    smtp.send(`${sized('too large for the room', 3 * 1024 * 1024)}.\r\n`);
    const reply = await smtp.reply();
    assert.match(reply.line, /^452 4\.3\.1 /);
    await until(() => spoolFiles(dataDir).length === 0, 'the spool file to go');
    smtp.close();
  });

  it('spools a message past 1 MiB to a 0600 file while it arrives, removes it when the client goes away mid-DATA, and delivers a whole one intact', async () => {
    const smtp = await envelope(mta.ports.smtp);
    assert.equal((await smtp.command('DATA')).code, 354);
    const content = sized('spooled to disk', 1536 * 1024);
    smtp.send(content.slice(0, 1200 * 1024));
    await until(() => spoolFiles(dataDir).length === 1, 'a spool file');
    const [file] = spoolFiles(dataDir);
    assert.equal(statSync(file!).mode & 0o777, 0o600);
    assert.equal(statSync(join(file!, '..')).mode & 0o777, 0o700);
    smtp.close();
    await until(() => spoolFiles(dataDir).length === 0, 'the spool file to go after the disconnect');

    const whole = await envelope(mta.ports.smtp);
    assert.equal((await whole.command('DATA')).code, 354);
    whole.send(`${content}.\r\n`);
    assert.equal((await whole.reply()).code, 250);
    whole.close();
    const stored = (await mta.waitForInbox('alice@example.com', 4)).find((m) => m.raw.includes('Subject: spooled to disk'));
    assert.ok(stored, 'delivered');
    assert.ok(stored.raw.endsWith(content.slice(content.indexOf('\r\n\r\n') + 4)), 'the body arrives byte for byte');
    assert.deepEqual(spoolFiles(dataDir), []);
  });
});
