// `postern mailstore` and `postern mta` as two processes on one SQLite file (the
// shipped systemd units), while a third process holds the write lock: sessions
// keep being answered, a write that cannot get the lock in time is a temporary
// refusal the client retries (SMTP 451 4.3.0, IMAP NO [UNAVAILABLE], POP3
// -ERR [SYS/TEMP]), and nothing is lost, removed or stored twice.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { RawClient } from '../fuzz/raw-client.js';
import { SmtpDialogue, message, sendMail } from '../mta/smtp-dialogue.js';
import { startDnsServer, type DnsTestServer } from '../support/dns-server.js';
import { startInstance, type PosternInstance } from '../support/instance.js';
import { holdWriteLock } from '../support/sqlite-lock.js';

const PASSWORD = 'two processes password';
/** Shorter than the store's 5 s wait: writes during it go through once it ends. */
const SHORT_HOLD_MS = 2500;
/** Longer than the store's 5 s wait (plus the time the client takes to get there): writes give up. */
const LONG_HOLD_MS = 9000;

/** One POP3 command over a plain socket; resolves with its status line. */
async function pop3Command(client: RawClient, command: string, timeoutMs = 15_000): Promise<string> {
  const from = client.received.length;
  client.send(`${command}\r\n`);
  const status = /^[+-](OK|ERR).*$/m;
  await client.settle((text) => status.test(text.slice(from)), timeoutMs, timeoutMs);
  return status.exec(client.received.slice(from))?.[0]?.trimEnd() ?? `no reply to ${command}`;
}

/** A POP3 session logged in as `user`. */
async function pop3Login(port: number, user: string): Promise<RawClient> {
  const client = await RawClient.open(port);
  await client.settle((text) => text.includes('\r\n'), 15_000, 15_000);
  assert.match(await pop3Command(client, `USER ${user}`), /^\+OK/);
  assert.match(await pop3Command(client, `PASS ${PASSWORD}`), /^\+OK/);
  return client;
}

/** A tagged IMAP command over a plain socket; resolves with the tagged reply line. */
async function imapCommand(client: RawClient, tag: string, command: string, timeoutMs = 15_000): Promise<string> {
  const from = client.received.length;
  client.send(`${tag} ${command}\r\n`);
  const tagged = new RegExp(`^${tag} .*$`, 'm');
  await client.settle((text) => tagged.test(text.slice(from)), timeoutMs, timeoutMs);
  return tagged.exec(client.received.slice(from))?.[0]?.trimEnd() ?? `no tagged reply to ${command}`;
}

describe('two Postern processes on one SQLite file while a third holds the write lock', { timeout: 120_000 }, () => {
  let dns: DnsTestServer;
  let postern: PosternInstance<'smtp' | 'lmtp' | 'imap' | 'pop3'>;
  let file: string;
  let imap: ImapFlow;
  let raw: RawClient;

  before(async () => {
    dns = await startDnsServer({});
    postern = await startInstance('sqlite', {
      listen: ['smtp', 'lmtp', 'imap', 'pop3'],
      settings: [
        ['dns.servers', `["${dns.address}"]`],
        ['dns.timeout_ms', '1000'],
        ['smtpd.mynetworks', '["127.0.0.1/32"]'],
        ['imap.allow_cleartext_auth', 'true'],
        ['pop3.allow_cleartext_auth', 'true'],
      ],
      roles: ['mailstore', 'mta'],
    });
    if (postern.storeOptions.backend !== 'sqlite') throw new Error('expected the sqlite store');
    file = postern.storeOptions.path;
    const alice = await postern.addUser('alice@example.com', PASSWORD);
    await postern.deliver(alice, message('already there'));
    await postern.deliver(await postern.addUser('bob@example.com', PASSWORD), message('for bob'));
    imap = new ImapFlow({ host: '127.0.0.1', port: postern.ports.imap, secure: false, doSTARTTLS: true, tls: { rejectUnauthorized: false }, auth: { user: 'alice@example.com', pass: PASSWORD }, logger: false });
    await imap.connect();
    await imap.mailboxOpen('INBOX');
    raw = await RawClient.open(postern.ports.imap);
    assert.match(await imapCommand(raw, 'a1', `LOGIN alice@example.com "${PASSWORD}"`), /^a1 OK/);
    assert.match(await imapCommand(raw, 'a2', 'SELECT INBOX'), /^a2 OK/);
  });
  after(async () => {
    raw?.close();
    await imap?.logout().catch(() => {});
    await postern?.stop();
    await dns?.stop();
  });

  it('answers IMAP NOOP and SMTP EHLO during the hold, and a delivery made during it is stored once it ends', async () => {
    const hold = await holdWriteLock(file, SHORT_HOLD_MS);
    // Neither waits for the lock: assert only that they answer.
    await imap.noop();
    const smtp = await SmtpDialogue.open(postern.ports.smtp);
    const ehlo = await smtp.ehlo();
    assert.equal(ehlo.code, 250);
    const reply = await sendMail(smtp, 'someone@example.org', ['alice@example.com'], message('during a short hold'));
    assert.match(reply.line, /^250 2\.0\.0 /, 'a delivery that gets the lock within the wait is accepted');
    await smtp.command('QUIT');
    await hold.released;
    const stored = (await postern.inbox('alice@example.com')).filter((m) => m.raw.includes('Subject: during a short hold'));
    assert.equal(stored.length, 1);
  });

  it('a write that cannot get the lock in time is refused as temporary: SMTP 451 4.3.0, IMAP NO [UNAVAILABLE], POP3 -ERR [SYS/TEMP]; retried after, each lands once', async () => {
    const pop3 = await pop3Login(postern.ports.pop3, 'bob@example.com');
    assert.match(await pop3Command(pop3, 'DELE 1'), /^\+OK/);
    const hold = await holdWriteLock(file, LONG_HOLD_MS);
    const smtp = await SmtpDialogue.open(postern.ports.smtp);
    await smtp.ehlo();
    const [delivery, store, quit] = await Promise.all([
      sendMail(smtp, 'someone@example.org', ['alice@example.com'], message('during a long hold')),
      imapCommand(raw, 'a3', 'UID STORE 1 +FLAGS (\\Flagged)'),
      // RFC 1939 §6: the UPDATE state removes the message, here while the lock is held.
      pop3Command(pop3, 'QUIT'),
    ]);
    pop3.close();
    // RFC 3463 X.3.0 / RFC 5321 §4.2.5: the client keeps the message and tries again later.
    assert.match(delivery.line, /^451 4\.3\.0 /);
    // RFC 5530 §3 UNAVAILABLE: temporary failure because a subsystem is down.
    assert.match(store, /^a3 NO \[UNAVAILABLE\] /);
    // RFC 3206 §4 SYS/TEMP: a temporary system error; the message stays.
    assert.match(quit, /^-ERR \[SYS\/TEMP\] /);
    // The sessions stay usable while the lock is still held.
    await imap.noop();
    assert.equal((await smtp.command('RSET')).code, 250);
    await hold.released;

    const retry = await sendMail(smtp, 'someone@example.org', ['alice@example.com'], message('during a long hold'));
    assert.match(retry.line, /^250 2\.0\.0 /);
    await smtp.command('QUIT');
    assert.match(await imapCommand(raw, 'a4', 'UID STORE 1 +FLAGS (\\Flagged)'), /^a4 OK/);
    assert.equal((await postern.inbox('bob@example.com')).length, 1, 'the refused QUIT removed nothing');
    const again = await pop3Login(postern.ports.pop3, 'bob@example.com');
    assert.match(await pop3Command(again, 'DELE 1'), /^\+OK/);
    assert.match(await pop3Command(again, 'QUIT'), /^\+OK/);
    again.close();
    assert.equal((await postern.inbox('bob@example.com')).length, 0);

    const inbox = await postern.inbox('alice@example.com');
    assert.equal(inbox.filter((m) => m.raw.includes('Subject: during a long hold')).length, 1, 'the refused delivery was not stored; its retry was, once');
    assert.deepEqual(
      inbox.map((m) => /^Subject: (.*)$/m.exec(m.raw)?.[1]),
      ['already there', 'during a short hold', 'during a long hold'],
    );
    assert.ok(inbox[0]!.record.flags.includes('\\Flagged'));
    const busy = postern.logLines().filter((line) => typeof line.msg === 'string' && /store busy/.test(line.msg));
    assert.ok(busy.length >= 2, 'the mailstore logged the LMTP and IMAP refusals as a busy store');
  });
});
