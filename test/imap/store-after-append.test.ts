// RFC 3501 §6.4.6/§6.4.8 against `postern mailstore`: APPEND then at once UID STORE, with imapflow and Python imaplib; OK means stored.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import type { User } from '@postern/store';
import { requireTool } from '../support/tools.js';
import { imaplib } from './clients.js';
import { PASSWORD, startImapInstance, testMessage, type ImapInstance } from './mailstore-process.js';

/** Rounds per client and backend (the issue lost 30 of 30). */
const ROUNDS = 30;

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`UID STORE right after APPEND against postern mailstore on ${backend}`, () => {
    let imap: ImapInstance;
    let alice: User;

    before(async () => {
      imap = await startImapInstance(backend);
      alice = await imap.addUser('alice@example.com', PASSWORD);
    });

    after(async () => {
      await imap?.stop();
    });

    test('runs against a real store', (t) => {
      t.diagnostic(imap.instance.server);
    });

    test('imapflow: append, then messageFlagsAdd by UID without a NOOP, 30 times: every flag is stored', async () => {
      const client = new ImapFlow({ host: '127.0.0.1', port: imap.ports.imap, secure: false, doSTARTTLS: true, auth: { user: 'alice@example.com', pass: PASSWORD }, logger: false, tls: { rejectUnauthorized: false } });
      client.on('error', () => {});
      await client.connect();
      await client.mailboxCreate('Flow');
      await client.mailboxOpen('Flow');
      const uids: number[] = [];
      for (let i = 1; i <= ROUNDS; i++) {
        const appended = await client.append('Flow', testMessage(i), []);
        assert.ok(appended && appended.uid, 'APPENDUID');
        assert.equal(await client.messageFlagsAdd(String(appended.uid), ['\\Flagged'], { uid: true }), true);
        uids.push(appended.uid);
        // Another writer (the test process, as LMTP or a second node would) appends meanwhile.
        await imap.deliver(alice, testMessage(1000 + i), 'Flow');
      }
      await client.logout();
      const flagged = (await imap.inbox('alice@example.com', 'Flow')).filter((message) => message.record.flags.includes('\\Flagged')).map((message) => message.record.uid);
      assert.deepEqual(flagged, uids);
    });

    test('a message delivered by another process: imapflow stores its flag by UID without a NOOP, 30 times', async () => {
      const client = new ImapFlow({ host: '127.0.0.1', port: imap.ports.imap, secure: false, doSTARTTLS: true, auth: { user: 'alice@example.com', pass: PASSWORD }, logger: false, tls: { rejectUnauthorized: false } });
      client.on('error', () => {});
      await client.connect();
      await client.mailboxCreate('Delivered');
      await client.mailboxOpen('Delivered');
      const uids: number[] = [];
      for (let i = 1; i <= ROUNDS; i++) {
        const uid = await imap.deliver(alice, testMessage(2000 + i), 'Delivered');
        assert.equal(await client.messageFlagsAdd(String(uid), ['\\Draft'], { uid: true }), true);
        uids.push(uid);
      }
      await client.logout();
      const drafts = (await imap.inbox('alice@example.com', 'Delivered')).filter((message) => message.record.flags.includes('\\Draft')).map((message) => message.record.uid);
      assert.deepEqual(drafts, uids);
    });

    test('Python imaplib: APPEND, then UID STORE +FLAGS without a NOOP, 30 times: every answer OK and every flag stored', async (t) => {
      if (!requireTool(t, 'python3', 'python3')) return;
      const out = await imaplib<{ answers: string[]; uids: number[] }>(
        `
import re
m = imaplib.IMAP4('127.0.0.1', args['imap'])
m.starttls(ssl_context=tls)
m.login('alice@example.com', args['password'])
m.create('Py')
m.select('Py')
out['answers'] = []
out['uids'] = []
for i in range(args['rounds']):
    typ, data = m.append('Py', None, None, ('Subject: imaplib %d\\r\\n\\r\\nbody %d\\r\\n' % (i, i)).encode())
    uid = int(re.search(rb'APPENDUID \\d+ (\\d+)', data[0]).group(1))
    typ, data = m.uid('STORE', str(uid), '+FLAGS', '(\\\\Flagged)')
    out['answers'].append(typ)
    out['uids'].append(uid)
m.logout()
`,
        { imap: imap.ports.imap, password: PASSWORD, rounds: ROUNDS },
      );
      assert.deepEqual(out.answers, Array(ROUNDS).fill('OK'));
      const flagged = (await imap.inbox('alice@example.com', 'Py')).filter((message) => message.record.flags.includes('\\Flagged')).map((message) => message.record.uid);
      assert.deepEqual(flagged, out.uids);
    });
  });
}
