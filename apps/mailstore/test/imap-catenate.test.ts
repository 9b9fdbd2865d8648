// CATENATE (RFC 4469): APPEND built from literals and IMAP URLs (RFC 5092), after the RFC's example, on both stores.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { python } from '../../../test/support/python.js';
import { requireTool } from '../../../test/support/tools.js';
import { PASSWORD } from './fixture.js';
import { parseMessageUrl } from '../src/imap/imap-url.js';
import { describeOnBackends, loginWire, type ImapFixture } from './imap-fixture.js';
import type { WireClient } from './imap-wire.js';

const BOUNDARY = '------------030308070208000400050907';
const CRLF = '\r\n';

/** The draft of RFC 4469's example: a multipart/mixed header and one text part. */
const draftHeader = [
  'From: Alice <alice@example.com>',
  'To: Carol <carol@example.net>',
  'Subject: Fwd: quarterly figures',
  'Message-Id: <draft-20@example.com>',
  'MIME-Version: 1.0',
  `Content-Type: multipart/mixed; boundary="${BOUNDARY}"`,
  '',
  '',
].join(CRLF);
const draftTextMime = `Content-Type: text/plain; charset=us-ascii${CRLF}${CRLF}`;
const draftTextBody = `Carol, the figures Bob sent are attached.${CRLF}-- ${CRLF}Alice`;
const draft = Buffer.from(`${draftHeader}This is a multi-part message in MIME format.${CRLF}--${BOUNDARY}${CRLF}${draftTextMime}${draftTextBody}${CRLF}--${BOUNDARY}--${CRLF}`);

/** Bob's message in the INBOX, with an attachment (part 2) that holds every octet value. */
const inner = 'bob-boundary';
const attachmentMime = `Content-Type: application/octet-stream; name="figures.bin"${CRLF}Content-Transfer-Encoding: base64${CRLF}Content-Disposition: attachment; filename="figures.bin"${CRLF}${CRLF}`;
const attachmentBody = (
  Buffer.from(Array.from({ length: 256 }, (_, i) => i))
    .toString('base64')
    .match(/.{1,76}/g) ?? []
).join(CRLF);
const original = Buffer.from(
  [
    'From: Bob <bob@example.org>',
    'To: Alice <alice@example.com>',
    'Subject: quarterly figures',
    'Message-Id: <figures@example.org>',
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${inner}"`,
    '',
    `--${inner}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    'Les chiffres du trimestre — voir la pièce jointe.',
    `--${inner}`,
    `${attachmentMime}${attachmentBody}`,
    `--${inner}--`,
    '',
  ].join(CRLF),
);

const delimiter = `${CRLF}--${BOUNDARY}${CRLF}`;
const closing = `${CRLF}--${BOUNDARY}--${CRLF}`;

function simple(subject: string, body = 'Hello.\r\n'): Buffer {
  return Buffer.from(`From: Bob <bob@example.org>\r\nTo: Alice <alice@example.com>\r\nSubject: ${subject}\r\n\r\n${body}`);
}

/** The UIDVALIDITY of a mailbox, and the UID an APPEND reported (RFC 4315 APPENDUID). */
async function appendOne(wire: WireClient, mailbox: string, raw: Buffer): Promise<{ uidValidity: number; uid: number }> {
  const result = await wire.append(mailbox, raw);
  const match = /\[APPENDUID (\d+) (\d+)\]/.exec(result.tagged);
  assert.ok(match, result.tagged);
  return { uidValidity: Number(match[1]), uid: Number(match[2]) };
}

async function messages(wire: WireClient, mailbox: string): Promise<number> {
  const status = await wire.command(`STATUS "${mailbox}" (MESSAGES)`);
  return Number(/MESSAGES (\d+)/.exec(status.untagged[0] ?? '')?.[1]);
}

async function fetchBody(wire: WireClient, mailbox: string, uid: number): Promise<Buffer> {
  await wire.command(`EXAMINE "${mailbox}"`);
  const fetch = await wire.command(`UID FETCH ${uid} BODY.PEEK[]`);
  const line = fetch.untagged.find((l) => l.includes('BODY[]'));
  assert.ok(line, fetch.untagged.join('\n'));
  const [, size] = /BODY\[\] \{(\d+)\}\r\n/.exec(line) ?? [];
  const start = line.indexOf('}\r\n') + 3;
  return Buffer.from(line.slice(start, start + Number(size)), 'binary');
}

test('RFC 5092 §6: message URLs parse to mailbox, UIDVALIDITY, UID, section and partial; other URLs name no message', () => {
  assert.deepEqual(parseMessageUrl('/Drafts;UIDVALIDITY=385759045/;UID=20/;section=1.MIME'), {
    user: null,
    host: null,
    mailbox: 'Drafts',
    uidValidity: 385759045,
    uid: 20,
    section: { path: '1', type: 'mime' },
    partial: null,
    urlauth: false,
  });
  assert.deepEqual(parseMessageUrl('imap://fred%40example.com;AUTH=*@[::1]:143/Fruit/Ma%C3%A7%C3%A3/;UID=7/;SECTION=2.HEADER.FIELDS%20(From%20%22To%22)/;PARTIAL=10.5'), {
    user: 'fred@example.com',
    host: '::1',
    mailbox: 'Fruit/Maçã',
    uidValidity: null,
    uid: 7,
    section: { path: '2', type: 'header.fields', headers: ['from', 'to'] },
    partial: { start: 10, length: 5 },
    urlauth: false,
  });
  assert.equal(parseMessageUrl('/INBOX/;UID=3;URLAUTH=anonymous:internal:0123')?.urlauth, true);
  assert.deepEqual(parseMessageUrl('/INBOX/;UID=3/;SECTION=TEXT')?.section, { path: '', type: 'text' });
  for (const url of [
    '/INBOX',
    '/INBOX/;UID=0',
    '/INBOX/;UID=4294967296',
    '/INBOX;UIDVALIDITY=0/;UID=1',
    '/INBOX/;UID=1/;SECTION=MIME',
    '/INBOX/;UID=1/;SECTION=1.HEADER.FIELDS',
    '/INBOX/;UID=1/;SECTION=1.TEXT%20(From)',
    '/INBOX/;UID=1/;PARTIAL=1.0',
    '/IN%ZZBOX/;UID=1',
    '/%FF/;UID=1',
    'imap://mail.example.com/INBOX?SUBJECT%20x',
    'http://mail.example.com/INBOX/;UID=1',
    'INBOX/;UID=1',
  ]) {
    assert.equal(parseMessageUrl(url), null, url);
  }
});

describeOnBackends('IMAP CATENATE (RFC 4469)', { users: ['alice@example.com', 'bob@example.com'], config: { smtpd: { message_size_limit: '100K' } } }, (suite) => {
  let fx: ImapFixture;
  let wire: WireClient;
  let inbox: { uidValidity: number; uid: number };
  let drafts: { uidValidity: number; uid: number };

  before(async () => {
    ({ fx } = suite);
    wire = await loginWire(fx);
    await wire.command('CREATE Drafts');
    inbox = await appendOne(wire, 'INBOX', original);
    drafts = await appendOne(wire, 'Drafts', draft);
  });

  test('CAPABILITY advertises CATENATE', async () => {
    const caps = (await wire.command('CAPABILITY')).untagged.join(' ');
    assert.match(caps, / CATENATE( |$)/);
  });

  test('RFC 4469 §3 example: a forward built from the draft and the attachment by URL is stored byte-exact, with APPENDUID', async () => {
    const d = `/Drafts;UIDVALIDITY=${drafts.uidValidity}/;UID=${drafts.uid}`;
    const i = `/INBOX;UIDVALIDITY=${inbox.uidValidity}/;UID=${inbox.uid}`;
    // Synchronizing literals, as in the RFC's dialogue: each TEXT waits for "+".
    const lines = await wire.literalCommand(
      'A003',
      [
        `APPEND Drafts (\\Seen \\Draft $MDNSent) CATENATE (URL "${d}/;section=HEADER" TEXT `,
        Buffer.from(delimiter),
        ` URL "${d}/;section=1.MIME" URL "${d}/;section=1" TEXT `,
        Buffer.from(delimiter),
        ` URL "${i}/;SECTION=2.MIME" URL "${i}/;SECTION=2" TEXT `,
        Buffer.from(`${delimiter}Content-Type: message/rfc822${CRLF}${CRLF}`),
        ` URL "${i}" TEXT `,
        Buffer.from(closing),
        ')',
      ],
      { synchronizing: true },
    );
    assert.equal(lines.filter((line) => line.startsWith('+')).length, 4, lines.join('\n'));
    const match = /^A003 OK \[APPENDUID (\d+) (\d+)\]/.exec(lines.at(-1)!);
    assert.ok(match, lines.at(-1));
    assert.equal(Number(match[1]), drafts.uidValidity);
    const expected = Buffer.concat([
      Buffer.from(draftHeader),
      Buffer.from(delimiter),
      Buffer.from(draftTextMime),
      Buffer.from(draftTextBody),
      Buffer.from(delimiter),
      Buffer.from(attachmentMime),
      Buffer.from(attachmentBody),
      Buffer.from(`${delimiter}Content-Type: message/rfc822${CRLF}${CRLF}`),
      original,
      Buffer.from(closing),
    ]);
    const stored = await fetchBody(wire, 'Drafts', Number(match[2]));
    assert.equal(stored.length, expected.length);
    assert.ok(stored.equals(expected), 'the stored message is the concatenation of the parts');
    // The flags of the APPEND, and the new message parses as the three-part forward it is.
    const meta = await wire.command(`UID FETCH ${match[2]} (FLAGS BODYSTRUCTURE)`);
    assert.match(meta.untagged[0]!, /FLAGS \(\\Seen \\Draft \$MDNSent \\Recent\)/);
    assert.match(meta.untagged[0]!, /\("application" "octet-stream" \("name" "figures\.bin"\) NIL NIL "base64"/i);
    assert.match(meta.untagged[0]!, /"message" "rfc822"/i);
  });

  test('RFC 5092 §6: the absolute form for this user and server, no UIDVALIDITY, PARTIAL and LITERAL+ TEXT', async () => {
    const absolute = `imap://alice%40example.com@mail.example.com/INBOX;UIDVALIDITY=${inbox.uidValidity}/;UID=${inbox.uid}/;SECTION=HEADER.FIELDS%20(Subject)`;
    const lines = await wire.literalCommand('B1', [`APPEND Drafts CATENATE (URL "${absolute}" URL /INBOX/;UID=${inbox.uid}/;SECTION=1/;PARTIAL=0.9 TEXT `, Buffer.from(`${CRLF}`), ` TEXT ~`, Buffer.from(`bin\x00ary${CRLF}`), ')']);
    const match = /^B1 OK \[APPENDUID \d+ (\d+)\]/.exec(lines.at(-1)!);
    assert.ok(match, lines.join('\n'));
    const stored = await fetchBody(wire, 'Drafts', Number(match[1]));
    assert.equal(stored.toString('binary'), `Subject: quarterly figures${CRLF}${CRLF}Les chiff${CRLF}bin\x00ary${CRLF}`);
    // The server may also be named by the address the client connected to.
    const byAddress = await wire.literalCommand('B2', [`APPEND Drafts CATENATE (URL "imap://alice%40example.com@127.0.0.1:${fx.port}/INBOX/;UID=${inbox.uid}/;SECTION=1.MIME")`]);
    assert.match(byAddress.at(-1)!, /^B2 OK \[APPENDUID/);
  });

  test('RFC 4469 §4.1: another user\'s message, a wrong UIDVALIDITY, a missing message or section are NO [BADURL url]; nothing is appended', async () => {
    const bob = await loginWire(fx, 'bob@example.com');
    const bobs = await appendOne(bob, 'INBOX', simple('for bob only'));
    bob.close();
    const before = await messages(wire, 'Drafts');
    const bad = [
      `imap://bob%40example.com@mail.example.com/INBOX;UIDVALIDITY=${bobs.uidValidity}/;UID=${bobs.uid}`,
      `imap://bob%40example.com;AUTH=*@mail.example.com/INBOX/;UID=${bobs.uid}`,
      `/INBOX;UIDVALIDITY=${inbox.uidValidity + 1}/;UID=${inbox.uid}`,
      `/INBOX;UIDVALIDITY=${inbox.uidValidity}/;UID=${inbox.uid + 100}`,
      `/INBOX;UIDVALIDITY=${inbox.uidValidity}/;UID=${inbox.uid}/;SECTION=5`,
      `/INBOX;UIDVALIDITY=${inbox.uidValidity}/;UID=${inbox.uid}/;SECTION=1.HEADER`,
      `/NoSuchBox/;UID=1`,
      // RFC 4467 URLAUTH: we have none, so an authorized URL is refused too.
      `imap://alice%40example.com@mail.example.com/INBOX/;UID=${inbox.uid};EXPIRE=2030-01-01T00:00:00Z;URLAUTH=anonymous:internal:91354a473744909de610943775f92038`,
      // Another server, and URLs that name no message (a mailbox, a search).
      `imap://alice%40example.com@mail.example.org/INBOX/;UID=${inbox.uid}`,
      '/INBOX',
      'imap://mail.example.com/INBOX?SUBJECT%20figures',
      `/INBOX/;UID=0`,
      `/INBOX/;UID=${inbox.uid}/;SECTION=1..2`,
      `/IN%ZZBOX/;UID=${inbox.uid}`,
    ];
    for (const [n, url] of bad.entries()) {
      const lines = await wire.literalCommand(`C${n}`, ['APPEND Drafts CATENATE (TEXT ', Buffer.from('X-Note: first\r\n\r\n'), ` URL "${url}")`]);
      // RFC 4469 §5 with erratum 4046: the response code carries the URL itself, not an astring.
      assert.ok(lines.at(-1)!.startsWith(`C${n} NO [BADURL ${url}] `), lines.at(-1));
    }
    // RFC 4469 §5 (erratum 2002): url-resp-text is any TEXT-CHAR but "]", so a "]" in the URL is sent percent-encoded.
    const bracket = await wire.literalCommand('C99', ['APPEND Drafts CATENATE (URL "/IN]BOX/;UID=1")']);
    assert.ok(bracket.at(-1)!.startsWith('C99 NO [BADURL /IN%5DBOX/;UID=1] '), bracket.at(-1));
    assert.equal(await messages(wire, 'Drafts'), before);
    assert.ok(fx.logs.some((entry) => entry.event === 'append_badurl'), 'a log line for each refusal');
  });

  test('RFC 4469 §4.2: NO [TOOBIG] when the parts together pass the size limit', async () => {
    const big = await appendOne(wire, 'INBOX', simple('big', `${'x'.repeat(998)}\r\n`.repeat(60)));
    const before = await messages(wire, 'Drafts');
    const url = `/INBOX;UIDVALIDITY=${big.uidValidity}/;UID=${big.uid}`;
    const lines = await wire.literalCommand('D1', [`APPEND Drafts CATENATE (URL "${url}" URL "${url}")`]);
    assert.match(lines.at(-1)!, /^D1 NO \[TOOBIG\]/);
    // RFC 3502 with RFC 4469: the limit holds for the whole command.
    const multi = await wire.literalCommand('D2', [`APPEND Drafts CATENATE (URL "${url}") CATENATE (URL "${url}")`]);
    assert.match(multi.at(-1)!, /^D2 NO \[TOOBIG\]/);
    assert.equal(await messages(wire, 'Drafts'), before);
    assert.ok(fx.logs.some((entry) => entry.event === 'append_toobig'));
    // One copy fits.
    assert.match((await wire.literalCommand('D3', [`APPEND Drafts CATENATE (URL "${url}")`])).at(-1)!, /^D3 OK \[APPENDUID/);
  });

  test('RFC 4469 §3 with RFC 3502: MULTIAPPEND of CATENATE messages is all-or-nothing', async () => {
    await wire.command('CREATE Multi');
    const i = `/INBOX;UIDVALIDITY=${inbox.uidValidity}/;UID=${inbox.uid}`;
    const ok = await wire.literalCommand('E1', [
      'APPEND Multi (\\Seen) CATENATE (TEXT ',
      Buffer.from('Subject: one\r\n\r\n'),
      ` URL "${i}/;SECTION=1") `,
      simple('plain literal'),
      ' (\\Flagged) CATENATE (URL "',
      `${i}/;SECTION=HEADER")`,
    ]);
    assert.match(ok.at(-1)!, /^E1 OK \[APPENDUID \d+ 1:3\]/);
    const stored = await fetchBody(wire, 'Multi', 1);
    assert.equal(stored.toString('utf8'), 'Subject: one\r\n\r\nLes chiffres du trimestre — voir la pièce jointe.');
    // RFC 4469 Appendix A: one bad URL in the second message, and the first is not appended either.
    const bad = `${i.replace(`UID=${inbox.uid}`, 'UID=113330')}/;SECTION=1.5.9`;
    const refused = await wire.literalCommand('E2', ['APPEND Multi CATENATE (TEXT ', Buffer.from('Subject: two\r\n\r\n'), ` URL "${i}/;SECTION=1") CATENATE (URL "${bad}")`]);
    assert.ok(refused.at(-1)!.startsWith(`E2 NO [BADURL ${bad}]`), refused.at(-1));
    assert.equal(await messages(wire, 'Multi'), 3);
  });

  test('Python imaplib: a raw APPEND … CATENATE (URL … URL …) through _simple_command; the attachment alone is stored', async (t) => {
    if (!requireTool(t, 'python3', 'python3')) return;
    const url = `/INBOX;UIDVALIDITY=${inbox.uidValidity}/;UID=${inbox.uid}/;SECTION=2`;
    const result = await python<{ capability: boolean; append: [string, string[]]; fetched: string }>(
      `
import imaplib
imap = imaplib.IMAP4('127.0.0.1', args['port'])
imap.login('alice@example.com', args['password'])
out['capability'] = 'CATENATE' in imap.capabilities
typ, data = imap._simple_command('APPEND', 'Drafts', 'CATENATE', '(URL "%s.MIME" URL "%s")' % (args['url'], args['url']))
out['append'] = [typ, [d.decode() if isinstance(d, bytes) else str(d) for d in data]]
code = imap.response('APPENDUID')[1][0].decode().split()
imap.select('Drafts', readonly=True)
typ, data = imap.uid('FETCH', code[1], '(BODY.PEEK[])')
out['fetched'] = data[0][1].decode('latin-1')
imap.logout()
`,
      { port: fx.port, password: PASSWORD, url },
    );
    assert.ok(result.capability);
    assert.equal(result.append[0], 'OK', JSON.stringify(result.append));
    assert.equal(result.fetched, `${attachmentMime}${attachmentBody}`);
  });

  test('malformed CATENATE lists are BAD, and the session goes on', async () => {
    const forms: (string | Buffer)[][] = [
      ['APPEND Drafts CATENATE ()'],
      ['APPEND Drafts CATENATE'],
      ['APPEND Drafts CATENATE TEXT ', Buffer.from('abc')],
      ['APPEND Drafts CATENATE (FOO ', Buffer.from('abc'), ')'],
      ['APPEND Drafts CATENATE (TEXT "abc")'],
      ['APPEND Drafts CATENATE (TEXT)'],
      ['APPEND Drafts CATENATE (URL)'],
      ['APPEND Drafts CATENATE (URL ("/INBOX/;UID=1"))'],
      ['APPEND Drafts CATENATE (TEXT ', Buffer.from('abc')],
      ['APPEND Drafts CATENATE (TEXT ', Buffer.from('abc'), '))'],
      ['APPEND Drafts CATENATE (URL NIL)'],
      [`APPEND Drafts CATENATE (${'URL /INBOX/;UID=1 '.repeat(1001).trim()})`],
      // The bound holds for the whole command too: 11 messages of 100 parts.
      [`APPEND Drafts${` CATENATE (${'URL /INBOX/;UID=1 '.repeat(100).trim()})`.repeat(11)}`],
    ];
    for (const [n, form] of forms.entries()) {
      const lines = await wire.literalCommand(`F${n}`, form);
      assert.match(lines.at(-1)!, new RegExp(`^F${n} BAD `), `${JSON.stringify(form).slice(0, 80)}: ${lines.join(' | ')}`);
    }
    assert.equal((await wire.command('NOOP')).status, 'OK');
  });
});
