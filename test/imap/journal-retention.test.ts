// Journal retention end to end: `postern mailstore` with imap.journal_retention = "1s" prunes the
// change journal on its own, and Python imaplib, whose CONDSTORE position (CHANGEDSINCE, RFC 7162
// §3.1.4.1) predates what the journal keeps, still gets every message changed since.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { JournalPrunedError } from '@postern/store';
import { startInstance, type PosternInstance } from '../support/instance.js';
import { imaplib } from './clients.js';
import { PASSWORD, testMessage } from './mailstore-process.js';

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`journal retention of postern mailstore on ${backend}`, () => {
    let imap: PosternInstance<'imap'>;

    before(async () => {
      imap = await startInstance(backend, { listen: ['imap'], roles: ['mailstore'], settings: [['imap.journal_retention', '"1s"']] });
    });
    after(() => imap?.stop());

    test('CHANGEDSINCE from before the pruned stretch lists every changed message with its MODSEQ', async () => {
      const user = await imap.addUser('alice@example.com', PASSWORD);
      for (let n = 1; n <= 4; n++) await imap.deliver(user, testMessage(n));
      const inbox = await imap.store.getMailbox(user.id, 'INBOX');
      assert.ok(inbox);
      // INBOX started at MODSEQ 1 (RFC 7162 §3.1.1): the deliveries took 2..5.
      await imap.store.updateFlags(inbox.id, [2], { op: 'add', flags: ['\\Flagged'] }); // modseq 6
      await imap.store.updateFlags(inbox.id, [3], { op: 'add', flags: ['\\Seen'] }); // 7
      await imap.store.expungeMessages(inbox.id, [4]); // 8
      const pruned = await imap.waitForLog((line) => line['event'] === 'journal_pruned', 10_000);
      assert.equal(pruned['pruned'], 6, 'all but the newest entry');
      await assert.rejects(imap.store.readJournal(inbox.id, 2), JournalPrunedError);

      const out = await imaplib<{ changed: string[]; all: string[] }>(
        `
m = imaplib.IMAP4('127.0.0.1', args['port'])
m.starttls(ssl_context=tls)
m.login(args['user'], args['password'])
m.select('INBOX')
typ, data = m.uid('FETCH', '1:*', '(FLAGS) (CHANGEDSINCE 2)')
out['changed'] = [item.decode() for item in data if item]
typ, data = m.uid('FETCH', '1:*', '(FLAGS)')
out['all'] = [item.decode() for item in data if item]
m.logout()
`,
        { port: imap.ports.imap, user: 'alice@example.com', password: PASSWORD },
      );
      const summary = (lines: string[]) => lines.map((line) => `${/UID (\d+)/.exec(line)?.[1]}:${/MODSEQ \((\d+)\)/.exec(line)?.[1] ?? '-'}`);
      assert.deepEqual(summary(out.changed), ['2:6', '3:7'], out.changed.join('\n'));
      assert.equal(out.all.length, 3);
    });
  });
}
