// RFC 3501 as Python's imaplib meets it, against two `postern mailstore` processes on one store:
// \Recent goes to exactly one session across processes (§2.3.2); LIST/LSUB list-wildcards and
// sequence sets with * anywhere are sent unquoted as imaplib sends them (§9).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { configSet, startInstance, type PosternInstance } from '../support/instance.js';
import { freePort } from '../support/ports.js';
import { startPostern, type PosternProcess } from '../support/postern-process.js';
import { imaplib } from './clients.js';
import { PASSWORD, testMessage } from './mailstore-process.js';

const SESSION = `
import re, time
def session(port):
    m = imaplib.IMAP4('127.0.0.1', port)
    m.starttls(ssl_context=tls)
    m.login(args['user'], args['password'])
    return m
def answer(result):
    return [result[0], text(result[1])]
`;

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`RFC 3501 with Python imaplib and two postern mailstore processes on ${backend}`, () => {
    let imap: PosternInstance<'imap'>;
    let second: PosternProcess;
    let secondPort: number;

    before(async () => {
      imap = await startInstance(backend, { listen: ['imap'], roles: ['mailstore'] });
      // A second mailstore process on the same store, listening elsewhere (another node).
      secondPort = await freePort();
      await configSet(imap.instance, [['listen.imap', `["127.0.0.1:${secondPort}"]`]]);
      second = await startPostern(imap.instance.configFile, 'mailstore');
      await imap.addUser('alice@example.com', PASSWORD);
    });

    after(async () => {
      await second?.stop();
      await imap?.stop();
    });

    test('RFC 3501 §2.3.2: each new message is \\Recent in exactly one of six sessions spread over two processes', async () => {
      const out = await imaplib<{ atSelect: string[][]; recent: Record<string, boolean>[]; announced: string[][] }>(
        `${SESSION}
sessions = [session(port) for port in (args['first'], args['second']) for _ in range(3)]
out['atSelect'] = []
for m in sessions:
    m.select('INBOX')
    out['atSelect'].append(text(m.response('RECENT')[1]))
writer = session(args['second'])
for i in range(args['count']):
    writer.append('INBOX', None, None, (args['message'] % i).encode())
writer.logout()
out['recent'] = []
out['announced'] = []
for m in sessions:
    flags = {}
    for _ in range(100):
        m.noop()
        typ, data = m.uid('FETCH', '1:*', '(FLAGS)')
        flags = {}
        for item in data:
            if item:
                line = item.decode()
                flags[re.search(r'UID (\\d+)', line).group(1)] = '\\\\Recent' in line
        if len(flags) == args['count']:
            break
        time.sleep(0.05)
    out['recent'].append(flags)
    out['announced'].append(text(m.response('RECENT')[1]))
    m.logout()
`,
        { first: imap.ports.imap, second: secondPort, user: 'alice@example.com', password: PASSWORD, count: 6, message: testMessage(0, 'recent %d') },
      );
      assert.deepEqual(out.atSelect, Array.from({ length: 6 }, () => ['0']), 'an empty INBOX has nothing recent');
      const owners = new Map<string, number>();
      out.recent.forEach((flags, session) => {
        assert.equal(Object.keys(flags).length, 6, `session ${session} sees all six messages: ${JSON.stringify(flags)}`);
        for (const [uid, recent] of Object.entries(flags)) if (recent) owners.set(uid, (owners.get(uid) ?? 0) + 1);
      });
      assert.deepEqual([...owners.entries()].sort((a, b) => Number(a[0]) - Number(b[0])), ['1', '2', '3', '4', '5', '6'].map((uid) => [uid, 1]), JSON.stringify(out.recent));
      // A session that got messages as \\Recent heard a RECENT response with their number (§7.3.2).
      out.recent.forEach((flags, session) => {
        const mine = Object.values(flags).filter(Boolean).length;
        if (mine > 0) assert.equal(out.announced[session]!.at(-1), String(mine), `session ${session}: ${JSON.stringify(out.announced[session])}`);
      });
    });

    test('RFC 3501 §9: imaplib’s unquoted list-wildcards and sequence sets with * anywhere are answered, not BAD', async () => {
      const out = await imaplib<Record<string, [string, string[]]>>(
        `${SESSION}
m = session(args['first'])
for path in ('folder', 'folder/a', 'folder/b', 'folder/b/c'):
    m.create(path)
m.subscribe('folder/a')
out['percent'] = answer(m.list('""', '%'))
out['inboxStar'] = answer(m.list('""', 'INBOX*'))
out['folderPercent'] = answer(m.list('""', '"folder/%"'))
out['lsub'] = answer(m.lsub('""', 'folder/%'))
m.select('INBOX')
out['lastAndFirst'] = answer(m.fetch('*,1', '(UID)'))
out['firstAndLast'] = answer(m.fetch('1,*', '(UID)'))
out['highLow'] = answer(m.fetch('*:5', '(UID)'))
m.logout()
`,
        { first: imap.ports.imap, user: 'alice@example.com', password: PASSWORD },
      );
      for (const [command, [status]] of Object.entries(out)) assert.equal(status, 'OK', `${command}: ${JSON.stringify(out[command])}`);
      const names = (key: string) => out[key]![1].map((line) => /"([^"]+)"$/.exec(line)?.[1] ?? line).sort();
      assert.ok(names('percent').includes('INBOX') && names('percent').includes('folder') && !names('percent').includes('folder/a'), JSON.stringify(out.percent));
      assert.deepEqual(names('inboxStar'), ['INBOX']);
      assert.deepEqual(names('folderPercent'), ['folder/a', 'folder/b']);
      assert.deepEqual(names('lsub'), ['folder/a']);
      // The previous test left six messages in INBOX.
      assert.deepEqual(out.lastAndFirst![1].sort(), ['1 (UID 1)', '6 (UID 6)']);
      assert.deepEqual(out.firstAndLast![1].sort(), ['1 (UID 1)', '6 (UID 6)']);
      assert.deepEqual(out.highLow![1].sort(), ['5 (UID 5)', '6 (UID 6)']);
    });
  });
}
