// IMAP4rev2 (RFC 9051) beside IMAP4rev1: dialogues after the RFC's examples (§6.3.1 ENABLE, §6.3.2 SELECT,
// §6.3.9 LIST, §6.3.11 STATUS, §6.4.4 SEARCH, §5.1 UTF-8 names), each beside the same command in a rev1
// session, which must see what it saw before; and imapflow, which enables IMAP4rev2 itself.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Mailbox, Store } from '@postern/store';
import { prepareMessage } from '../src/message/index.js';
import { describeOnBackends, loginWire, type ImapFixture } from './imap-fixture.js';
import { simpleMessage } from './imap-messages.js';
import type { TaggedResult, WireClient } from './imap-wire.js';

/** A response line as UTF-8 text (the wire client keeps octets as a binary string). */
const utf8 = (line: string): string => Buffer.from(line, 'binary').toString('utf8');

/** The untagged lines of a command's answer, with its own tag written as `TAG` (for comparing ESEARCH lines). */
const answered = (result: TaggedResult): string[] => {
  const tag = result.tagged.split(' ')[0]!;
  return result.untagged.map((line) => line.replace(`(TAG "${tag}")`, '(TAG "TAG")'));
};

describeOnBackends('IMAP4rev2 after RFC 9051', {}, (suite) => {
  let fx: ImapFixture;
  let store: Store;

  before(() => {
    ({ fx, store } = suite);
  });

  /** A folder of alice's with `count` messages nobody has claimed as \Recent yet. */
  async function folder(name: string, count: number, options: { flagged?: number[]; deleted?: number[] } = {}): Promise<Mailbox> {
    const user = await store.getUser('alice@example.com');
    assert.ok(user);
    const mailbox = await store.createMailbox(user.id, name);
    for (let n = 1; n <= count; n++) {
      const flags = [...(options.flagged?.includes(n) ? ['\\Flagged'] : []), ...(options.deleted?.includes(n) ? ['\\Deleted'] : [])];
      await store.appendMessage(mailbox.id, prepareMessage(simpleMessage(n, n === 2 ? { from: 'Smith <smith@example.com>' } : {}), { flags }));
    }
    return mailbox;
  }

  async function rev2Session(): Promise<WireClient> {
    const wire = await loginWire(fx);
    const enable = await wire.command('ENABLE IMAP4rev2');
    assert.deepEqual(enable.untagged, ['* ENABLED IMAP4rev2']);
    return wire;
  }

  test('CAPABILITY has IMAP4rev1 and IMAP4rev2; ENABLE IMAP4rev2 answers ENABLED and leaves CAPABILITY alone (§6.3.1)', async () => {
    const wire = await loginWire(fx);
    const capability = async (): Promise<string> => (await wire.command('CAPABILITY')).untagged.find((line) => line.startsWith('* CAPABILITY'))!;
    const before = await capability();
    const caps = before.split(' ');
    assert.ok(caps.includes('IMAP4rev1') && caps.includes('IMAP4rev2') && caps.includes('STATUS=SIZE'), before);
    // RFC 7889 §3: the one limit of every mailbox (smtpd.message_size_limit, 50M by default).
    assert.ok(caps.includes(`APPENDLIMIT=${50 * 1024 * 1024}`), before);
    // §6.3.1: the example enables CONDSTORE; names the server does not know are ignored (RFC 5161 §3.1).
    const enable = await wire.command('ENABLE CONDSTORE IMAP4rev2 X-GOOD-IDEA');
    assert.equal(enable.status, 'OK');
    assert.deepEqual(enable.untagged, ['* ENABLED CONDSTORE IMAP4rev2']);
    assert.equal(await capability(), before);
    wire.close();
  });

  test('SELECT in a rev2 session: no RECENT, no \\Recent, the mailbox LIST response; a rev1 session still gets \\Recent (§6.3.2)', async () => {
    await folder('Recent2', 3);
    const rev2 = await rev2Session();
    // §6.3.2's example: EXISTS, UIDVALIDITY, UIDNEXT, FLAGS, PERMANENTFLAGS and `* LIST () "/" INBOX`, no `* n RECENT`.
    const selected = await rev2.command('SELECT Recent2');
    assert.equal(selected.status, 'OK');
    assert.ok(selected.untagged.includes('* 3 EXISTS'), selected.untagged.join('\n'));
    assert.ok(selected.untagged.some((line) => line.startsWith('* OK [UIDNEXT 4]')));
    assert.ok(!selected.untagged.some((line) => / RECENT$/.test(line)), selected.untagged.join('\n'));
    assert.ok(selected.untagged.includes('* LIST (\\HasNoChildren) "/" "Recent2"'), selected.untagged.join('\n'));
    const flags = await rev2.command('FETCH 1:3 (FLAGS)');
    assert.deepEqual(flags.untagged, ['* 1 FETCH (FLAGS ())', '* 2 FETCH (FLAGS ())', '* 3 FETCH (FLAGS ())']);
    // The NEW and RECENT keys find nothing: no message is \Recent for a rev2 session.
    assert.deepEqual(answered(await rev2.command('SEARCH RECENT')), ['* ESEARCH (TAG "TAG")']);
    // SELECT of INBOX under another case is answered with the name the server has (§6.3.2).
    const inbox = await rev2.command('SELECT inbox');
    assert.ok(inbox.untagged.includes('* OK [CLOSED] Previous mailbox is now closed'), inbox.untagged.join('\n'));
    assert.ok(inbox.untagged.some((line) => /^\* LIST \(.*\) "\/" "INBOX"$/.test(line)), inbox.untagged.join('\n'));
    rev2.close();

    // The rev2 session claimed none: the first rev1 session gets them as \Recent, as today.
    const rev1 = await loginWire(fx);
    const rev1Selected = await rev1.command('SELECT Recent2');
    assert.ok(rev1Selected.untagged.includes('* 3 RECENT'), rev1Selected.untagged.join('\n'));
    assert.ok(!rev1Selected.untagged.some((line) => line.startsWith('* LIST')), rev1Selected.untagged.join('\n'));
    assert.deepEqual((await rev1.command('FETCH 1 (FLAGS)')).untagged, ['* 1 FETCH (FLAGS (\\Recent))']);
    rev1.close();
  });

  test('an unsolicited FETCH carries the UID in a rev2 session (§7.5.2), not in a rev1 session', async () => {
    await folder('Unsolicited2', 2);
    const rev2 = await rev2Session();
    await rev2.command('SELECT Unsolicited2');
    const rev1 = await loginWire(fx);
    await rev1.command('SELECT Unsolicited2');
    const other = await loginWire(fx);
    await other.command('SELECT Unsolicited2');
    assert.equal((await other.command('STORE 2 +FLAGS.SILENT (\\Flagged)')).status, 'OK');
    other.close();
    // The flag change reaches both sessions through the store's journal; NOOP collects it.
    const seen = async (wire: WireClient): Promise<string> => {
      const deadline = Date.now() + 5000;
      for (;;) {
        const fetch = (await wire.command('NOOP')).untagged.find((line) => / FETCH /.test(line));
        if (fetch || Date.now() > deadline) return fetch ?? '';
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    assert.equal(await seen(rev2), '* 2 FETCH (UID 2 FLAGS (\\Flagged))');
    assert.equal(await seen(rev1), '* 2 FETCH (FLAGS (\\Flagged \\Recent))');
    rev2.close();
    rev1.close();
  });

  test('SEARCH answers ESEARCH in a rev2 session, SEARCH in a rev1 session (§6.4.4)', async () => {
    await folder('Search2', 5, { flagged: [2, 3, 5] });
    const rev2 = await rev2Session();
    await rev2.command('SELECT Search2');
    // §6.4.4's examples (adapted: message 2 is from Smith).
    const flagged = await rev2.command('SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"');
    assert.deepEqual(answered(flagged), ['* ESEARCH (TAG "TAG") ALL 3,5']);
    const minCount = await rev2.command('SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"');
    assert.deepEqual(answered(minCount), ['* ESEARCH (TAG "TAG") MIN 3 COUNT 2']);
    const none = await rev2.command('SEARCH TEXT "string not in mailbox"');
    assert.deepEqual(answered(none), ['* ESEARCH (TAG "TAG")']);
    assert.equal(none.tagged.split(' ')[1], 'OK');
    // §6.4.9: UID SEARCH's ESEARCH carries the UID indicator.
    assert.deepEqual(answered(await rev2.command('UID SEARCH FLAGGED')), ['* ESEARCH (TAG "TAG") UID ALL 2:3,5']);
    // §6.4.4: CHARSET UTF-8, as in the RFC's example.
    assert.deepEqual(answered(await rev2.command('SEARCH CHARSET UTF-8 SUBJECT "Message 4"')), ['* ESEARCH (TAG "TAG") ALL 4']);
    rev2.close();

    const rev1 = await loginWire(fx);
    await rev1.command('SELECT Search2');
    assert.deepEqual((await rev1.command('SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"')).untagged, ['* SEARCH 3 5']);
    assert.deepEqual((await rev1.command('SEARCH TEXT "string not in mailbox"')).untagged, ['* SEARCH']);
    assert.deepEqual((await rev1.command('UID SEARCH FLAGGED')).untagged, ['* SEARCH 2 3 5']);
    rev1.close();
  });

  test('LIST: \\NonExistent and child attributes in a rev2 session, the hierarchy delimiter for "" (§6.3.9)', async () => {
    const user = await store.getUser('alice@example.com');
    assert.ok(user);
    await store.createMailbox(user.id, 'Fruit/Apple');
    const rev2 = await rev2Session();
    const listed = await rev2.command('LIST "" "Fruit*"');
    assert.deepEqual(listed.untagged, ['* LIST (\\NonExistent \\HasChildren) "/" "Fruit"', '* LIST (\\HasNoChildren) "/" "Fruit/Apple"']);
    // §6.3.9: the empty name asks for the hierarchy delimiter and the root.
    assert.deepEqual((await rev2.command('LIST "" ""')).untagged, ['* LIST (\\Noselect) "/" ""']);
    rev2.close();

    const rev1 = await loginWire(fx);
    const rev1Listed = await rev1.command('LIST "" "Fruit*"');
    assert.ok(!rev1Listed.untagged.some((line) => line.includes('\\NonExistent')), rev1Listed.untagged.join('\n'));
    // A rev1 session keeps imap-core's answer: the level above is \Noselect.
    assert.deepEqual([...rev1Listed.untagged].sort(), ['* LIST (\\HasNoChildren) "/" "Fruit/Apple"', '* LIST (\\Noselect \\HasChildren) "/" "Fruit"']);
    // RFC 3501 §6.3.8 example: the delimiter request gets the empty root name in a rev1 session too.
    assert.deepEqual((await rev1.command('LIST "" ""')).untagged, ['* LIST (\\Noselect) "/" ""']);
    rev1.close();
  });

  test('STATUS SIZE and DELETED (§6.3.11); STATUS RECENT is 0 in a rev2 session', async () => {
    await folder('Status2', 4, { deleted: [1, 4] });
    const size = [1, 2, 3, 4].map((n) => simpleMessage(n, n === 2 ? { from: 'Smith <smith@example.com>' } : {}).length).reduce((a, b) => a + b);
    const rev2 = await rev2Session();
    const status = await rev2.command('STATUS Status2 (UIDNEXT MESSAGES SIZE DELETED)');
    assert.deepEqual(status.untagged, [`* STATUS Status2 (UIDNEXT 5 MESSAGES 4 SIZE ${size} DELETED 2)`]);
    assert.deepEqual((await rev2.command('STATUS Status2 (RECENT)')).untagged, ['* STATUS Status2 (RECENT 0)']);
    // LIST-STATUS (RFC 5819, folded into RFC 9051 §6.3.9) takes the same items.
    const listStatus = await rev2.command('LIST "" Status2 RETURN (STATUS (SIZE DELETED))');
    assert.deepEqual(listStatus.untagged, ['* LIST (\\HasNoChildren) "/" "Status2"', `* STATUS "Status2" (SIZE ${size} DELETED 2)`]);
    rev2.close();

    const rev1 = await loginWire(fx);
    assert.deepEqual((await rev1.command('STATUS Status2 (MESSAGES RECENT)')).untagged, ['* STATUS Status2 (MESSAGES 4 RECENT 4)']);
    rev1.close();
  });

  test('mailbox names are UTF-8 in a rev2 session and modified UTF-7 in a rev1 session, for the same mailbox (§5.1)', async () => {
    const rev2 = await rev2Session();
    assert.equal((await rev2.command('CREATE "Réunion/Übersicht"')).status, 'OK');
    // CREATE made the level above too (§6.3.4); once it is deleted, its name remains as \NonExistent.
    assert.equal((await rev2.command('DELETE "Réunion"')).status, 'OK');
    const listed = await rev2.command('LIST "" "Réunion*"');
    assert.deepEqual(listed.untagged.map(utf8), ['* LIST (\\NonExistent \\HasChildren) "/" "Réunion"', '* LIST (\\HasNoChildren) "/" "Réunion/Übersicht"']);
    const selected = await rev2.command('SELECT "Réunion/Übersicht"');
    assert.equal(selected.status, 'OK');
    assert.ok(selected.untagged.map(utf8).includes('* LIST (\\HasNoChildren) "/" "Réunion/Übersicht"'), selected.untagged.join('\n'));
    // §5.1: names are Net-Unicode; octets that are no UTF-8 make no mailbox.
    rev2.write(Buffer.concat([Buffer.from('X1 CREATE "bad'), Buffer.from([0xff, 0xfe]), Buffer.from('"\r\n')]));
    assert.match(await rev2.line(), /^X1 NO /);
    rev2.close();

    const rev1 = await loginWire(fx);
    const rev1Listed = await rev1.command('LIST "" R&AOk-union*');
    assert.deepEqual([...rev1Listed.untagged].sort(), ['* LIST (\\HasNoChildren) "/" "R&AOk-union/&ANw-bersicht"', '* LIST (\\Noselect \\HasChildren) "/" "R&AOk-union"']);
    assert.equal((await rev1.command('SELECT R&AOk-union/&ANw-bersicht')).status, 'OK');
    rev1.close();
  });

  test('imapflow enables IMAP4rev2 and works with a UTF-8 mailbox name', async () => {
    const client = fx.client('alice@example.com');
    await client.connect();
    assert.ok(client.enabled.has('IMAP4REV2'), [...client.enabled].join(' '));
    await client.mailboxCreate('Ordner für Prüfungen');
    const paths = (await client.list()).map((entry) => entry.path);
    assert.ok(paths.includes('Ordner für Prüfungen'), paths.join(', '));
    await client.append('Ordner für Prüfungen', simpleMessage(1), ['\\Flagged']);
    await client.append('Ordner für Prüfungen', simpleMessage(2));
    const status = await client.status('Ordner für Prüfungen', { messages: true, uidNext: true });
    assert.ok(status && status.messages === 2, JSON.stringify(status));
    const lock = await client.getMailboxLock('Ordner für Prüfungen');
    try {
      assert.deepEqual(await client.search({ flagged: true }, { uid: true }), [1]);
      assert.deepEqual(await client.search({ all: true }), [1, 2]);
      const flags = [];
      for await (const message of client.fetch('1:*', { flags: true })) flags.push([...(message.flags ?? [])]);
      assert.deepEqual(flags, [['\\Flagged'], []]);
    } finally {
      lock.release();
    }
    await client.logout();
  });
});
