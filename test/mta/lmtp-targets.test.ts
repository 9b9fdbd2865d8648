// Where the MTA's queue delivers local mail: Dovecot's LMTP (Debian's
// dovecot-lmtpd) as virtual_transport, `postern mailstore` in its own process
// over a unix socket, and a stopped mailstore (accepted, deferred, delivered
// from the queue when it is back).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { requireTool } from '../support/tools.js';
import { freePort } from '../support/ports.js';
import { startPostern } from '../support/postern-process.js';
import { startRemoteSmtp, type RemoteSmtp } from '../support/remote-smtp.js';
import { startDovecotLmtp, type DovecotLmtp } from './dovecot.js';
import { startMtaInstance, type MtaInstance } from './instance.js';
import { SmtpDialogue, message, sendMail } from './smtp-dialogue.js';
import { swaks } from './tools.js';

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`postern mta delivering into Dovecot's LMTP (${backend} store)`, { timeout: 180_000 }, () => {
    let dovecot: DovecotLmtp | null = null;
    let mta: MtaInstance;
    before(async () => {
      const ci = process.env.CI === '1' || process.env.CI === 'true';
      const lmtpInstalled = (await import('node:fs')).existsSync('/usr/lib/dovecot/lmtp');
      if (!lmtpInstalled && ci) throw new Error('Dovecot LMTP is not installed (Debian packages dovecot-core dovecot-lmtpd); CI must install it');
      if (!lmtpInstalled) return;
      dovecot = await startDovecotLmtp();
      mta = await startMtaInstance(backend, { mode: 'mta', settings: [['virtual_transport', `"lmtp:127.0.0.1:${dovecot.port}"`]] });
      for (const user of ['alice', 'bob']) await mta.addUser(`${user}@example.com`, 'pw');
      await mta.run(['alias', 'add', 'team@example.com', 'alice@example.com', 'bob@example.com']);
    });
    after(async () => {
      await mta?.stop();
      await dovecot?.stop();
    });

    it('swaks → port 25 → Dovecot LMTP: the Maildir holds the message with our Received header', async (t) => {
      if (!dovecot) return t.skip('Dovecot LMTP is not installed (Debian packages dovecot-core dovecot-lmtpd)');
      if (!requireTool(t, 'swaks', 'swaks')) return;
      const run = await swaks(mta.ports.smtp, ['--to', 'alice@example.com', '--from', 'someone@example.org', '--header', 'Subject: into dovecot', '--body', 'line one\n.dot line\nline three']);
      assert.equal(run.code, 0, run.transcript);
      const messages = dovecot.maildir('alice@example.com');
      const raw = messages.find((m) => m.includes('Subject: into dovecot'));
      assert.ok(raw, `alice's Maildir: ${messages.length} messages\n${dovecot.log()}`);
      assert.match(raw, /^Received: from client\.example\.org \(unknown \[127\.0\.0\.1\]\)/m);
      assert.match(raw, /\.dot line/);
      const delivery = await mta.waitForLog((line) => line.event === 'delivery' && line.to === 'alice@example.com');
      assert.equal(delivery.relay, `lmtp[127.0.0.1:${dovecot.port}]`);
      assert.equal(delivery.status, 'sent');
    });

    it('an alias and a +tag become one LMTP recipient per mailbox, each answered by Dovecot', async (t) => {
      if (!dovecot) return t.skip('Dovecot LMTP is not installed');
      const smtp = await SmtpDialogue.open(mta.ports.smtp);
      await smtp.ehlo();
      const reply = await sendMail(smtp, 'someone@example.org', ['team@example.com', 'bob+news@example.com'], message('team mail'));
      assert.match(reply.line, /^250 2\.0\.0 Ok: queued as /);
      await smtp.command('QUIT');
      assert.equal(dovecot.maildir('alice@example.com').filter((m) => m.includes('Subject: team mail')).length, 1);
      // Dovecot files bob+news under bob with the detail (its own recipient_delimiter handling aside).
      const bob = [...dovecot.maildir('bob@example.com'), ...dovecot.maildir('bob+news@example.com')].filter((m) => m.includes('Subject: team mail'));
      assert.equal(bob.length, 2, 'bob via the alias and bob+news');
    });

    it('several messages over one pipelined session reuse the LMTP connection', async (t) => {
      if (!dovecot) return t.skip('Dovecot LMTP is not installed');
      const smtp = await SmtpDialogue.open(mta.ports.smtp);
      await smtp.ehlo();
      for (let i = 0; i < 5; i++) assert.match((await sendMail(smtp, 'someone@example.org', ['alice@example.com'], message(`batch ${i}`))).line, /^250 /);
      await smtp.command('QUIT');
      assert.equal(dovecot.maildir('alice@example.com').filter((m) => /Subject: batch \d/.test(m)).length, 5);
      const connects = (dovecot.log().match(/lmtp\(\d+\): Info: Connect from/g) ?? []).length;
      assert.ok(connects < 5 + 3, `LMTP connections: ${connects}`);
    });
  });
}

describe('postern mta and postern mailstore as two processes, LMTP over a unix socket', { timeout: 180_000 }, () => {
  let mta: MtaInstance;
  let socketDir: string;
  before(async () => {
    socketDir = mkdtempSync(join(tmpdir(), 'postern-lmtp-sock-'));
    mta = await startMtaInstance('sqlite', { mode: 'split', settings: [['listen.lmtp', `["unix:${socketDir}/lmtp.sock"]`]] });
    await mta.addUser('alice@example.com', 'pw');
  });
  after(async () => {
    await mta?.stop();
    rmSync(socketDir, { recursive: true, force: true });
  });

  it('delivers through the socket and says so in the log', async () => {
    const smtp = await SmtpDialogue.open(mta.ports.smtp);
    await smtp.ehlo();
    assert.match((await sendMail(smtp, 'someone@example.org', ['alice@example.com'], message('over a unix socket'))).line, /^250 /);
    await smtp.command('QUIT');
    assert.ok((await mta.inbox('alice@example.com')).some((m) => m.raw.includes('Subject: over a unix socket')));
    const delivery = await mta.waitForLog((line) => line.event === 'delivery');
    assert.equal(delivery.relay, `lmtp[${socketDir}/lmtp.sock]`);
  });
});

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`postern mta with postern mailstore stopped (${backend} store)`, { timeout: 180_000 }, () => {
    const REMOTE_MX = '127.0.0.132';
    let mta: MtaInstance;
    let remote: RemoteSmtp;
    before(async () => {
      const port = await freePort();
      remote = await startRemoteSmtp({ host: REMOTE_MX, port });
      mta = await startMtaInstance(backend, {
        mode: 'split',
        settings: [['smtp.port', String(port)], ['queue.queue_run_delay', '"1s"'], ['queue.minimal_backoff_time', '"1s"'], ['queue.maximal_backoff_time', '"1s"']],
        zone: { 'remote.test': { MX: [{ exchange: 'mx.remote.test', priority: 10 }] }, 'mx.remote.test': { A: [REMOTE_MX] } },
      });
      await mta.addUser('alice@example.com', 'pw');
    });
    after(async () => {
      await mta?.stop();
      await remote?.stop();
    });

    it('accepts local and remote recipients, sends the remote copy, defers the local one and delivers it once the mailstore is back', async (t) => {
      const mailstore = mta.processes.splice(0, 1)[0]!;
      assert.equal(await mailstore.stop(), 0);
      const smtp = await SmtpDialogue.open(mta.ports.smtp);
      await smtp.ehlo();
      const started = Date.now();
      const reply = await sendMail(smtp, 'someone@example.org', ['alice@example.com', 'bob@remote.test'], message('while the mailstore is down'));
      const answered = Date.now() - started;
      assert.match(reply.line, /^250 2\.0\.0 Ok: queued as /, 'the queue is the commit point: a stopped mailstore refuses nothing');
      await smtp.command('QUIT');
      const [received] = await remote.waitFor(1, 15_000);
      assert.deepEqual(received!.recipients, ['bob@remote.test']);
      const deferral = await mta.waitForLog((line) => line.event === 'delivery' && line.to === 'alice@example.com' && line.status === 'deferred');
      assert.match(String(deferral.relay), /^(none|lmtp\[)/);
      // The remote's 250 is recorded as soon as it is known, while alice waits for the mailstore.
      let [entry] = await mta.store.listQueue();
      for (const deadline = Date.now() + 5000; entry?.recipients[1]?.status !== 'delivered' && Date.now() < deadline; [entry] = await mta.store.listQueue()) await new Promise((resolve) => setTimeout(resolve, 25));
      assert.deepEqual(
        entry?.recipients.map((r) => [r.address, r.status]),
        [
          ['alice@example.com', 'deferred'],
          ['bob@remote.test', 'delivered'],
        ],
      );
      assert.deepEqual(await mta.inbox('alice@example.com'), []);

      mta.processes.push(await startPostern(mta.instance.configFile, 'mailstore'));
      const inbox = await mta.waitForInbox('alice@example.com', 1, 20_000);
      assert.equal(inbox.length, 1, 'delivered from the queue once the mailstore is back');
      assert.match(inbox[0]!.raw, /Subject: while the mailstore is down/);
      for (const deadline = Date.now() + 10_000; (await mta.store.listQueue()).length > 0 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(await mta.store.listQueue(), [], 'the entry leaves the queue');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal((await mta.inbox('alice@example.com')).length, 1, 'one copy in the mailbox');
      assert.equal(remote.messages.length, 1, 'one copy at the remote');
      t.diagnostic(`250 after ${answered} ms with the mailstore stopped`);
    });
  });
}
