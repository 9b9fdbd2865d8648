// RFC 3501 behaviour checked on the wire, each test named after the section it checks:
// LIST wildcards and sequence sets (§9), untagged responses around APPEND/COPY/MOVE (§6.3.11,
// §6.4.7, RFC 6851 §4.3), no EXPUNGE during FETCH/STORE/SEARCH (§7.4.1), keywords announced in
// FLAGS (§7.2.6) and \Recent (§2.3.2) — across sessions and across two mailstores on one store.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { openStore, type Store } from '@postern/store';
import { describeOnBackends, loginWire, startImapFixture, type ImapFixture } from './imap-fixture.js';
import { simpleMessage } from './imap-messages.js';
import { noopUntil, type TaggedResult, type WireClient } from './imap-wire.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));


function ok(result: TaggedResult): TaggedResult {
  assert.equal(result.status, 'OK', `${result.tagged}\n${result.untagged.join('\n')}`);
  return result;
}

/** The mailbox names a LIST/LSUB answered with. */
function names(result: TaggedResult): string[] {
  return ok(result).untagged.map((line) => /"([^"]*)"$/.exec(line)?.[1] ?? line.split(' ').pop()!).sort();
}

async function fillMailbox(wire: WireClient, mailbox: string, count: number): Promise<void> {
  ok(await wire.command(`CREATE ${mailbox}`));
  for (let i = 1; i <= count; i++) ok(await wire.append(mailbox, simpleMessage(i)));
}

describeOnBackends('RFC 3501 grammar and untagged responses', { users: ['alice@example.com', 'bob@example.com', 'carol@example.com'] }, (suite) => {
  let fx: ImapFixture;
  let store: Store;
  before(async () => {
    ({ fx, store } = suite);
  });

  test('RFC 3501 §9 list-mailbox: list-wildcards are list-chars, unquoted or quoted, in LIST and LSUB', async () => {
    const wire = await loginWire(fx, 'bob@example.com');
    for (const path of ['folder', 'folder/a', 'folder/b', 'folder/b/c']) ok(await wire.command(`CREATE ${path}`));
    ok(await wire.command('SUBSCRIBE folder/a'));
    assert.deepEqual(names(await wire.command('LIST "" %')).filter((name) => name.startsWith('folder') || name === 'INBOX'), ['INBOX', 'folder']);
    assert.deepEqual(names(await wire.command('LIST "" INBOX*')), ['INBOX']);
    assert.deepEqual(names(await wire.command('LIST "" "folder/%"')), ['folder/a', 'folder/b']);
    assert.deepEqual(names(await wire.command('LIST "" folder/%')), ['folder/a', 'folder/b']);
    assert.deepEqual(names(await wire.command('LIST "" folder/*')), ['folder/a', 'folder/b', 'folder/b/c']);
    assert.deepEqual(names(await wire.command('LIST "" %/%')).filter((name) => name.startsWith('folder')), ['folder/a', 'folder/b']);
    assert.deepEqual(names(await wire.command('LIST "" */%')).filter((name) => name.startsWith('folder')), ['folder/a', 'folder/b', 'folder/b/c']);
    assert.deepEqual(names(await wire.command('LSUB "" "folder/%"')), ['folder/a']);
    assert.deepEqual(names(await wire.command('LSUB "" folder/%')), ['folder/a']);
    wire.close();
  });

  test('RFC 3501 §9 mailbox: a quoted name made of atom-specials is created, listed, selected and deleted', async () => {
    const wire = await loginWire(fx, 'bob@example.com');
    // atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards / quoted-specials / resp-specials
    const quoted = '"odd (name) {x} ]\\"q\\\\"';
    ok(await wire.command(`CREATE ${quoted}`));
    const list = ok(await wire.command('LIST "" "odd*"'));
    assert.equal(list.untagged.length, 1, list.untagged.join('\n'));
    assert.ok(list.untagged[0]!.endsWith(quoted) || list.untagged[0]!.includes('odd (name) {x} ]'), list.untagged[0]);
    ok(await wire.command(`SELECT ${quoted}`));
    ok(await wire.command(`STATUS ${quoted} (MESSAGES)`));
    ok(await wire.command('UNSELECT'));
    ok(await wire.command(`DELETE ${quoted}`));
    wire.close();
  });

  test('RFC 3501 §9 sequence-set: * may stand anywhere and a seq-range may be given high:low (1,* *,1 *:3)', async () => {
    const wire = await loginWire(fx, 'bob@example.com');
    await fillMailbox(wire, 'Seq', 4);
    ok(await wire.command('SELECT Seq'));
    const seqs = (result: TaggedResult) => ok(result).untagged.map((line) => Number(/^\* (\d+) FETCH/.exec(line)?.[1])).sort();
    assert.deepEqual(seqs(await wire.command('FETCH 1,* (UID)')), [1, 4]);
    assert.deepEqual(seqs(await wire.command('FETCH *,1 (UID)')), [1, 4]);
    assert.deepEqual(seqs(await wire.command('FETCH *:3 (UID)')), [3, 4]);
    assert.deepEqual(seqs(await wire.command('FETCH 3:2 (UID)')), [2, 3]);
    assert.deepEqual(seqs(await wire.command('UID FETCH *:3 (UID)')), [3, 4]);
    assert.deepEqual(ok(await wire.command('SEARCH *:3')).untagged, ['* SEARCH 3 4']);
    assert.deepEqual(ok(await wire.command('UID SEARCH UID 1,*')).untagged, ['* SEARCH 1 4']);
    ok(await wire.command('STORE *,1 +FLAGS.SILENT (\\Flagged)'));
    assert.deepEqual(ok(await wire.command('SEARCH FLAGGED')).untagged, ['* SEARCH 1 4']);
    wire.close();
  });

  test('RFC 3501 §6.3.1: SELECT and EXAMINE send OK [UNSEEN n], the first message without \\Seen; none when all are seen or in an IMAP4rev2 session', async () => {
    const wire = await loginWire(fx);
    await fillMailbox(wire, 'FirstUnseen', 4);
    ok(await wire.command('SELECT FirstUnseen'));
    ok(await wire.command('STORE 1:2,4 +FLAGS.SILENT (\\Seen)'));
    for (const command of ['SELECT FirstUnseen', 'EXAMINE FirstUnseen']) {
      const unseen = ok(await wire.command(command)).untagged.filter((line) => line.includes('[UNSEEN'));
      assert.deepEqual(unseen, ['* OK [UNSEEN 3] First unseen.'], command);
    }
    ok(await wire.command('SELECT FirstUnseen'));
    ok(await wire.command('STORE 3 +FLAGS.SILENT (\\Seen)'));
    assert.ok(!ok(await wire.command('SELECT FirstUnseen')).untagged.some((line) => line.includes('[UNSEEN')), 'every message is seen');
    ok(await wire.command('STORE 2 -FLAGS.SILENT (\\Seen)'));
    const rev2 = await loginWire(fx);
    ok(await rev2.command('ENABLE IMAP4rev2'));
    // RFC 9051 §6.3.2 has no UNSEEN response code.
    assert.ok(!ok(await rev2.command('SELECT FirstUnseen')).untagged.some((line) => line.includes('[UNSEEN')));
    assert.deepEqual(ok(await wire.command('SELECT FirstUnseen')).untagged.filter((line) => line.includes('[UNSEEN')), ['* OK [UNSEEN 2] First unseen.']);
    wire.close();
    rev2.close();
  });

  test('RFC 3501 §6.3.1, §6.4.3: a session may SELECT, EXAMINE and EXPUNGE as often as it likes — no BYE after the 1000th', async () => {
    // imap-core closed a session at its 1001st SELECT or EXPUNGE; a client that keeps one session for days reaches that.
    const wire = await loginWire(fx);
    ok(await wire.command('CREATE Often'));
    for (let i = 0; i < 1005; i++) {
      ok(await wire.command('SELECT Often'));
      ok(await wire.command('EXPUNGE'));
    }
    for (let i = 0; i < 1005; i++) ok(await wire.command('EXAMINE Often'));
    ok(await wire.command('NOOP'));
    assert.equal(wire.closed, false);
    wire.close();
  });

  test('RFC 3501 §6.3.11: APPEND to the selected mailbox sends * n EXISTS before the tagged OK; the APPENDUID is fetchable at once', async () => {
    const wire = await loginWire(fx, 'bob@example.com');
    await fillMailbox(wire, 'Appends', 2);
    ok(await wire.command('SELECT Appends'));
    const append = ok(await wire.append('Appends', simpleMessage(3)));
    assert.deepEqual(append.untagged.filter((line) => line.startsWith('* ') && / EXISTS$/.test(line)), ['* 3 EXISTS']);
    const uid = Number(/APPENDUID \d+ (\d+)/.exec(append.tagged)?.[1]);
    const fetch = ok(await wire.command(`UID FETCH ${uid} (UID)`));
    assert.deepEqual(fetch.untagged, [`* 3 FETCH (UID ${uid})`]);
    // APPEND elsewhere announces nothing for the selected mailbox.
    ok(await wire.command('CREATE Elsewhere'));
    const other = ok(await wire.append('Elsewhere', simpleMessage(4)));
    assert.ok(!other.untagged.some((line) => / EXISTS$/.test(line)), other.untagged.join(' | '));
    wire.close();
  });

  test('RFC 3501 §6.4.7 with §7.3.1: COPY into the selected mailbox sends * n EXISTS before the tagged OK', async () => {
    const wire = await loginWire(fx, 'bob@example.com');
    await fillMailbox(wire, 'CopySelf', 2);
    ok(await wire.command('SELECT CopySelf'));
    const copy = ok(await wire.command('COPY 1:2 CopySelf'));
    assert.deepEqual(copy.untagged.filter((line) => / EXISTS$/.test(line)), ['* 4 EXISTS']);
    const uids = /COPYUID \d+ \S+ (\S+)\]/.exec(copy.tagged)![1]!;
    assert.equal(ok(await wire.command(`UID FETCH ${uids} (UID)`)).untagged.length, 2);
    wire.close();
  });

  test('RFC 6851 §4.3: MOVE sends * OK [COPYUID …] before its EXPUNGEs', async () => {
    const wire = await loginWire(fx, 'bob@example.com');
    await fillMailbox(wire, 'MoveFrom', 3);
    ok(await wire.command('CREATE MoveTo'));
    ok(await wire.command('SELECT MoveFrom'));
    const move = ok(await wire.command('MOVE 2:3 MoveTo'));
    const copyuid = move.untagged.findIndex((line) => /^\* OK \[COPYUID \d+ 2:3 1:2\]/.test(line));
    const expunges = move.untagged.map((line, i) => (/^\* \d+ EXPUNGE$/.test(line) ? i : -1)).filter((i) => i >= 0);
    assert.ok(copyuid >= 0, move.untagged.join(' | '));
    assert.equal(expunges.length, 2, move.untagged.join(' | '));
    assert.ok(expunges.every((i) => i > copyuid), `COPYUID before the EXPUNGEs: ${move.untagged.join(' | ')}`);
    wire.close();
  });

  test('RFC 3501 §7.4.1: no EXPUNGE during FETCH, STORE or SEARCH; the UID forms and NOOP send it', async () => {
    const reader = await loginWire(fx, 'bob@example.com');
    const writer = await loginWire(fx, 'bob@example.com');
    await fillMailbox(writer, 'Held', 4);
    ok(await reader.command('SELECT Held'));
    ok(await writer.command('SELECT Held'));
    ok(await writer.command('STORE 1 +FLAGS.SILENT (\\Deleted)'));
    ok(await writer.command('EXPUNGE'));
    await sleep(300); // the reader's notifier has read the journal by now
    for (const command of ['FETCH 1:* (FLAGS)', 'STORE 2 +FLAGS.SILENT (\\Seen)', 'SEARCH ALL', 'FETCH 1 (UID)']) {
      const result = ok(await reader.command(command));
      assert.ok(!result.untagged.some((line) => / EXPUNGE$/.test(line)), `${command}: ${result.untagged.join(' | ')}`);
    }
    const uidFetch = ok(await reader.command('UID FETCH 1:* (UID)'));
    assert.ok(uidFetch.untagged.includes('* 1 EXPUNGE'), uidFetch.untagged.join(' | '));
    // Expunged again, a NOOP reports it too.
    ok(await writer.command('STORE 1 +FLAGS.SILENT (\\Deleted)'));
    ok(await writer.command('EXPUNGE'));
    await sleep(300);
    assert.ok(!ok(await reader.command('SEARCH ALL')).untagged.some((line) => / EXPUNGE$/.test(line)));
    assert.ok((await noopUntil(reader, /^\* 1 EXPUNGE$/)).includes('* 1 EXPUNGE'));
    assert.deepEqual(ok(await reader.command('SEARCH ALL')).untagged, ['* SEARCH 1 2']);
    reader.close();
    writer.close();
  });

  test('RFC 3501 §7.2.6: a new keyword reaches FLAGS and PERMANENTFLAGS of every session with the mailbox selected before a message shows it', async () => {
    const setter = await loginWire(fx, 'bob@example.com');
    const other = await loginWire(fx, 'bob@example.com');
    await fillMailbox(setter, 'Keywords', 2);
    ok(await setter.command('SELECT Keywords'));
    ok(await other.command('SELECT Keywords'));
    const store = ok(await setter.command('STORE 1 +FLAGS ($Project)'));
    const flagsAt = store.untagged.findIndex((line) => /^\* FLAGS \(.*\$Project.*\)$/.test(line));
    const permanentAt = store.untagged.findIndex((line) => /^\* OK \[PERMANENTFLAGS \(.*\$Project.*\\\*\)\]/.test(line));
    const fetchAt = store.untagged.findIndex((line) => /^\* 1 FETCH \(FLAGS \(.*\$Project/.test(line));
    assert.ok(flagsAt >= 0 && permanentAt >= 0 && fetchAt > flagsAt && fetchAt > permanentAt, store.untagged.join(' | '));
    const heard = await noopUntil(other, /^\* 1 FETCH \(FLAGS \(.*\$Project/);
    const otherFlags = heard.findIndex((line) => /^\* FLAGS \(.*\$Project.*\)$/.test(line));
    const otherPermanent = heard.findIndex((line) => /^\* OK \[PERMANENTFLAGS \(.*\$Project/.test(line));
    const otherFetch = heard.findIndex((line) => /^\* 1 FETCH \(FLAGS \(.*\$Project/.test(line));
    assert.ok(otherFlags >= 0 && otherPermanent >= 0 && otherFetch > otherFlags && otherFetch > otherPermanent, heard.join(' | '));
    // Announced once: a second message getting the same keyword brings no new FLAGS.
    const again = ok(await setter.command('STORE 2 +FLAGS ($Project)'));
    assert.ok(!again.untagged.some((line) => line.startsWith('* FLAGS')), again.untagged.join(' | '));
    // A message appended with a new keyword: FLAGS first, then the EXISTS and its FETCH.
    const append = ok(await setter.append('Keywords', simpleMessage(3), '($Later)'));
    const appendFlags = append.untagged.findIndex((line) => /^\* FLAGS \(.*\$Later.*\)$/.test(line));
    assert.ok(appendFlags >= 0 && appendFlags < append.untagged.indexOf('* 3 EXISTS'), append.untagged.join(' | '));
    const otherAppend = await noopUntil(other, /^\* 3 EXISTS$/);
    assert.ok(otherAppend.some((line) => /^\* FLAGS \(.*\$Later.*\)$/.test(line)), otherAppend.join(' | '));
    setter.close();
    other.close();
  });

  test('RFC 3501 §2.3.2: \\Recent — SELECT claims new messages for exactly one session; EXAMINE and STATUS take none', async () => {
    const user = (await store.getUser('carol@example.com'))!;
    const inbox = (await store.getMailbox(user.id, 'INBOX'))!;
    for (let i = 1; i <= 2; i++) await store.appendMessage(inbox.id, { parts: [simpleMessage(i)] });
    const [first, second, watcher] = await Promise.all([loginWire(fx, 'carol@example.com'), loginWire(fx, 'carol@example.com'), loginWire(fx, 'carol@example.com')]);
    assert.ok(ok(await watcher.command('STATUS INBOX (MESSAGES RECENT)')).untagged.includes('* STATUS INBOX (MESSAGES 2 RECENT 2)'));
    // EXAMINE shows them recent but must not take \Recent away (§6.3.2).
    assert.ok(ok(await watcher.command('EXAMINE INBOX')).untagged.includes('* 2 RECENT'));
    ok(await watcher.command('UNSELECT'));
    const selected = ok(await first.command('SELECT INBOX'));
    assert.ok(selected.untagged.includes('* 2 RECENT'), selected.untagged.join(' | '));
    assert.deepEqual(ok(await first.command('FETCH 1:* (FLAGS)')).untagged, ['* 1 FETCH (FLAGS (\\Recent))', '* 2 FETCH (FLAGS (\\Recent))']);
    assert.deepEqual(ok(await first.command('SEARCH RECENT')).untagged, ['* SEARCH 1 2']);
    assert.deepEqual(ok(await first.command('SEARCH NEW')).untagged, ['* SEARCH 1 2']);
    assert.deepEqual(ok(await first.command('SEARCH OLD')).untagged, ['* SEARCH']);
    assert.ok(ok(await second.command('SELECT INBOX')).untagged.includes('* 0 RECENT'));
    assert.deepEqual(ok(await second.command('FETCH 1:* (FLAGS)')).untagged, ['* 1 FETCH (FLAGS ())', '* 2 FETCH (FLAGS ())']);
    assert.deepEqual(ok(await second.command('SEARCH OLD')).untagged, ['* SEARCH 1 2']);
    assert.ok(ok(await watcher.command('STATUS INBOX (RECENT)')).untagged.includes('* STATUS INBOX (RECENT 0)'));
    // STORE and the flags other sessions hear keep \Recent (the client cannot remove it).
    const stored = ok(await first.command('STORE 1 +FLAGS (\\Seen)'));
    assert.deepEqual(stored.untagged, ['* 1 FETCH (FLAGS (\\Seen \\Recent))']);
    assert.deepEqual(ok(await first.command('SEARCH NEW')).untagged, ['* SEARCH 2']);

    // A new message while both have INBOX selected: exactly one of them gets it as \Recent.
    await store.appendMessage(inbox.id, { parts: [simpleMessage(3)] });
    const heard = await Promise.all([noopUntil(first, /^\* 3 EXISTS$/), noopUntil(second, /^\* 3 EXISTS$/)]);
    const flags = await Promise.all([first, second].map(async (wire) => ok(await wire.command('FETCH 3 (FLAGS)')).untagged[0]));
    const recentFor = flags.map((line) => line!.includes('\\Recent'));
    assert.equal(recentFor.filter(Boolean).length, 1, flags.join(' | '));
    const winner = recentFor.indexOf(true);
    assert.ok(heard[winner]!.includes(`* ${winner === 0 ? 3 : 1} RECENT`), heard[winner]!.join(' | '));
    assert.ok(!heard[1 - winner]!.some((line) => / RECENT$/.test(line)), heard[1 - winner]!.join(' | '));
    for (const wire of [first, second, watcher]) wire.close();
  });

  test('RFC 3501 §2.3.2: \\Recent across two mailstores on one store — a new message is recent for exactly one session', async () => {
    const otherStore = await openStore(suite.backend.lastStoreOptions as Parameters<typeof openStore>[0]);
    const other = await startImapFixture(otherStore, suite.backend.dir);
    try {
      const creator = await loginWire(fx, 'carol@example.com');
      ok(await creator.command('CREATE Shared'));
      creator.close();
      const here = await Promise.all([1, 2, 3].map(() => loginWire(fx, 'carol@example.com')));
      const there = await Promise.all([1, 2, 3].map(() => loginWire(other, 'carol@example.com')));
      const sessions = [...here, ...there];
      await Promise.all(sessions.map(async (wire) => ok(await wire.command('SELECT Shared'))));
      const writer = await loginWire(other, 'carol@example.com');
      for (let i = 1; i <= 5; i++) ok(await writer.append('Shared', simpleMessage(i)));
      await Promise.all(sessions.map((wire) => noopUntil(wire, /^\* 5 EXISTS$/)));
      const recent = new Map<number, number>();
      for (const wire of sessions) {
        for (const line of ok(await wire.command('FETCH 1:* (UID FLAGS)')).untagged) {
          const uid = Number(/UID (\d+)/.exec(line)![1]);
          if (line.includes('\\Recent')) recent.set(uid, (recent.get(uid) ?? 0) + 1);
        }
      }
      assert.deepEqual([...recent.entries()].sort((a, b) => a[0] - b[0]), [1, 2, 3, 4, 5].map((uid) => [uid, 1]), 'each message recent in exactly one session');
      for (const wire of [...sessions, writer]) wire.close();
    } finally {
      await other.close();
      await otherStore.close();
    }
  });
});
