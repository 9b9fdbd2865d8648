import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { describeOnBackends, loginWire, type ImapFixture } from './imap-fixture.js';
import { multipartMessage, simpleMessage } from './imap-messages.js';
import type { WireClient } from './imap-wire.js';

/** The numbers of an untagged SEARCH response. */
function hits(untagged: string[]): string {
  const line = untagged.find((entry) => entry.startsWith('* SEARCH'));
  assert.ok(line, `no SEARCH response in ${untagged.join(' | ')}`);
  return line.slice('* SEARCH'.length).trim();
}

describeOnBackends('IMAP SEARCH', {}, (suite) => {
  let fx: ImapFixture;
  let wire: WireClient;

  before(async () => {
    ({ fx } = suite);
    wire = await loginWire(fx);
    await wire.command('CREATE Find');
    // 1: plain, from alice, 3 Nov; 2: from bob, 10 Nov, big; 3: multipart (Jürgen, UTF-8 subject, QP body)
    // 4: a reply with a custom header; 5: deleted + keyword
    await wire.append('Find', simpleMessage(1, { subject: 'Quarterly report', date: 'Mon, 3 Nov 2025 09:00:00 +0000', body: 'Numbers are up this quarter.' }), '"03-Nov-2025 09:00:00 +0000"');
    await wire.append(
      'Find',
      simpleMessage(2, { from: 'Bob <bob@example.org>', subject: 'Lunch?', date: 'Mon, 10 Nov 2025 12:00:00 +0000', body: `Pizza ${'x'.repeat(4000)}` }),
      '(\\Seen) "10-Nov-2025 12:00:00 +0000"',
    );
    await wire.append('Find', multipartMessage(), '(\\Flagged) "15-Nov-2025 08:00:00 +0000"');
    await wire.append(
      'Find',
      Buffer.from('From: carol@example.com\r\nTo: alice@example.com\r\nSubject: Re: Lunch?\r\nX-Priority: 1 (Highest)\r\nDate: Thu, 20 Nov 2025 10:00:00 +0000\r\n\r\nYes, at noon.\r\n'),
      '(\\Answered) "20-Nov-2025 10:00:00 +0000"',
    );
    await wire.append('Find', simpleMessage(5, { subject: 'Spam offer', body: 'Buy now' }), '(\\Deleted $Junk) "21-Nov-2025 10:00:00 +0000"');
    await wire.command('SELECT Find');
  });

  after(() => {
    wire.close();
    probe?.wire.close();
  });

  test('searches header fields: SUBJECT, FROM, TO, CC and any HEADER, case-insensitively and decoded', async () => {
    assert.equal(hits((await wire.command('SEARCH SUBJECT lunch')).untagged), '2 4');
    assert.equal(hits((await wire.command('SEARCH FROM bob@example.org')).untagged), '2');
    assert.equal(hits((await wire.command('SEARCH FROM "jürgen"')).untagged), '3');
    assert.equal(hits((await wire.command('SEARCH CHARSET UTF-8 SUBJECT "Grüße"')).untagged), '3');
    assert.equal(hits((await wire.command('SEARCH CC carol')).untagged), '3');
    assert.equal(hits((await wire.command('SEARCH TO alice')).untagged), '3 4');
    assert.equal(hits((await wire.command('SEARCH HEADER X-Priority highest')).untagged), '4');
    assert.equal(hits((await wire.command('SEARCH HEADER X-Priority ""')).untagged), '4');
    assert.equal(hits((await wire.command('SEARCH HEADER Message-ID "<msg-2@"')).untagged), '2');
  });

  test('searches BODY and TEXT, decoding quoted-printable and reading HTML-only text', async () => {
    assert.equal(hits((await wire.command('SEARCH BODY quarter')).untagged), '1 3');
    assert.equal(hits((await wire.command('SEARCH BODY "schöne"')).untagged), '3');
    assert.equal(hits((await wire.command('SEARCH BODY pizza')).untagged), '2');
    assert.equal(hits((await wire.command('SEARCH TEXT noon')).untagged), '4');
    assert.equal(hits((await wire.command('SEARCH TEXT "X-Priority"')).untagged), '4');
    assert.equal(hits((await wire.command('SEARCH BODY nothing-like-this')).untagged), '');
  });

  test('searches dates: internal (BEFORE, ON, SINCE) and sent (SENTBEFORE, SENTON, SENTSINCE)', async () => {
    assert.equal(hits((await wire.command('SEARCH BEFORE 10-Nov-2025')).untagged), '1');
    assert.equal(hits((await wire.command('SEARCH ON 10-Nov-2025')).untagged), '2');
    assert.equal(hits((await wire.command('SEARCH SINCE 15-Nov-2025')).untagged), '3 4 5');
    assert.equal(hits((await wire.command('SEARCH SENTBEFORE 4-Nov-2025')).untagged), '1 3');
    assert.equal(hits((await wire.command('SEARCH SENTON 20-Nov-2025')).untagged), '4');
    assert.equal(hits((await wire.command('SEARCH SENTSINCE 10-Nov-2025 SENTBEFORE 21-Nov-2025')).untagged), '2 4');
    assert.equal((await wire.command('SEARCH BEFORE 2025-11-10')).status, 'BAD');
  });

  test('searches sizes, flags, keywords and combines keys with OR and NOT', async () => {
    assert.equal(hits((await wire.command('SEARCH LARGER 3000')).untagged), '2');
    assert.equal(hits((await wire.command('SEARCH SMALLER 190')).untagged), '4 5');
    assert.equal(hits((await wire.command('SEARCH SEEN')).untagged), '2');
    assert.equal(hits((await wire.command('SEARCH UNSEEN UNDELETED')).untagged), '1 3 4');
    assert.equal(hits((await wire.command('SEARCH FLAGGED')).untagged), '3');
    assert.equal(hits((await wire.command('SEARCH ANSWERED')).untagged), '4');
    assert.equal(hits((await wire.command('SEARCH DELETED KEYWORD $Junk')).untagged), '5');
    assert.equal(hits((await wire.command('SEARCH UNKEYWORD $Junk')).untagged), '1 2 3 4');
    assert.equal(hits((await wire.command('SEARCH OR FLAGGED ANSWERED')).untagged), '3 4');
    assert.equal(hits((await wire.command('SEARCH NOT OR FLAGGED ANSWERED')).untagged), '1 2 5');
    assert.equal(hits((await wire.command('SEARCH (OR SEEN FLAGGED) SUBJECT lunch')).untagged), '2');
    // This session's SELECT was the first: every message is \Recent for it (RFC 3501 §2.3.2).
    assert.equal(hits((await wire.command('SEARCH RECENT')).untagged), '1 2 3 4 5');
    assert.equal(hits((await wire.command('SEARCH ALL')).untagged), '1 2 3 4 5');
  });

  test('sequence and UID sets: SEARCH 2:4, UID SEARCH UID 3:*, and UID SEARCH answers UIDs', async () => {
    assert.equal(hits((await wire.command('SEARCH 2:4')).untagged), '2 3 4');
    assert.equal(hits((await wire.command('SEARCH 2,4:* NOT DELETED')).untagged), '2 4');
    assert.equal(hits((await wire.command('UID SEARCH UID 3:*')).untagged), '3 4 5');
    assert.equal(hits((await wire.command('UID SEARCH SUBJECT lunch')).untagged), '2 4');
  });

  test('MODSEQ search reports the highest MODSEQ of the matches (RFC 7162 §3.1.5)', async () => {
    // The five messages took MODSEQs 2..6 (the mailbox started at 1); this change takes 7.
    await wire.command('STORE 1 +FLAGS (\\Flagged)');
    const result = await wire.command('SEARCH MODSEQ 7');
    assert.deepEqual(result.untagged.filter((line) => line.startsWith('* SEARCH')), ['* SEARCH 1 (MODSEQ 7)']);
    await wire.command('STORE 1 -FLAGS (\\Flagged)');
  });

  test('a charset it cannot read gets NO [BADCHARSET]; an unknown key gets BAD and the session goes on', async () => {
    const charset = await wire.command('SEARCH CHARSET KOI8-R SUBJECT x');
    assert.equal(charset.status, 'NO');
    assert.match(charset.tagged, /\[BADCHARSET/);
    const unknown = await wire.command('SEARCH FROBNICATE 1');
    assert.equal(unknown.status, 'BAD');
    assert.equal((await wire.command('NOOP')).status, 'OK');
  });

  // RFC 3501 §6.4.4 and the grammar of §9 (search-key), with RFC 7162 §3.1.5 MODSEQ: each key and what it takes.
  const KEYS_WITH_ARGUMENTS: [string, string][] = [
    ['BCC', 'alice'],
    ['BEFORE', '1-Feb-1994'],
    ['BODY', 'pizza'],
    ['CC', 'carol'],
    ['FROM', 'bob'],
    ['HEADER', 'X-Priority highest'],
    ['KEYWORD', '$Junk'],
    ['LARGER', '100'],
    ['NOT', 'SEEN'],
    ['ON', '10-Nov-2025'],
    ['OR', 'SEEN FLAGGED'],
    ['SENTBEFORE', '1-Feb-1994'],
    ['SENTON', '1-Feb-1994'],
    ['SENTSINCE', '1-Feb-1994'],
    ['SINCE', '1-Feb-1994'],
    ['SMALLER', '100'],
    ['SUBJECT', 'lunch'],
    ['TEXT', 'noon'],
    ['TO', 'alice'],
    ['UID', '1:*'],
    ['UNKEYWORD', '$Junk'],
    ['MODSEQ', '1'],
  ];

  /** imap-core closes a connection after 50 BADs (a client stuck in a loop): the probes switch connections before that. */
  let probe: { wire: WireClient; bad: number } | null = null;
  async function probeWire(): Promise<WireClient> {
    if (!probe || probe.bad >= 40) {
      probe?.wire.close();
      const fresh = await loginWire(fx);
      assert.equal((await fresh.command('EXAMINE Find')).status, 'OK');
      probe = { wire: fresh, bad: 0 };
    }
    probe.bad++;
    return probe.wire;
  }

  /** A BAD that names the problem in protocol words, never a JavaScript exception's text; the session goes on. */
  async function assertBad(command: string): Promise<void> {
    const result = await (await probeWire()).command(command);
    assert.equal(result.status, 'BAD', `${command} → ${result.tagged}`);
    assert.doesNotMatch(result.tagged, /undefined|TypeError|Cannot read|reading '|is not a function|\bnull\b/i, command);
    assert.ok(!result.untagged.some((line) => line.startsWith('* SEARCH')), `${command} searched anyway`);
  }

  test('every search key without its argument gets BAD naming the key (RFC 3501 §6.4.4, §9)', async () => {
    for (const [key, argument] of KEYS_WITH_ARGUMENTS) {
      // The key with its argument is accepted; without it (alone, last, or before another key) it is BAD.
      assert.equal((await wire.command(`SEARCH ${key} ${argument}`)).status, 'OK', `SEARCH ${key} ${argument}`);
      await assertBad(`SEARCH ${key}`);
      await assertBad(`SEARCH ALL ${key}`);
      await assertBad(`SEARCH (${key})`);
      await assertBad(`UID SEARCH ${key}`);
    }
    for (const partial of ['HEADER X-Priority', 'OR ALL', 'OR SEEN', 'NOT NOT', 'OR (ALL) ()', 'CHARSET', 'CHARSET UTF-8', 'MODSEQ "/flags/\\\\Seen" all', '']) {
      await assertBad(`SEARCH ${partial}`.trimEnd());
    }
    const missing = await (await probeWire()).command('SEARCH UID');
    assert.match(missing.tagged, /BAD .*UID/);
    assert.equal((await (await probeWire()).command('NOOP')).status, 'OK');
  });

  test('a search key with an argument of the wrong type gets BAD (RFC 3501 §9)', async () => {
    for (const wrong of [
      'LARGER abc',
      'LARGER -1',
      'SMALLER 1e3',
      'LARGER ""',
      'BEFORE 2025-11-10',
      'SINCE 99',
      'SENTON (1-Feb-1994)',
      'UID abc',
      'UID (1)',
      'UID 1:x',
      'FROM (bob)',
      'SUBJECT NIL',
      'HEADER (X-Priority) highest',
      'KEYWORD ($Junk)',
      'MODSEQ x',
      'MODSEQ "/flags/\\\\Seen" all x',
      'FROBNICATE',
    ]) {
      await assertBad(`SEARCH ${wrong}`);
    }
    assert.equal((await (await probeWire()).command('NOOP')).status, 'OK');
  });

  test('a parenthesized list is one key: OR and NOT take it whole (RFC 3501 §6.4.4)', async () => {
    // 2 is seen and about lunch, 3 flagged, 4 about lunch but unseen.
    assert.equal(hits((await wire.command('SEARCH OR (SEEN SUBJECT lunch) FLAGGED')).untagged), '2 3');
    assert.equal(hits((await wire.command('SEARCH NOT (SUBJECT lunch UNSEEN)')).untagged), '1 2 3 5');
    assert.equal(hits((await wire.command('SEARCH ((SUBJECT lunch) (NOT SEEN))')).untagged), '4');
    assert.equal(hits((await wire.command('SEARCH OR FLAGGED (ANSWERED)')).untagged), '3 4');
  });

  test('imapflow search with an object query', async () => {
    const client = fx.client('alice@example.com');
    await client.connect();
    const lock = await client.getMailboxLock('Find');
    try {
      assert.deepEqual(await client.search({ subject: 'lunch', seen: false }), [4]);
      assert.deepEqual(await client.search({ or: [{ from: 'bob' }, { flagged: true }] }), [2, 3]);
      assert.deepEqual(await client.search({ since: new Date('2025-11-15T00:00:00Z'), deleted: false }), [3, 4]);
      assert.deepEqual(await client.search({ uid: '1:2' }, { uid: true }), [1, 2]);
    } finally {
      lock.release();
    }
    await client.logout();
  });

});
