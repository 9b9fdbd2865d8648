// LITERAL+, MULTIAPPEND, ESEARCH, LIST-EXTENDED, LIST-STATUS, CREATE-SPECIAL-USE, BINARY and SORT: dialogues after each RFC's examples.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { describeOnBackends, loginWire, type ImapFixture } from './imap-fixture.js';
import type { WireClient } from './imap-wire.js';

function message(subject: string, body = 'Hello.\r\n'): Buffer {
  return Buffer.from(`From: Fred Foobar <foobar@Blurdybloop.example>\r\nSubject: ${subject}\r\nTo: mooch@owatagu.example\r\nMessage-Id: <${subject.replace(/\W/g, '')}@Blurdybloop.example>\r\n\r\n${body}`);
}

/** Sends one command line whose literals are all non-synchronizing (`{n+}`), in a single write. */
function sendPlus(wire: WireClient, tag: string, parts: (string | Buffer)[]): Promise<string[]> {
  return wire.literalCommand(tag, parts);
}

async function appendTo(wire: WireClient, mailbox: string, ...messages: Buffer[]): Promise<void> {
  for (const raw of messages) assert.equal((await wire.append(mailbox, raw)).status, 'OK');
}

describeOnBackends('IMAP extensions after their RFCs', {}, (suite) => {
  let fx: ImapFixture;

  before(async () => {
    ({ fx } = suite);
  });

  test('CAPABILITY advertises LITERAL+ MULTIAPPEND ESEARCH LIST-EXTENDED LIST-STATUS CREATE-SPECIAL-USE BINARY SORT', async () => {
    const wire = await loginWire(fx);
    const caps = (await wire.command('CAPABILITY')).untagged.find((line) => line.startsWith('* CAPABILITY'))!.split(' ');
    for (const name of ['LITERAL+', 'MULTIAPPEND', 'ESEARCH', 'LIST-EXTENDED', 'LIST-STATUS', 'CREATE-SPECIAL-USE', 'BINARY', 'SORT']) assert.ok(caps.includes(name), name);
    wire.close();
  });

  test('RFC 7888 §3: APPEND with a non-synchronizing literal gets no continuation request', async () => {
    const wire = await loginWire(fx);
    await wire.command('CREATE LiteralPlus');
    const lines = await sendPlus(wire, 'A001', ['APPEND LiteralPlus (\\Seen) ', message('literal plus'), ' ']);
    assert.ok(!lines.some((line) => line.startsWith('+')), lines.join('\n'));
    assert.match(lines.at(-1)!, /^A001 OK \[APPENDUID \d+ 1\]/);
    // RFC 7888 §3 applies to every command: a mailbox name as a {n+} literal.
    const create = await sendPlus(wire, 'A002', ['CREATE ', Buffer.from('Literal Name')]);
    assert.match(create.at(-1)!, /^A002 OK/);
    const list = await wire.command('LIST "" "Literal Name"');
    assert.equal(list.untagged.length, 1);
    wire.close();
  });

  test('RFC 7888 §4: a refused non-synchronizing literal closes the connection; its octets never run as a command', async () => {
    const wire = await loginWire(fx);
    const payload = Buffer.from(`X1 CREATE Injected\r\n${'x'.repeat(2000)}`);
    wire.write(Buffer.concat([Buffer.from(`B1 SUBSCRIBE {${payload.length}+}\r\n`), payload, Buffer.from('\r\n')]));
    const lines: string[] = [];
    try {
      for (;;) lines.push(await wire.line(5000));
    } catch {
      // closed
    }
    assert.ok(wire.closed, `connection closed (got ${lines.join(' | ')})`);
    assert.ok(lines.some((line) => /^\* BYE/.test(line)), lines.join('\n'));
    assert.ok(!lines.some((line) => line.startsWith('X1 ')), 'the literal was not read as a command');
    const check = await loginWire(fx);
    assert.deepEqual((await check.command('LIST "" "Injected"')).untagged, []);
    check.close();
  });

  test('RFC 3502 §6.3.11: MULTIAPPEND stores every message with its own flags and date; APPENDUID is one uid-set', async () => {
    const wire = await loginWire(fx);
    await wire.command('CREATE saved-messages');
    const lines = await sendPlus(wire, 'A003', [
      'APPEND saved-messages (\\Seen) ',
      message('afternoon meeting', 'Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n'),
      ' (\\Seen \\Flagged) "7-Feb-1994 22:43:04 -0800" ',
      message('afternoon meeting 2', 'Hello Joe, could we change that to 4:00pm tomorrow?\r\n'),
    ]);
    const [, validity] = /^A003 OK \[APPENDUID (\d+) 1:2\]/.exec(lines.at(-1)!) ?? [];
    assert.ok(validity, lines.at(-1));
    await wire.command('SELECT saved-messages');
    const fetch = await wire.command('FETCH 1:2 (FLAGS INTERNALDATE)');
    assert.match(fetch.untagged[0]!, /^\* 1 FETCH \(FLAGS \(\\Seen \\Recent\) INTERNALDATE/);
    assert.match(fetch.untagged[1]!, /^\* 2 FETCH \(FLAGS \(\\Seen \\Flagged \\Recent\) INTERNALDATE "08-Feb-1994 06:43:04 \+0000"\)/);
    wire.close();
  });

  test('RFC 3502 §6.3.11: when one message is refused, none is appended', async () => {
    const wire = await loginWire(fx);
    await wire.command('CREATE AllOrNothing');
    // The second message has an invalid date-time: BAD, and the first is not stored either.
    const bad = await sendPlus(wire, 'A004', ['APPEND AllOrNothing ', message('first'), ' "31-Foo-2000 00:00:00 +0000" ', message('second')]);
    assert.match(bad.at(-1)!, /^A004 BAD/);
    // An empty message (a zero-length literal) is refused before anything is stored: NO.
    const empty = await sendPlus(wire, 'A005', ['APPEND AllOrNothing ', message('first'), ' ', Buffer.alloc(0)]);
    assert.match(empty.at(-1)!, /^A005 NO \[CANNOT\]/);
    const status = await wire.command('STATUS AllOrNothing (MESSAGES)');
    assert.deepEqual(status.untagged, ['* STATUS AllOrNothing (MESSAGES 0)']);
    // RFC 3502: the missing mailbox is NO [TRYCREATE], and nothing is created.
    const missing = await sendPlus(wire, 'A006', ['APPEND NoSuchBox ', message('one'), ' ', message('two')]);
    assert.match(missing.at(-1)!, /^A006 NO \[TRYCREATE\]/);
    wire.close();
    // RFC 9208 §4.3 with RFC 3502: one message fits the quota, both do not; neither is stored.
    const one = message('quota');
    await fx.addUser('quota@example.com', { quota: Math.floor(one.length * 1.5) });
    const limited = await loginWire(fx, 'quota@example.com');
    const over = await sendPlus(limited, 'A007', ['APPEND INBOX ', one, ' ', one]);
    assert.match(over.at(-1)!, /^A007 NO \[OVERQUOTA\]/);
    assert.deepEqual((await limited.command('STATUS INBOX (MESSAGES)')).untagged, ['* STATUS INBOX (MESSAGES 0)']);
    assert.match((await sendPlus(limited, 'A008', ['APPEND INBOX ', one])).at(-1)!, /^A008 OK/);
    limited.close();
  });

  test('RFC 4731 §3.1: SEARCH RETURN (MIN MAX COUNT ALL) and UID SEARCH answer one ESEARCH', async () => {
    const wire = await loginWire(fx);
    await wire.command('CREATE Esearch');
    await appendTo(wire, 'Esearch', message('one'), message('two'), message('three'), message('four'), message('five'));
    await wire.command('SELECT Esearch');
    await wire.command('STORE 2,3,5 +FLAGS (\\Flagged)');
    const minCount = await wire.command('SEARCH RETURN (MIN COUNT) FLAGGED');
    assert.deepEqual(minCount.untagged, [`* ESEARCH (TAG "${minCount.tagged.split(' ')[0]}") MIN 2 COUNT 3`]);
    const uid = await wire.command('UID SEARCH RETURN (MIN MAX) FLAGGED');
    assert.deepEqual(uid.untagged, [`* ESEARCH (TAG "${uid.tagged.split(' ')[0]}") UID MIN 2 MAX 5`]);
    // RFC 4731 §3.1: RETURN () is RETURN (ALL); ALL is a sequence-set.
    const all = await wire.command('SEARCH RETURN () FLAGGED');
    assert.deepEqual(all.untagged, [`* ESEARCH (TAG "${all.tagged.split(' ')[0]}") ALL 2:3,5`]);
    // Nothing matches: MIN, MAX and ALL are left out, COUNT is 0.
    const none = await wire.command('SEARCH RETURN (MIN MAX ALL COUNT) SUBJECT "no such subject"');
    assert.deepEqual(none.untagged, [`* ESEARCH (TAG "${none.tagged.split(' ')[0]}") COUNT 0`]);
    const unknown = await wire.command('SEARCH RETURN (SAVE-ALL) ALL');
    assert.equal(unknown.status, 'BAD');
    // Without RETURN the answer is the RFC 3501 SEARCH response.
    assert.deepEqual((await wire.command('SEARCH FLAGGED')).untagged, ['* SEARCH 2 3 5']);
    wire.close();
  });

  test('RFC 5258: selection SUBSCRIBED and RECURSIVEMATCH, several patterns, \\NonExistent, CHILDINFO', async () => {
    const wire = await loginWire(fx);
    for (const name of ['Fruit', 'Fruit/Apple', 'Fruit/Banana', 'Vegetable/Broccoli']) await wire.command(`CREATE "${name}"`);
    // CREATE made Vegetable too (RFC 3501 §6.3.3); deleting it leaves a name with inferiors but no mailbox.
    assert.equal((await wire.command('DELETE Vegetable')).status, 'OK');
    await wire.command('SUBSCRIBE Fruit/Banana');
    // RFC 5258 §5 example 3: only subscribed mailboxes, each \Subscribed.
    const subscribed = await wire.command('LIST (SUBSCRIBED) "" "Fruit*"');
    assert.deepEqual(subscribed.untagged, ['* LIST (\\Subscribed \\HasNoChildren) "/" "Fruit/Banana"']);
    // RFC 5258 §5 example 5: a parent with a subscribed child it does not share is listed with CHILDINFO.
    const recursive = await wire.command('LIST (SUBSCRIBED RECURSIVEMATCH) "" "Fruit"');
    assert.deepEqual(recursive.untagged, ['* LIST (\\HasChildren) "/" "Fruit" ("CHILDINFO" ("SUBSCRIBED"))']);
    // RFC 5258 §3.1: RECURSIVEMATCH alone is BAD, as is an unknown option.
    assert.equal((await wire.command('LIST (RECURSIVEMATCH) "" "*"')).status, 'BAD');
    assert.equal((await wire.command('LIST (NOSUCHOPTION) "" "*"')).status, 'BAD');
    // RFC 5258 §3: several patterns, and a hierarchy level that is no mailbox is \NonExistent.
    const patterns = await wire.command('LIST "" ("Fruit/%" "Vegetable") RETURN (CHILDREN)');
    assert.deepEqual(patterns.untagged, [
      '* LIST (\\HasNoChildren) "/" "Fruit/Apple"',
      '* LIST (\\HasNoChildren) "/" "Fruit/Banana"',
      '* LIST (\\NonExistent \\HasChildren) "/" "Vegetable"',
    ]);
    // RFC 3501 §6.3.8: the empty name still asks for the delimiter.
    assert.deepEqual((await wire.command('LIST () "" "" RETURN (CHILDREN)')).untagged, ['* LIST (\\Noselect) "/" ""']);
    // The RFC 3501 form is unchanged.
    const basic = await wire.command('LIST "" "Fruit/%"');
    assert.equal(basic.untagged.length, 2);
    wire.close();
  });

  test('RFC 6154 §3 and §5.1: LIST (SPECIAL-USE) selects, CREATE … (USE (\\Archive)) creates, NO [USE-ATTR] refuses', async () => {
    const wire = await loginWire(fx);
    const created = await wire.command('CREATE MyArchive (USE (\\Archive))');
    assert.equal(created.status, 'OK', created.tagged);
    const special = await wire.command('LIST (SPECIAL-USE) "" "*" RETURN (SPECIAL-USE)');
    assert.ok(special.untagged.includes('* LIST (\\HasNoChildren \\Archive) "/" "MyArchive"'), special.untagged.join('\n'));
    assert.ok(special.untagged.every((line) => /\\(All|Archive|Drafts|Flagged|Junk|Sent|Trash)\)/.test(line)), special.untagged.join('\n'));
    assert.match((await wire.command('CREATE Odd (USE (\\Bogus))')).tagged, /NO \[USE-ATTR\]/);
    // The one \Archive mailbox exists already.
    assert.match((await wire.command('CREATE Second (USE (\\Archive))')).tagged, /NO \[USE-ATTR\]/);
    assert.deepEqual((await wire.command('LIST "" "Odd"')).untagged, []);
    assert.equal((await wire.command('CREATE Odd (USE \\Sent)')).status, 'BAD');
    wire.close();
  });

  test('RFC 5819: LIST … RETURN (STATUS (MESSAGES UNSEEN)) sends each STATUS after its LIST', async () => {
    const wire = await loginWire(fx);
    await wire.command('CREATE Counted');
    await appendTo(wire, 'Counted', message('a'), message('b'));
    await wire.append('Counted', message('c'), '(\\Seen)');
    const list = await wire.command('LIST "" ("Counted" "Vegetable") RETURN (STATUS (MESSAGES UNSEEN))');
    assert.deepEqual(list.untagged, [
      '* LIST (\\HasNoChildren) "/" "Counted"',
      '* STATUS "Counted" (MESSAGES 3 UNSEEN 2)',
      // RFC 5819 §2: no STATUS for a name that is no mailbox.
      '* LIST (\\NonExistent \\HasChildren) "/" "Vegetable"',
    ]);
    assert.equal((await wire.command('LIST "" "*" RETURN (STATUS (NOSUCH))')).status, 'BAD');
    wire.close();
  });

  test('RFC 3516: BINARY[part] decodes base64 and quoted-printable, BINARY.SIZE, literal8, \\Seen, UNKNOWN-CTE', async () => {
    const wire = await loginWire(fx);
    await wire.command('CREATE Binary');
    const bytes = Buffer.from([0x00, 0x01, 0x02, 0xff, 0x00, 0x41]);
    const raw = Buffer.from(
      'From: a@example.com\r\nSubject: binary\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n' +
        '--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nCaf=C3=A9 cr=\r\n=C3=A8me\r\n' +
        `--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n${bytes.toString('base64')}\r\n` +
        '--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 x\r\nend\r\n--b--\r\n',
    );
    await wire.append('Binary', raw);
    await wire.command('SELECT Binary');
    const qp = await wire.command('FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[1])');
    assert.equal(Buffer.from(qp.untagged[0]!, 'binary').toString('utf8'), `* 1 FETCH (BINARY[1] {12}\r\nCafé crème BINARY.SIZE[1] 12)`);
    // (The line break before the boundary belongs to the delimiter, RFC 2046 §5.1.1: the content ends at "crème".)
    // RFC 3516 §4.2: content with NUL goes out as literal8; BINARY.PEEK leaves \Seen alone.
    const base64 = await wire.command('FETCH 1 (BINARY.PEEK[2] FLAGS)');
    assert.equal(base64.untagged[0], `* 1 FETCH (BINARY[2] ~{6}\r\n${bytes.toString('binary')} FLAGS (\\Recent))`);
    const partial = await wire.command('FETCH 1 (BINARY.PEEK[2]<3.2>)');
    assert.equal(partial.untagged[0], `* 1 FETCH (BINARY[2]<3> {2}\r\n\xff\x00)`.replace('{2}', '~{2}'));
    // RFC 3516 §4.2: BINARY[…] sets \Seen as BODY[…] does.
    const seen = await wire.command('FETCH 1 (BINARY[1])');
    assert.match(seen.untagged.join('\n'), /FLAGS \(\\Seen \\Recent\)/);
    // RFC 3516 §4.3: an encoding the server cannot decode is NO [UNKNOWN-CTE].
    assert.match((await wire.command('FETCH 1 (BINARY.PEEK[3])')).tagged, /NO \[UNKNOWN-CTE\]/);
    assert.equal((await wire.command('FETCH 1 (BINARY[1.MIME])')).status, 'BAD');
    wire.close();
  });

  test('RFC 3516 §4.4: APPEND with a literal8 ~{n} stores the bytes as sent', async () => {
    const wire = await loginWire(fx);
    await wire.command('CREATE Binary8');
    const raw = Buffer.concat([Buffer.from('Subject: nul\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n'), Buffer.from([0x41, 0x00, 0x42]), Buffer.from('\r\n')]);
    const appended = await wire.command(`APPEND Binary8 ~{${raw.length}}`, { literal: raw });
    assert.match(appended.tagged, /OK \[APPENDUID \d+ 1\]/);
    await wire.command('SELECT Binary8');
    const fetched = await wire.command('FETCH 1 (BINARY.PEEK[1] RFC822.SIZE)');
    assert.equal(fetched.untagged[0], `* 1 FETCH (BINARY[1] ~{5}\r\nA\x00B\r\n RFC822.SIZE ${raw.length})`);
    wire.close();
  });

  test('RFC 5256: SORT and UID SORT by base subject, dates, addresses and size, REVERSE, ties by sequence number', async () => {
    const wire = await loginWire(fx);
    await wire.command('CREATE Sorted');
    const mail = (from: string, to: string, cc: string, subject: string, date: string, body = 'x\r\n'): Buffer =>
      Buffer.from(`From: ${from}\r\nTo: ${to}\r\nCc: ${cc}\r\nSubject: ${subject}\r\nDate: ${date}\r\n\r\n${body}`);
    // Arrival order (APPEND date-time) differs from the sent dates.
    const messages: [Buffer, string][] = [
      [mail('Carol <carol@example.com>', 'zed@example.com', 'bob@example.com', 'Re: [list] Gamma (fwd)', 'Mon, 3 Feb 2025 10:00:00 +0000', 'xxxxxxxxxxxxxxxxxxxxx\r\n'), '"05-Feb-2025 10:00:00 +0000"'],
      [mail('alice@example.com', 'Yan <yan@example.com>', '', '[fwd: Alpha]', 'Mon, 3 Feb 2025 11:00:00 +0200', 'xx\r\n'), '"04-Feb-2025 10:00:00 +0000"'],
      [mail('"Bob" <BOB@example.com>', 'xavier@example.com', 'alice@example.com', 'beta', 'no date at all', 'xxxxxxxxxxx\r\n'), '"01-Feb-2025 10:00:00 +0000"'],
      [mail('alice@example.com', 'anne@example.com', '', 'Fwd: ALPHA', 'Sun, 2 Feb 2025 10:00:00 -0500'), '"06-Feb-2025 10:00:00 +0000"'],
    ];
    for (const [raw, date] of messages) assert.equal((await wire.append('Sorted', raw, date)).status, 'OK');
    await wire.command('SELECT Sorted');
    const sort = async (command: string): Promise<string[]> => {
      const result = await wire.command(command);
      assert.equal(result.status, 'OK', result.tagged);
      return result.untagged.filter((line) => line.startsWith('* SORT'));
    };
    // SUBJECT: "Alpha" (2 and 4, tie kept in sequence order), "beta", "Gamma"; case-insensitive.
    assert.deepEqual(await sort('SORT (SUBJECT) UTF-8 ALL'), ['* SORT 2 4 3 1']);
    assert.deepEqual(await sort('SORT (REVERSE SUBJECT) UTF-8 ALL'), ['* SORT 1 3 2 4']);
    // ARRIVAL: INTERNALDATE; DATE: the Date field in UTC (11:00 +0200 is before 10:00 +0000), INTERNALDATE when it is unreadable (message 3).
    assert.deepEqual(await sort('SORT (ARRIVAL) UTF-8 ALL'), ['* SORT 3 2 1 4']);
    assert.deepEqual(await sort('SORT (DATE) UTF-8 ALL'), ['* SORT 3 4 2 1']);
    // FROM/TO/CC: the first address's mailbox, case-insensitive; an empty Cc sorts first.
    assert.deepEqual(await sort('SORT (FROM) UTF-8 ALL'), ['* SORT 2 4 3 1']);
    assert.deepEqual(await sort('SORT (TO) UTF-8 ALL'), ['* SORT 4 3 2 1']);
    assert.deepEqual(await sort('SORT (CC) UTF-8 ALL'), ['* SORT 2 4 3 1']);
    assert.deepEqual(await sort('SORT (SIZE) UTF-8 ALL'), ['* SORT 4 2 3 1']);
    // Several keys: FROM, then REVERSE DATE among alice's messages.
    assert.deepEqual(await sort('SORT (FROM REVERSE DATE) UTF-8 ALL'), ['* SORT 2 4 3 1']);
    assert.deepEqual(await sort('SORT (FROM DATE) UTF-8 ALL'), ['* SORT 4 2 3 1']);
    // The search keys select; UID SORT answers UIDs.
    assert.deepEqual(await sort('SORT (SUBJECT) UTF-8 FROM alice'), ['* SORT 2 4']);
    assert.deepEqual(await sort('UID SORT (REVERSE ARRIVAL) US-ASCII NOT FROM alice'), ['* SORT 1 3']);
    assert.deepEqual(await sort('SORT (SUBJECT) UTF-8 SUBJECT nothing-matches'), ['* SORT']);
    assert.equal((await wire.command('SORT (THREAD) UTF-8 ALL')).status, 'BAD');
    assert.equal((await wire.command('SORT (SUBJECT) ALL')).status, 'BAD');
    assert.match((await wire.command('SORT (SUBJECT) KOI8-R ALL')).tagged, /NO \[BADCHARSET/);
    wire.close();
  });

  test('imapflow with the extensions on: APPEND, LIST with status, SEARCH and BINARY download', async () => {
    const client = fx.client('alice@example.com');
    await client.connect();
    await client.mailboxCreate('Flow');
    const appended = await client.append('Flow', message('flow one'), ['\\Flagged']);
    assert.equal(appended && appended.uid, 1);
    await client.append('Flow', message('flow two'));
    const listed = await client.list({ statusQuery: { messages: true, unseen: true } });
    const flow = listed.find((entry) => entry.path === 'Flow');
    assert.equal(flow?.status?.messages, 2);
    const lock = await client.getMailboxLock('Flow');
    try {
      assert.deepEqual(await client.search({ flagged: true }, { uid: true }), [1]);
      // imapflow words RETURN options as ESEARCH (RFC 4731) when the server advertises it.
      const esearch = (await client.search({ all: true }, { uid: true, returnOptions: ['MIN', 'MAX', 'COUNT', 'ALL'] })) as unknown as Record<string, unknown>;
      assert.deepEqual({ min: esearch['min'], max: esearch['max'], count: esearch['count'], all: esearch['all'] }, { min: 1, max: 2, count: 2, all: '1:2' });
      // imapflow's BINARY fetch (RFC 3516) of part 1.
      const fetched = await client.fetchOne('2', { bodyParts: ['1'] }, { uid: true, binary: true } as never);
      assert.ok(fetched);
      assert.equal(fetched.bodyParts?.get('1')?.toString(), 'Hello.\r\n');
      const { content } = await client.download('2', '1', { uid: true, binary: true } as never);
      const chunks: Buffer[] = [];
      assert.ok(content);
      for await (const chunk of content) chunks.push(chunk as Buffer);
      assert.equal(Buffer.concat(chunks).toString(), 'Hello.\r\n');
    } finally {
      lock.release();
    }
  });
});
