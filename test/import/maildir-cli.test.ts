// `postern import maildir USER DIR` on a Maildir++ directory written by hand as Dovecot lays it out:
// UIDs kept from dovecot-uidlist, messages Dovecot has not listed yet numbered from its N<nextuid>,
// UIDNEXT as Dovecot announced it, a mailbox already holding other mail left alone, idempotent.
import assert from 'node:assert/strict';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig, storeOptions } from '@postern/config';
import { prepareMessage } from '@postern/mailstore';
import { openStore, type Store } from '@postern/store';
import { initInstance, type CliInstance } from '../cli/backends.js';

function maildir(root: string): string {
  const dir = join(root, 'Maildir');
  for (const folder of [dir, join(dir, '.Lists.Debian'), join(dir, '.Kept')]) for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(folder, sub), { recursive: true });
  const write = (path: string, subject: string, mtime: number): void => {
    writeFileSync(path, `From: a@example.com\nSubject: ${subject}\n\nbody of ${subject}\n`);
    utimesSync(path, mtime, mtime);
  };
  writeFileSync(join(dir, 'dovecot-uidlist'), '3 V1600000000 N12 G00\n4 :1600000004.M1.host\n9 W60 :1600000009.M2.host\n');
  writeFileSync(join(dir, 'dovecot-keywords'), '0 Work\n');
  write(join(dir, 'cur', '1600000004.M1.host:2,Sa'), 'four', 1600000004);
  write(join(dir, 'cur', '1600000009.M2.host:2,RS'), 'nine', 1600000009);
  // Delivered after Dovecot's last look: not in the uidlist yet, so UID 12 and 13, in date order.
  write(join(dir, 'new', '1600000021.M4.host'), 'twenty-one', 1600000021);
  write(join(dir, 'new', '1600000020.M3.host'), 'twenty', 1600000020);
  writeFileSync(join(dir, '.Lists.Debian', 'dovecot-uidlist'), '3 V1600000100 N3 G00\n2 :1600000200.M1.host\n');
  write(join(dir, '.Lists.Debian', 'cur', '1600000200.M1.host:2,F'), 'debian', 1600000200);
  writeFileSync(join(dir, '.Kept', 'dovecot-uidlist'), '3 V1600000300 N2 G00\n1 :1600000301.M1.host\n');
  write(join(dir, '.Kept', 'cur', '1600000301.M1.host:2,'), 'kept', 1600000301);
  writeFileSync(join(dir, 'subscriptions'), 'V\t2\n\nLists\tDebian\n');
  return dir;
}

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`postern import maildir on ${backend}`, { timeout: 180_000 }, () => {
    let instance: CliInstance;
    let store: Store;
    let dir: string;

    before(async () => {
      instance = await initInstance(backend);
      store = await openStore(storeOptions(loadConfig(instance.configFile)));
      dir = maildir(instance.dir);
      assert.equal((await instance.run(['user', 'add', 'carol@example.com', '--password-hash', '{CRYPT}$1$ab$3sxvD87Z74wfS0b3lhTMN.'])).code, 0);
      // A folder of the same name that already holds mail of its own (another UIDVALIDITY): never overwritten.
      const carol = await store.getUser('carol@example.com');
      const kept = await store.createMailbox(carol!.id, 'Kept');
      await store.appendMessage(kept.id, prepareMessage(Buffer.from('Subject: already here\r\n\r\nmine\r\n')));
    });
    after(async () => {
      await store?.close();
      await instance?.dispose();
    });

    it('keeps UIDVALIDITY, UIDs, flags, keywords and dates, numbers unlisted messages from N, and leaves a mailbox with other mail alone', async () => {
      const dry = await instance.run(['import', 'maildir', 'carol@example.com', dir, '--dry-run']);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /^would import 4 message\(s\) into carol@example\.com INBOX$/m);
      const carol = await store.getUser('carol@example.com');
      assert.equal(await store.countMessages((await store.getMailbox(carol!.id, 'INBOX'))!.id), 0, 'the dry run stored nothing');

      const result = await instance.run(['import', 'maildir', 'carol@example.com', dir]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^not imported: carol@example\.com Kept: Postern's mailbox already holds 1 message\(s\) under UIDVALIDITY \d+, Dovecot's is 1600000300; left as is$/m);

      const inbox = (await store.getMailbox(carol!.id, 'INBOX'))!;
      assert.equal(inbox.uidValidity, 1600000000);
      assert.equal(inbox.uidNext, 14, 'after the two unlisted messages took 12 and 13');
      assert.equal(inbox.subscribed, true, 'INBOX stays subscribed in Postern (imap-core refuses UNSUBSCRIBE INBOX)');
      const messages = await store.listMessages(inbox.id);
      assert.deepEqual(
        messages.map((m) => [m.uid, m.headers.subject, [...m.flags].sort(), m.internalDate.getTime() / 1000]),
        [
          [4, 'four', ['Work', '\\Seen'], 1600000004],
          [9, 'nine', ['\\Answered', '\\Seen'], 1600000009],
          [12, 'twenty', [], 1600000020],
          [13, 'twenty-one', [], 1600000021],
        ],
      );
      assert.equal((await store.readMessage(messages[0]!)).toString(), 'From: a@example.com\r\nSubject: four\r\n\r\nbody of four\r\n');
      const debian = (await store.getMailbox(carol!.id, 'Lists/Debian'))!;
      assert.deepEqual([debian.uidValidity, debian.uidNext, debian.subscribed], [1600000100, 3, true]);
      assert.deepEqual((await store.listMessages(debian.id)).map((m) => [m.uid, m.flags]), [[2, ['\\Flagged']]]);
      const kept = (await store.getMailbox(carol!.id, 'Kept'))!;
      assert.deepEqual((await store.listMessages(kept.id)).map((m) => m.headers.subject), ['already here']);
    });

    it('a second run changes nothing and says so', async () => {
      const again = await instance.run(['import', 'maildir', 'carol@example.com', dir]);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /^import maildir: nothing to change; 1 not imported \(listed above\)$/m);
      assert.match(again.stdout, /^unchanged: 4 message\(s\) in carol@example\.com INBOX$/m);
    });

    it('refuses a user Postern does not have, and a directory that is not a Maildir, with one line', async () => {
      const nobody = await instance.run(['import', 'maildir', 'nobody@example.com', dir]);
      assert.equal(nobody.code, 0, nobody.stderr);
      assert.match(nobody.stdout, /^not imported: .*: no user nobody@example\.com in Postern \(import the users first/m);
      const notMaildir = await instance.run(['import', 'maildir', 'carol@example.com', instance.dir]);
      assert.equal(notMaildir.code, 1);
      assert.match(notMaildir.stderr, /^postern: import maildir: .* is not a Maildir \(no cur\/ or new\/ inside\)\n$/);
    });
  });
}
