import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { describeOnBackends, loginWire, type ImapFixture } from './imap-fixture.js';
import { multipartMessage, simpleMessage } from './imap-messages.js';

describeOnBackends('IMAP APPEND and FETCH', { config: { smtpd: { message_size_limit: '64K' } } }, (suite) => {
  let fx: ImapFixture;

  before(async () => {
    ({ fx } = suite);
    await fx.addUser('quota@example.com', { quota: 2048 });
  });

  test('APPEND with flags and a date answers APPENDUID; FETCH gives back the flags, date, size and exact bytes', async () => {
    const wire = await loginWire(fx);
    await wire.command('CREATE RoundTrip');
    const raw = multipartMessage();
    const appended = await wire.append('RoundTrip', raw, '(\\Flagged $Important) "03-Nov-2025 08:15:00 +0100"');
    assert.equal(appended.status, 'OK', appended.tagged);
    const appendUid = /\[APPENDUID (\d+) (\d+)\]/.exec(appended.tagged);
    assert.ok(appendUid, appended.tagged);
    assert.equal(appendUid[2], '1');
    const select = await wire.command('SELECT RoundTrip');
    assert.ok(select.untagged.includes(`* OK [UIDVALIDITY ${appendUid[1]}] UIDs valid`));
    assert.ok(select.untagged.includes('* 1 EXISTS'));
    const fetch = await wire.command('FETCH 1 (UID FLAGS INTERNALDATE RFC822.SIZE)');
    assert.deepEqual(fetch.untagged, [`* 1 FETCH (UID 1 FLAGS (\\Flagged $Important \\Recent) INTERNALDATE "03-Nov-2025 07:15:00 +0000" RFC822.SIZE ${raw.length})`]);
    const body = await wire.command('UID FETCH 1 (BODY.PEEK[])');
    assert.equal(body.untagged[0], `* 1 FETCH (BODY[] {${raw.length}}\r\n${raw.toString('binary')} UID 1)`);
    wire.close();
  });

  test('imapflow round trip: ENVELOPE, BODYSTRUCTURE of a multipart message, parts and a partial body', async () => {
    const client = fx.client('alice@example.com');
    await client.connect();
    await client.mailboxCreate('Imapflow');
    const raw = multipartMessage();
    await client.append('Imapflow', raw);
    const lock = await client.getMailboxLock('Imapflow');
    try {
      const message = await client.fetchOne('1', { envelope: true, bodyStructure: true, size: true, uid: true });
      assert.ok(message);
      const envelope = message.envelope!;
      assert.equal(envelope.subject, 'Grüße aus Köln');
      assert.deepEqual(envelope.from, [{ name: 'Jürgen Müller', address: 'juergen@example.de' }]);
      assert.deepEqual(envelope.to, [{ name: 'Alice', address: 'alice@example.com' }, { name: '', address: 'bob@example.com' }]);
      assert.deepEqual(envelope.cc, [{ name: 'Carol', address: 'carol@example.com' }]);
      assert.equal(envelope.messageId, '<multi-1@example.de>');
      assert.equal(envelope.inReplyTo, '<earlier@example.com>');
      assert.equal(new Date(envelope.date!).toISOString(), '2025-11-03T07:15:00.000Z');

      const structure = message.bodyStructure!;
      assert.equal(structure.type, 'multipart/mixed');
      const [alternative, attachment] = structure.childNodes!;
      assert.equal(alternative!.type, 'multipart/alternative');
      assert.deepEqual(alternative!.childNodes!.map((node) => [node.part, node.type]), [['1.1', 'text/plain'], ['1.2', 'text/html']]);
      assert.equal(alternative!.childNodes![0]!.encoding, 'quoted-printable');
      assert.equal(alternative!.childNodes![0]!.parameters?.charset, 'utf-8');
      assert.equal(attachment!.part, '2');
      assert.equal(attachment!.type, 'application/pdf');
      assert.equal(attachment!.disposition, 'attachment');
      assert.equal(attachment!.dispositionParameters?.filename, 'report.pdf');

      const parts = await client.fetchOne('1', { bodyParts: ['1.2', '2', '2.MIME', 'HEADER'] });
      assert.ok(parts);
      assert.equal(parts.bodyParts!.get('1.2')!.toString(), '<p>Hallo Alice, the <b>quarterly numbers</b> are attached.</p>');
      assert.equal(Buffer.from(parts.bodyParts!.get('2')!.toString(), 'base64').toString(), '%PDF-1.4 pretend this is a report');
      assert.match(parts.bodyParts!.get('2.mime')!.toString(), /^Content-Type: application\/pdf; name="report.pdf"\r\n/);
      // imapflow hands BODY[HEADER] back as `headers`.
      const header = parts.headers!.toString();
      assert.ok(raw.toString().startsWith(header), 'BODY[HEADER] is the stored header');
      assert.ok(header.endsWith('\r\n\r\n'));

      const partial = await client.fetchOne('1', { source: { start: 6, maxLength: 25 } });
      assert.ok(partial);
      assert.equal(partial.source!.toString(), raw.subarray(6, 31).toString());
    } finally {
      lock.release();
    }
    await client.logout();
  });

  test('BODY[section]<partial> is answered with the origin only, and HEADER.FIELDS with the chosen fields', async () => {
    const wire = await loginWire(fx);
    await wire.command('CREATE Sections');
    const raw = simpleMessage(1, { subject: 'Fields test' });
    await wire.append('Sections', raw);
    await wire.command('SELECT Sections');
    const partial = await wire.command('FETCH 1 (BODY.PEEK[TEXT]<5.4>)');
    assert.equal(partial.untagged[0], '* 1 FETCH (BODY[TEXT]<5> {4}\r\nof m)');
    const fields = await wire.command('FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT MESSAGE-ID)])');
    const chosen = 'Subject: Fields test\r\nMessage-ID: <msg-1@example.com>\r\n\r\n';
    assert.equal(fields.untagged[0], `* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT MESSAGE-ID)] {${chosen.length}}\r\n${chosen})`);
    const none = await wire.command('FETCH 1 (BODY.PEEK[HEADER.FIELDS (X-NOTHING)])');
    assert.equal(none.untagged[0], '* 1 FETCH (BODY[HEADER.FIELDS (X-NOTHING)] {2}\r\n\r\n)');
    const not = await wire.command('FETCH 1 (BODY.PEEK[HEADER.FIELDS.NOT (FROM TO DATE MESSAGE-ID)])');
    assert.equal(not.untagged[0], '* 1 FETCH (BODY[HEADER.FIELDS.NOT (FROM TO DATE MESSAGE-ID)] {24}\r\nSubject: Fields test\r\n\r\n)');
    const rfc822 = await wire.command('FETCH 1 (RFC822.HEADER RFC822.TEXT)');
    const headerEnd = raw.indexOf('\r\n\r\n') + 4;
    assert.equal(
      rfc822.untagged[0],
      // RFC 3501 §6.4.5: RFC822.TEXT is BODY[TEXT], which sets \Seen (and the changed FLAGS come along).
      `* 1 FETCH (RFC822.HEADER {${headerEnd}}\r\n${raw.subarray(0, headerEnd).toString()} RFC822.TEXT {${raw.length - headerEnd}}\r\n${raw.subarray(headerEnd).toString()} FLAGS (\\Seen \\Recent))`,
    );
    wire.close();
  });

  test('BODY[] sets \\Seen (and reports FLAGS); BODY.PEEK[] and EXAMINE leave it alone', async () => {
    const wire = await loginWire(fx);
    await wire.command('CREATE Seen');
    await wire.append('Seen', simpleMessage(1));
    await wire.append('Seen', simpleMessage(2));
    await wire.command('EXAMINE Seen');
    const examined = await wire.command('FETCH 1 (BODY[TEXT])');
    assert.doesNotMatch(examined.untagged[0]!, /\\Seen/);
    await wire.command('SELECT Seen');
    const peek = await wire.command('FETCH 2 (BODY.PEEK[TEXT] FLAGS)');
    // EXAMINE took no \Recent away, so SELECT gets both messages as \Recent (RFC 3501 §6.3.2, §2.3.2).
    assert.match(peek.untagged[0]!, /FLAGS \(\\Recent\)/);
    const read = await wire.command('FETCH 1 (BODY[TEXT])');
    assert.match(read.untagged[0]!, /FLAGS \(\\Seen \\Recent\)/);
    const flags = await wire.command('FETCH 1:2 (FLAGS)');
    assert.deepEqual(flags.untagged, ['* 1 FETCH (FLAGS (\\Seen \\Recent))', '* 2 FETCH (FLAGS (\\Recent))']);
    wire.close();
  });

  test('ENVELOPE text is RFC 2047-encoded unless the client enabled UTF8=ACCEPT', async () => {
    const wire = await loginWire(fx);
    await wire.command('CREATE Utf8');
    await wire.append('Utf8', multipartMessage());
    await wire.command('SELECT Utf8');
    const encoded = await wire.command('FETCH 1 (ENVELOPE)');
    assert.match(encoded.untagged[0]!, /"=\?UTF-8\?Q\?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln\?="/);
    assert.match(encoded.untagged[0]!, /\("=\?UTF-8\?Q\?J=C3=BCrgen_M=C3=BCller\?=" NIL "juergen" "example.de"\)/);
    await wire.command('UNSELECT');
    await wire.command('ENABLE UTF8=ACCEPT');
    await wire.command('SELECT Utf8');
    const raw = await wire.command('FETCH 1 (ENVELOPE)');
    assert.match(Buffer.from(raw.untagged[0]!, 'binary').toString('utf8'), /"Grüße aus Köln"/);
    wire.close();
  });

  test('FETCH FAST, ALL and FULL macros and BODY give the short structure', async () => {
    const wire = await loginWire(fx);
    await wire.command('CREATE Macros');
    await wire.append('Macros', simpleMessage(1));
    await wire.command('SELECT Macros');
    const full = await wire.command('FETCH 1 FULL');
    assert.match(full.untagged[0]!, /^\* 1 FETCH \(FLAGS \(\\Recent\) INTERNALDATE "[^"]+" RFC822.SIZE \d+ ENVELOPE \(.*\) BODY \("TEXT" "PLAIN" NIL NIL NIL "7BIT" \d+ \d+\)\)$/);
    wire.close();
  });

  test('APPEND refuses a missing folder with TRYCREATE, a message over the size limit with TOOBIG, and over quota with OVERQUOTA', async () => {
    const wire = await loginWire(fx);
    const missing = await wire.append('Nowhere', simpleMessage(1));
    assert.equal(missing.status, 'NO');
    assert.match(missing.tagged, /\[TRYCREATE\]/);
    const big = Buffer.concat([simpleMessage(2), Buffer.alloc(70 * 1024, 'x')]);
    const tooBig = await wire.append('INBOX', big);
    assert.equal(tooBig.status, 'NO');
    assert.match(tooBig.tagged, /\[TOOBIG\]/);
    // Beyond imap-core's literal ceiling the literal is refused before it is sent.
    wire.write(`H1 APPEND INBOX {${5 * 1024 * 1024}}\r\n`);
    assert.match(await wire.line(), /^H1 NO \[TOOBIG\]/);
    assert.equal((await wire.command('NOOP')).status, 'OK');
    wire.close();

    const limited = await loginWire(fx, 'quota@example.com');
    assert.equal((await limited.append('INBOX', simpleMessage(3))).status, 'OK');
    const over = await limited.append('INBOX', Buffer.concat([simpleMessage(4), Buffer.alloc(3000, 'y')]));
    assert.equal(over.status, 'NO');
    assert.match(over.tagged, /\[OVERQUOTA\]/);
    const quota = await limited.command('GETQUOTAROOT INBOX');
    assert.equal(quota.untagged[0], '* QUOTAROOT "INBOX" ""');
    assert.match(quota.untagged[1]!, /^\* QUOTA "" \(STORAGE 1 2\)$/);
    limited.close();
  });

  test('BINARY without a section or with a non-part section gets BAD without ending the session (RFC 3516 §6)', async () => {
    const wire = await loginWire(fx);
    await wire.command('SELECT INBOX');
    assert.equal((await wire.command('FETCH 1 (BINARY)')).status, 'BAD');
    assert.equal((await wire.command('FETCH 1 (BINARY.SIZE)')).status, 'BAD');
    assert.equal((await wire.command('FETCH 1 (BINARY[HEADER])')).status, 'BAD');
    assert.equal((await wire.command('NOOP')).status, 'OK');
    wire.close();
  });

});
