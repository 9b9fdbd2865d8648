// `postern mailstore` as a process, driven by imapflow and Python's imaplib over STARTTLS and implicit TLS.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { User } from '@postern/store';
import { ImapFlow } from 'imapflow';
import { requireTool, runTool } from '../support/tools.js';
import { imaplib } from './clients.js';
import { PASSWORD, startImapInstance, testMessage, type ImapInstance } from './mailstore-process.js';

const APPEND_CHILD = fileURLToPath(new URL('../../apps/mailstore/test/imap-append-child.ts', import.meta.url));
const MAILSTORE_DIR = fileURLToPath(new URL('../../apps/mailstore/', import.meta.url));

/** Reads a plain-text IMAP conversation: greeting, then one line per command. */
function plainConversation(port: number, commands: string[]): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let text = '';
    let sent = false;
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (!sent && text.includes('\r\n')) {
        sent = true;
        socket.write(commands.map((command, i) => `P${i} ${command}\r\n`).join(''));
      }
      if (text.includes(`P${commands.length - 1} `) && text.endsWith('\r\n')) socket.end();
    });
    socket.on('close', () => resolve(text));
    socket.on('error', () => resolve(text));
  });
}

function flowClient(port: number, user: string, options: Record<string, unknown> = {}) {
  const client = new ImapFlow({ host: '127.0.0.1', port, secure: false, doSTARTTLS: true, auth: { user, pass: PASSWORD }, logger: false, tls: { rejectUnauthorized: false }, ...options });
  client.on('error', () => {});
  return client;
}

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`postern mailstore IMAP with real clients on ${backend}`, () => {
    let imap: ImapInstance;
    let alice: User;

    before(async () => {
      imap = await startImapInstance(backend);
      alice = await imap.addUser('alice@example.com', PASSWORD);
      await imap.addUser('bob@example.com', PASSWORD);
    });

    after(async () => {
      await imap?.stop();
    });

    test('runs against a real store', (t) => {
      t.diagnostic(imap.instance.server);
    });

    test('before STARTTLS the server announces LOGINDISABLED and refuses LOGIN and AUTHENTICATE', async () => {
      const transcript = await plainConversation(imap.ports.imap, ['CAPABILITY', `LOGIN alice@example.com "${PASSWORD}"`, 'AUTHENTICATE PLAIN AGFsaWNlQGV4YW1wbGUuY29tAGltYXAgZTJlIHBhc3N3b3Jk']);
      assert.match(transcript, /\* CAPABILITY .*\bSTARTTLS\b/);
      assert.match(transcript, /\* CAPABILITY .*\bLOGINDISABLED\b/);
      assert.match(transcript, /P1 (BAD|NO) /);
      assert.match(transcript, /P2 (BAD|NO) /);
      assert.doesNotMatch(transcript, /P1 OK|P2 OK/);
    });

    test('imapflow over STARTTLS: default folders, append and fetch round trip, flags, search, copy and move', async () => {
      const client = flowClient(imap.ports.imap, 'alice@example.com');
      await client.connect();
      assert.equal(client.secureConnection, true);
      const list = await client.list();
      const special = Object.fromEntries(list.filter((entry) => entry.specialUse).map((entry) => [entry.specialUse, entry.path]));
      assert.deepEqual(special, { '\\Inbox': 'INBOX', '\\Drafts': 'Drafts', '\\Sent': 'Sent', '\\Junk': 'Junk', '\\Trash': 'Trash' });
      const appended = await client.append('INBOX', testMessage(1, 'Round trip'), ['\\Flagged']);
      assert.ok(appended && appended.uid);
      const lock = await client.getMailboxLock('INBOX');
      try {
        const message = await client.fetchOne(String(appended.uid), { envelope: true, bodyStructure: true, source: true, flags: true }, { uid: true });
        assert.ok(message);
        assert.equal(message.envelope?.subject, 'Round trip');
        assert.equal(message.bodyStructure?.type, 'text/plain');
        assert.equal(message.source?.toString(), testMessage(1, 'Round trip'));
        assert.ok(message.flags?.has('\\Flagged'));
        await client.messageFlagsAdd(String(appended.uid), ['\\Seen'], { uid: true });
        assert.deepEqual(await client.search({ seen: true, subject: 'round trip' }, { uid: true }), [appended.uid]);
        const copied = await client.messageCopy(String(appended.uid), 'Trash', { uid: true });
        assert.ok(copied && copied.uidMap && copied.uidMap.size === 1);
        await client.mailboxCreate('Filed');
        const moved = await client.messageMove(String(appended.uid), 'Filed', { uid: true });
        assert.ok(moved && moved.uidMap && moved.uidMap.size === 1);
      } finally {
        lock.release();
      }
      const filed = await client.status('Filed', { messages: true });
      assert.ok(filed);
      assert.equal(filed.messages, 1);
      await client.logout();
    });

    test('Python imaplib over STARTTLS and over implicit TLS (993 style)', async () => {
      const out = await imaplib<{ starttls: string; login: string; list: string[]; append: string; select: string[]; fetch: string[]; search: string[]; store: string[]; copy: string; expunge: string[]; ssl: string; status: string[] }>(
        `
m = imaplib.IMAP4('127.0.0.1', args['imap'])
out['starttls'] = m.starttls(ssl_context=tls)[0]
out['login'] = m.login('alice@example.com', args['password'])[0]
out['list'] = text(m.list()[1])
out['append'] = m.append('INBOX', '(\\\\Seen)', imaplib.Time2Internaldate(1763719200), args['message'].encode())[1][0].decode()
out['select'] = text(m.select('INBOX')[1])
typ, data = m.search(None, 'SUBJECT', '"imaplib message"')
out['search'] = text(data)
num = data[0].split()[-1]
typ, data = m.fetch(num, '(FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)])')
out['fetch'] = text(data)
out['store'] = text(m.store(num, '+FLAGS', '(\\\\Deleted)')[1])
out['copy'] = m.copy(num, 'Trash')[0]
out['expunge'] = text(m.expunge()[1])
m.logout()
s = imaplib.IMAP4_SSL('127.0.0.1', args['imaps'], ssl_context=tls)
out['ssl'] = s.login('alice@example.com', args['password'])[0]
out['status'] = text(s.status('Trash', '(MESSAGES)')[1])
s.logout()
`,
        { imap: imap.ports.imap, imaps: imap.ports.imaps, password: PASSWORD, message: testMessage(2, 'imaplib message') },
      );
      assert.equal(out.starttls, 'OK');
      assert.equal(out.login, 'OK');
      assert.ok(out.list.some((line) => line.includes('\\Sent') && line.endsWith('"Sent"')), out.list.join('\n'));
      assert.match(out.append, /APPENDUID \d+ \d+/);
      assert.ok(out.search[0]!.trim().length > 0);
      const fetched = JSON.stringify(out.fetch);
      // imaplib's SELECT is the first since the APPEND: the message is \Recent for it (RFC 3501 §2.3.2).
      assert.match(fetched, /FLAGS \(\\\\Seen \\\\Recent\)/);
      assert.match(fetched, /Subject: imaplib message/);
      assert.match(JSON.stringify(out.store), /\\\\Deleted/);
      assert.equal(out.copy, 'OK');
      assert.equal(out.expunge.length, 1);
      assert.equal(out.ssl, 'OK');
      assert.match(out.status[0]!, /MESSAGES \d+/);
    });

    test('Python imaplib raw commands: ESEARCH, LIST-STATUS, CREATE-SPECIAL-USE and BINARY as a separate process sees them', async () => {
      const out = await imaplib<{ caps: string; esearch: string[]; list: string[]; status: string[]; create: string; special: string[]; binary: string[] }>(
        `
m = imaplib.IMAP4('127.0.0.1', args['imap'])
m.starttls(ssl_context=tls)
m.login('bob@example.com', args['password'])
out['caps'] = ' '.join(m.capabilities)
m.create('Py')
for n in range(3):
    m.append('Py', None, None, args['message'].encode())
m.select('Py')
typ, data = m._simple_command('SEARCH', 'RETURN', '(MIN MAX COUNT ALL)', 'ALL')
out['esearch'] = text(m._untagged_response(typ, data, 'ESEARCH')[1])
typ, data = m._simple_command('LIST', '""', '"Py"', 'RETURN', '(STATUS (MESSAGES UNSEEN))')
out['list'] = text(m.untagged_responses.pop('LIST', []))
out['status'] = text(m.untagged_responses.pop('STATUS', []))
out['create'] = m._simple_command('CREATE', 'PyArchive', '(USE (\\\\Archive))')[0]
typ, data = m._simple_command('LIST', '(SPECIAL-USE)', '""', '"*"')
out['special'] = text(m.untagged_responses.pop('LIST', []))
out['binary'] = text(m.fetch('1', '(BINARY.PEEK[1] BINARY.SIZE[1])')[1])
m.logout()
`,
        { imap: imap.ports.imap, password: PASSWORD, message: testMessage(3, 'imaplib extensions') },
      );
      for (const name of ['LITERAL+', 'MULTIAPPEND', 'ESEARCH', 'LIST-EXTENDED', 'LIST-STATUS', 'CREATE-SPECIAL-USE', 'BINARY']) assert.ok(out.caps.split(' ').includes(name), name);
      assert.match(out.esearch[0]!, /^\(TAG "\w+"\) MIN 1 MAX 3 ALL 1:3 COUNT 3$/);
      assert.deepEqual(out.list, ['(\\HasNoChildren) "/" "Py"']);
      assert.deepEqual(out.status, ['"Py" (MESSAGES 3 UNSEEN 3)']);
      assert.equal(out.create, 'OK');
      assert.ok(out.special.includes('(\\HasNoChildren \\Archive) "/" "PyArchive"'), out.special.join('\n'));
      assert.match(JSON.stringify(out.binary), /BINARY\[1\] \{\d+\}.*Body of e2e message 3\..*BINARY\.SIZE\[1\] \d+/);
    });

    test('Python imaplib thread() and uid("THREAD") (RFC 5256), and SEARCH RETURN (SAVE) with FETCH $ (RFC 5182)', async () => {
      const out = await imaplib<{ caps: string; thread: string[]; uidThread: string[]; ordered: string[]; save: [string, number]; fetch: string[] }>(
        `
m = imaplib.IMAP4('127.0.0.1', args['imap'])
m.starttls(ssl_context=tls)
m.login('bob@example.com', args['password'])
out['caps'] = ' '.join(m.capabilities)
m.create('PyThreads')
def msg(mid, subject, date, refs=None):
    head = 'From: py@example.com\\r\\nSubject: %s\\r\\nDate: %s\\r\\nMessage-ID: <%s@example.com>\\r\\n' % (subject, date, mid)
    if refs:
        head += 'References: <%s@example.com>\\r\\n' % refs
    return (head + '\\r\\nbody\\r\\n').encode()
m.append('PyThreads', '(\\Deleted)', None, msg('gone', 'gone', 'Sun, 1 Mar 2026 08:00:00 +0000'))
m.append('PyThreads', None, None, msg('root', 'Plans', 'Sun, 1 Mar 2026 09:00:00 +0000'))
m.append('PyThreads', None, None, msg('other', 'Other', 'Sun, 1 Mar 2026 09:30:00 +0000'))
m.append('PyThreads', None, None, msg('reply', 'Re: Plans', 'Sun, 1 Mar 2026 10:00:00 +0000', 'root'))
m.select('PyThreads')
m.expunge()
out['thread'] = text(m.thread('REFERENCES', 'UTF-8', 'ALL')[1])
out['uidThread'] = text(m.uid('THREAD', 'REFERENCES', 'UTF-8', 'ALL')[1])
out['ordered'] = text(m.thread('ORDEREDSUBJECT', 'US-ASCII', 'SUBJECT', 'plans')[1])
typ, data = m._simple_command('SEARCH', 'RETURN', '(SAVE)', 'SUBJECT', 'plans')
out['save'] = [typ, len(m.untagged_responses.pop('SEARCH', []) + m.untagged_responses.pop('ESEARCH', []))]
out['fetch'] = text(m.fetch('$', '(UID)')[1])
m.logout()
`,
        { imap: imap.ports.imap, password: PASSWORD },
      );
      for (const name of ['THREAD=ORDEREDSUBJECT', 'THREAD=REFERENCES', 'SEARCHRES']) assert.ok(out.caps.split(' ').includes(name), name);
      assert.deepEqual(out.thread, ['(1 3)(2)']);
      assert.deepEqual(out.uidThread, ['(2 4)(3)']);
      assert.deepEqual(out.ordered, ['(1 3)']);
      assert.deepEqual(out.save, ['OK', 0]);
      assert.deepEqual(out.fetch, ['1 (UID 2)', '3 (UID 4)']);
    });

    test('IDLE receives EXISTS within a second of an LMTP delivery by swaks, a separate process', async (t) => {
      if (!requireTool(t, 'swaks', 'swaks')) return;
      const client = flowClient(imap.ports.imap, 'alice@example.com');
      await client.connect();
      const lock = await client.getMailboxLock('INBOX');
      try {
        const before = client.mailbox ? client.mailbox.exists : 0;
        const seen = new Promise<number>((resolve) => client.on('exists', (data: { count: number }) => resolve(Date.now())));
        void client.idle();
        await new Promise((resolve) => setTimeout(resolve, 200));
        const sent = await runTool('swaks', ['--protocol', 'LMTP', '--server', '127.0.0.1', '--port', String(imap.ports.lmtp), '--to', 'alice@example.com', '--from', 'sender@example.org', '--header', 'Subject: via LMTP', '--silent', '2']);
        assert.equal(sent.code, 0, sent.stderr + sent.stdout);
        const done = Date.now();
        const at = await Promise.race([seen, new Promise<number>((_, reject) => setTimeout(() => reject(new Error('no EXISTS within 2 s')), 2000))]);
        t.diagnostic(`EXISTS ${at - done} ms after swaks finished`);
        assert.ok(at - done < 1000);
        assert.ok(client.mailbox && client.mailbox.exists === before + 1);
      } finally {
        lock.release();
      }
      await client.logout();
    });

    test('IDLE receives EXISTS within a second of a store append made by another process', async (t) => {
      const client = flowClient(imap.ports.imap, 'alice@example.com');
      await client.connect();
      const lock = await client.getMailboxLock('INBOX');
      try {
        const seen = new Promise<number>((resolve) => client.on('exists', () => resolve(Date.now())));
        void client.idle();
        const child = await runTool(process.execPath, ['--import', 'tsx', APPEND_CHILD, JSON.stringify(imap.storeOptions), alice.address, 'from another process'], { cwd: MAILSTORE_DIR });
        assert.equal(child.code, 0, child.stderr);
        const appended = JSON.parse(child.stdout.trim()) as { at: number };
        const at = await Promise.race([seen, new Promise<number>((_, reject) => setTimeout(() => reject(new Error('no EXISTS within 2 s')), 2000))]);
        t.diagnostic(`EXISTS ${at - appended.at} ms after the other process committed`);
        assert.ok(at - appended.at < 1000);
      } finally {
        lock.release();
      }
      await client.logout();
    });

    test('bob cannot open or fill alice’s folders through the running server', async () => {
      await imap.deliver(alice, testMessage(3, 'private'));
      const out = await imaplib<{ select: string; copy: string; status: string; inbox: string[] }>(
        `
m = imaplib.IMAP4('127.0.0.1', args['imap'])
m.starttls(ssl_context=tls)
m.login('bob@example.com', args['password'])
out['inbox'] = text(m.select('INBOX')[1])
out['select'] = m.select('"alice@example.com/INBOX"')[0]
m.append('INBOX', None, None, b'Subject: bob\\r\\n\\r\\nhi\\r\\n')
m.select('INBOX')
out['copy'] = m.copy('1', '"Other Users/alice/INBOX"')[0]
out['status'] = m.status('"../alice@example.com/INBOX"', '(MESSAGES)')[0]
m.logout()
`,
        { imap: imap.ports.imap, password: PASSWORD },
      );
      assert.deepEqual(out.inbox, ['0']);
      assert.equal(out.select, 'NO');
      assert.equal(out.copy, 'NO');
      assert.equal(out.status, 'NO');
    });
  });
}
