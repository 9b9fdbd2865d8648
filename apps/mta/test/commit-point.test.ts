// The queue is the commit point (Postfix cleanup): the MTA in process on a real store, a real LMTP
// server as its mailstore and a real SMTP client. When the one queue write fails, the client gets
// 451 4.3.0 and no copy went anywhere, so its retry duplicates nothing (with SRS's second entry too).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConfigText } from '@postern/config';
import { createLogger } from '@postern/log';
import { openStore, type Store } from '@postern/store';
import { databaseUrl, startTestMongo, type TestMongo } from '@postern/store/testing';
import { startDnsServer, type DnsTestServer } from '../../../test/support/dns-server.js';
import { freePort } from '../../../test/support/ports.js';
import { startRemoteSmtp, type RemoteSmtp } from '../../../test/support/remote-smtp.js';
import { SmtpDialogue, message, sendMail } from '../../../test/mta/smtp-dialogue.js';
import { startMta, type Mta } from '../src/index.js';

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`the queue as the one commit point (${backend} store)`, { timeout: 120_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'postern-commit-'));
    let mongo: TestMongo | null = null;
    let store: Store;
    let dns: DnsTestServer;
    let mailstore: RemoteSmtp;
    let mta: Mta;
    let smtpPort: number;

    before(async () => {
      if (backend === 'mongodb') mongo = await startTestMongo();
      store = await openStore(mongo === null ? { backend: 'sqlite', path: join(dir, 'store.sqlite') } : { backend: 'mongodb', url: databaseUrl(mongo.url, 'commit_point') });
      await store.addDomain('example.com');
      await store.addUser({ address: 'alice@example.com', passwordHash: '{PLAIN}unused' });
      await store.addAliasTargets('both@example.com', ['alice@example.com', 'carol@elsewhere.test']);
      dns = await startDnsServer({});
      const lmtpPort = await freePort();
      mailstore = await startRemoteSmtp({ host: '127.0.0.1', port: lmtpPort, server: { lmtp: true }, lmtpReplies: {} });
      smtpPort = await freePort();
      const config = parseConfigText(
        [
          'hostname = "mail.example.com"',
          `data_dir = "${dir}"`,
          `virtual_transport = "lmtp:127.0.0.1:${lmtpPort}"`,
          '[listen]',
          `smtp = ["127.0.0.1:${smtpPort}"]`,
          'submission = []',
          'submissions = []',
          'lmtp = []',
          '[smtpd]',
          'mynetworks = ["127.0.0.1/32"]',
          '[dns]',
          `servers = ["${dns.address}"]`,
          'timeout_ms = 1000',
        ].join('\n'),
        join(dir, 'postern.toml'),
      );
      mta = await startMta(config, store, createLogger({ name: 'commit-test', level: 'silent' }));
    });
    after(async () => {
      await mta?.close();
      await mailstore?.stop();
      await dns?.stop();
      await store?.close();
      await mongo?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('answers 451 4.3.0 when the queue write fails, having delivered nothing; the resend is stored once', async () => {
      const enqueue = store.enqueue.bind(store);
      // Fault injection on the real store: the queue file cannot be written (disk full, database down).
      store.enqueue = () => Promise.reject(new Error('SQLITE_FULL: database or disk is full'));
      const smtp = await SmtpDialogue.open(smtpPort);
      await smtp.ehlo();
      let reply: Awaited<ReturnType<typeof sendMail>>;
      try {
        reply = await sendMail(smtp, 'someone@example.org', ['alice@example.com'], message('commit fails'));
      } finally {
        store.enqueue = enqueue;
      }
      assert.match(reply.line, /^451 4\.3\.0 Error: queue file write error, try again later/);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(mailstore.messages.length, 0, 'nothing reached the mailbox before the commit');
      assert.deepEqual(await store.listQueue(), []);

      const resent = await sendMail(smtp, 'someone@example.org', ['alice@example.com'], message('commit fails'));
      assert.match(resent.line, /^250 2\.0\.0 Ok: queued as /);
      await smtp.command('QUIT');
      assert.equal(mailstore.messages.length, 1, 'stored by the time of the 250 (the first LMTP attempt is awaited)');
      assert.deepEqual(mailstore.messages[0]!.recipients, ['alice@example.com']);
    });

    it('holds the local mailboxes and the remote addresses in one entry, written once', async () => {
      const seen: string[][] = [];
      const enqueue = store.enqueue.bind(store);
      store.enqueue = (entry) => {
        seen.push(entry.recipients.map((r) => r.address));
        return enqueue(entry);
      };
      try {
        const smtp = await SmtpDialogue.open(smtpPort);
        await smtp.ehlo();
        const reply = await sendMail(smtp, 'someone@example.org', ['alice@example.com', 'bob@elsewhere.test'], message('one entry'));
        assert.match(reply.line, /^250 /);
        await smtp.command('QUIT');
      } finally {
        store.enqueue = enqueue;
      }
      // (A later write may be the bounce for bob, whose domain does not exist.)
      assert.deepEqual(seen[0], ['alice@example.com', 'bob@elsewhere.test'], 'one write, every recipient');
      assert.equal(mailstore.messages.filter((m) => m.message.toString().includes('Subject: one entry')).length, 1);
    });

    it('with SRS an alias\'s off-site target is a second entry from the SRS sender; when it cannot be written, the first is taken back and the client gets 451', async () => {
      const senders: string[] = [];
      const enqueue = store.enqueue.bind(store);
      // The second write (the forward, from SRS0=…) fails: the first must not stay behind to be delivered twice.
      store.enqueue = (entry) => {
        // The previous test's bounce for bob (from <>) may be written meanwhile: not this message's.
        if (entry.from === '') return enqueue(entry);
        senders.push(entry.from);
        return entry.from.startsWith('SRS0=') ? Promise.reject(new Error('SQLITE_FULL: database or disk is full')) : enqueue(entry);
      };
      const smtp = await SmtpDialogue.open(smtpPort);
      await smtp.ehlo();
      let reply: Awaited<ReturnType<typeof sendMail>>;
      try {
        reply = await sendMail(smtp, 'someone@example.org', ['both@example.com'], message('srs commit fails'));
      } finally {
        store.enqueue = enqueue;
        await smtp.command('QUIT');
      }
      assert.match(reply.line, /^451 4\.3\.0 /);
      assert.equal(senders[0], 'someone@example.org', 'the local copy keeps the sender');
      assert.match(senders[1] ?? '', /^SRS0=[^=]{4}=[A-Z2-7]{2}=example\.org=someone@example\.com$/);
      assert.deepEqual((await store.listQueue()).filter((entry) => entry.from !== ''), [], 'the first entry was taken back');
      assert.equal(mailstore.messages.filter((m) => m.message.toString().includes('Subject: srs commit fails')).length, 0);
    });
  });
}
