// mbsync (isync) and offlineimap syncing a mailbox of a few thousand messages both ways with `postern mailstore`.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Mailbox, MessageRecord, Store, User } from '@postern/store';
import { requireTool, runTool } from '../support/tools.js';
import { PASSWORD, startImapInstance, testMessage, type ImapInstance } from './mailstore-process.js';

/** Messages in the synced INBOX (SPEC §7: "a mailbox of a few thousand messages"). */
const COUNT = Number(process.env.POSTERN_IMAP_SYNC_COUNT ?? 2000);

/** Maildir file names (cur and new) with their flag letters. */
function maildir(dir: string): { file: string; sub: 'cur' | 'new'; flags: string }[] {
  const out: { file: string; sub: 'cur' | 'new'; flags: string }[] = [];
  for (const sub of ['cur', 'new'] as const) {
    let files: string[] = [];
    try {
      files = readdirSync(join(dir, sub));
    } catch {
      continue;
    }
    for (const file of files) out.push({ file, sub, flags: /:2,([A-Z]*)$/.exec(file)?.[1] ?? '' });
  }
  return out;
}

/** Sets maildir flags on a file (moving it to cur/ as a client does when it reads a message). */
function setMaildirFlags(dir: string, entry: { file: string; sub: string }, flags: string): void {
  const base = entry.file.replace(/:2,[A-Z]*$/, '');
  renameSync(join(dir, entry.sub, entry.file), join(dir, 'cur', `${base}:2,${flags}`));
}

async function inboxOf(store: Store, user: User): Promise<{ inbox: Mailbox; messages: MessageRecord[] }> {
  const inbox = (await store.getMailbox(user.id, 'INBOX'))!;
  return { inbox, messages: await store.listMessages(inbox.id) };
}

const has = (message: MessageRecord, flag: string): boolean => message.flags.includes(flag);

/** Delivers `count` messages straight into the store, a batch at a time (as concurrent LMTP sessions would). */
async function fill(imap: ImapInstance, user: User, count: number, subject: string): Promise<void> {
  for (let start = 1; start <= count; start += 50) {
    const batch = Array.from({ length: Math.min(50, count - start + 1) }, (_, i) => start + i);
    await Promise.all(batch.map((n) => imap.deliver(user, testMessage(n, `${subject} ${n}`, `Message ${n} of the sync test.\r\n`))));
  }
}

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`mbsync and offlineimap against postern mailstore on ${backend}`, () => {
    let imap: ImapInstance;

    before(async () => {
      imap = await startImapInstance(backend);
    });

    after(async () => {
      await imap?.stop();
    });

    test('runs against a real store', (t) => {
      t.diagnostic(`${imap.instance.server}; ${COUNT} messages`);
    });

    test(`mbsync pulls ${COUNT} messages, pushes flags, deletions and a new message back, and picks up server changes`, async (t) => {
      if (!requireTool(t, 'mbsync', 'isync')) return;
      const user = await imap.addUser('mbsync@example.com', PASSWORD);
      await fill(imap, user, COUNT, 'Sync');
      const home = join(imap.instance.dir, 'mbsync');
      const local = join(home, 'mail');
      mkdirSync(local, { recursive: true });
      const config = join(home, 'mbsyncrc');
      writeFileSync(
        config,
        [
          'IMAPAccount postern',
          'Host 127.0.0.1',
          `Port ${imap.ports.imap}`,
          'User mbsync@example.com',
          `Pass "${PASSWORD}"`,
          'SSLType STARTTLS',
          // The self-signed certificate of postern init, trusted as this server's own.
          `CertificateFile ${join(imap.instance.dir, 'tls', 'cert.pem')}`,
          '',
          'IMAPStore remote',
          'Account postern',
          '',
          'MaildirStore local',
          `Path ${local}/`,
          `Inbox ${local}/INBOX`,
          'SubFolders Verbatim',
          '',
          'Channel postern',
          'Far :remote:',
          'Near :local:',
          'Patterns INBOX',
          'Create Both',
          'Expunge Both',
          'SyncState *',
          '',
        ].join('\n'),
      );
      const sync = async (): Promise<number> => {
        const started = Date.now();
        const result = await runTool('mbsync', ['-c', config, '-a', '-q'], { env: { HOME: home } });
        assert.equal(result.code, 0, `mbsync failed:\n${result.stdout}\n${result.stderr}`);
        return Date.now() - started;
      };

      const pullMs = await sync();
      t.diagnostic(`mbsync pulled ${COUNT} messages in ${pullMs} ms`);
      const inboxDir = join(local, 'INBOX');
      let files = maildir(inboxDir);
      assert.equal(files.length, COUNT);

      // Locally: read 10, flag 5, delete 7, and write one new message.
      files.slice(0, 10).forEach((entry) => setMaildirFlags(inboxDir, entry, 'S'));
      files = maildir(inboxDir);
      files.filter((entry) => entry.flags === '').slice(0, 5).forEach((entry) => setMaildirFlags(inboxDir, entry, 'F'));
      files = maildir(inboxDir);
      for (const entry of files.filter((entry) => entry.flags === '').slice(0, 7)) rmSync(join(inboxDir, entry.sub, entry.file));
      writeFileSync(join(inboxDir, 'new', `${Date.now()}.local.postern-test`), testMessage(999_999, 'Written locally'));
      await sync();

      let { messages } = await inboxOf(imap.store, user);
      assert.equal(messages.length, COUNT - 7 + 1);
      assert.equal(messages.filter((message) => has(message, '\\Seen')).length, 10);
      assert.equal(messages.filter((message) => has(message, '\\Flagged')).length, 5);
      assert.ok(messages.some((message) => message.headers.subject === 'Written locally'));

      // On the server: flag two, expunge three; the next sync brings both home.
      const { inbox } = await inboxOf(imap.store, user);
      const plain = messages.filter((message) => message.flags.length === 0);
      await imap.store.updateFlags(inbox.id, plain.slice(0, 2).map((message) => message.uid), { op: 'add', flags: ['\\Answered'] });
      await imap.store.expungeMessages(inbox.id, plain.slice(2, 5).map((message) => message.uid));
      await sync();
      files = maildir(inboxDir);
      assert.equal(files.length, COUNT - 7 + 1 - 3);
      assert.equal(files.filter((entry) => entry.flags.includes('R')).length, 2);
      ({ messages } = await inboxOf(imap.store, user));
      assert.equal(messages.length, files.length);
    });

    test('offlineimap pulls the mailbox, pushes flags and deletions back', async (t) => {
      if (!requireTool(t, 'offlineimap', 'offlineimap3')) return;
      const user = await imap.addUser('offlineimap@example.com', PASSWORD);
      const count = Math.min(COUNT, 1000);
      await fill(imap, user, count, 'Offline');
      const home = join(imap.instance.dir, 'offlineimap');
      const local = join(home, 'mail');
      mkdirSync(local, { recursive: true });
      const fingerprint = (await runTool('openssl', ['x509', '-in', join(imap.instance.dir, 'tls', 'cert.pem'), '-noout', '-fingerprint', '-sha256'])).stdout
        .trim()
        .replace(/^.*=/, '')
        .replace(/:/g, '')
        .toLowerCase();
      const config = join(home, 'offlineimaprc');
      writeFileSync(
        config,
        [
          '[general]',
          'accounts = postern',
          `metadata = ${join(home, 'meta')}`,
          'ui = quiet',
          '',
          '[Account postern]',
          'localrepository = local',
          'remoterepository = remote',
          '',
          '[Repository local]',
          'type = Maildir',
          `localfolders = ${local}`,
          '',
          '[Repository remote]',
          'type = IMAP',
          'remotehost = 127.0.0.1',
          `remoteport = ${imap.ports.imaps}`,
          'remoteuser = offlineimap@example.com',
          `remotepass = ${PASSWORD}`,
          'ssl = yes',
          // The self-signed certificate of postern init, pinned by its SHA-256 fingerprint.
          `cert_fingerprint = ${fingerprint}`,
          "folderfilter = lambda folder: folder == 'INBOX'",
          '',
        ].join('\n'),
      );
      const sync = async (): Promise<number> => {
        const started = Date.now();
        const result = await runTool('offlineimap', ['-c', config, '-o', '-u', 'quiet'], { env: { HOME: home } });
        assert.equal(result.code, 0, `offlineimap failed:\n${result.stdout}\n${result.stderr}`);
        return Date.now() - started;
      };
      const pullMs = await sync();
      t.diagnostic(`offlineimap pulled ${count} messages in ${pullMs} ms`);
      const inboxDir = join(local, 'INBOX');
      let files = maildir(inboxDir);
      assert.equal(files.length, count);
      files.slice(0, 4).forEach((entry) => setMaildirFlags(inboxDir, entry, 'FS'));
      files = maildir(inboxDir);
      for (const entry of files.filter((entry) => entry.flags === '').slice(0, 6)) rmSync(join(inboxDir, entry.sub, entry.file));
      await sync();
      const { messages } = await inboxOf(imap.store, user);
      assert.equal(messages.length, count - 6);
      assert.equal(messages.filter((message) => has(message, '\\Flagged') && has(message, '\\Seen')).length, 4);
    });
  });
}
