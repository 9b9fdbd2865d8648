// FETCH BODY[section] (RFC 3501 §6.4.5) into a message/rfc822 attachment, exact bytes on the wire; BODY and RFC822.TEXT.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { describeOnBackends, loginWire, type ImapFixture } from './imap-fixture.js';
import { forwardedMessage } from './imap-messages.js';
import type { WireClient } from './imap-wire.js';

const lines = (...text: string[]): string => text.join('\r\n');

/** The value of one data item of a FETCH response line: a literal's bytes, a quoted string or NIL ('' for both empty forms). */
function item(response: string, name: string): string {
  const at = response.indexOf(`${name} `);
  assert.ok(at >= 0, `${name} missing from ${response}`);
  const rest = response.slice(at + name.length + 1);
  const literal = /^\{(\d+)\}\r\n/.exec(rest);
  if (literal) return rest.slice(literal[0].length, literal[0].length + Number(literal[1]));
  if (rest.startsWith('""') || rest.startsWith('NIL')) return '';
  throw new Error(`${name} is not a string in ${response}`);
}

// RFC 3501 §6.4.5, written out for forwardedMessage(): a part is the bytes between its delimiter
// lines (RFC 2046 §5.1.1: the CRLF before a delimiter belongs to the delimiter), never the preamble
// or the epilogue; N.HEADER/N.TEXT are those of the message a MESSAGE/RFC822 part N encapsulates;
// N.MIME is the part's own header.
const innerHeader = lines(
  'From: Carol <carol@example.org>',
  'To: undisclosed-recipients:;',
  'Subject: Plans',
  'Date: Sun, 2 Nov 2025 23:30:00 -0500',
  'Message-ID: <inner@example.org>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="inner"',
  '',
  '',
);
const alternative = lines('--alt', 'Content-Type: text/plain', '', 'Plans in plain text.', '--alt', 'Content-Type: text/html', '', '<p>Plans in HTML.</p>', '--alt--', '');
const innerText = lines(
  'Inner preamble.',
  '--inner',
  'Content-Type: multipart/alternative; boundary="alt"',
  '',
  alternative,
  '--inner',
  'Content-Type: application/octet-stream',
  'Content-Transfer-Encoding: base64',
  '',
  'AAECAwQ=',
  '--inner--',
  'Inner epilogue.',
  '',
);
const daveHeader = lines('From: Dave <dave@example.net>', 'To: team: erin@example.net, frank@example.net;', 'Date: Sat, 1 Nov 2025 12:00:00 +0000', '', '');

const SECTIONS: [string, string][] = [
  ['1', 'See the two attached messages.'],
  ['1.MIME', lines('Content-Type: text/plain; charset=us-ascii', '', '')],
  ['2', innerHeader + innerText],
  ['2.MIME', lines('Content-Type: message/rfc822', 'Content-Description: the plans', '', '')],
  ['2.HEADER', innerHeader],
  ['2.TEXT', innerText],
  ['2.HEADER.FIELDS (SUBJECT TO)', lines('To: undisclosed-recipients:;', 'Subject: Plans', '', '')],
  ['2.HEADER.FIELDS.NOT (FROM SUBJECT TO DATE MIME-VERSION)', lines('Message-ID: <inner@example.org>', 'Content-Type: multipart/mixed; boundary="inner"', '', '')],
  ['2.1', alternative],
  ['2.1.MIME', lines('Content-Type: multipart/alternative; boundary="alt"', '', '')],
  ['2.1.1', 'Plans in plain text.'],
  ['2.1.1.MIME', lines('Content-Type: text/plain', '', '')],
  ['2.1.2', '<p>Plans in HTML.</p>'],
  ['2.2', 'AAECAwQ='],
  ['3', `${daveHeader}No subject here.\r\n`],
  // The encapsulated message is not multipart: its part 1 is its body, with its header as MIME header.
  ['3.1', 'No subject here.\r\n'],
  ['3.1.MIME', daveHeader],
  ['3.HEADER', daveHeader],
  ['3.TEXT', 'No subject here.\r\n'],
];

describeOnBackends('IMAP FETCH body sections', {}, (suite) => {
  let fx: ImapFixture;
  let wire: WireClient;
  const raw = forwardedMessage();

  before(async () => {
    ({ fx } = suite);
    wire = await loginWire(fx);
    await wire.command('CREATE Forwarded');
    assert.equal((await wire.append('Forwarded', raw)).status, 'OK');
    assert.equal((await wire.append('Forwarded', raw)).status, 'OK');
    await wire.command('SELECT Forwarded');
  });

  for (const [section, expected] of SECTIONS) {
    test(`BODY[${section}] is the exact bytes RFC 3501 §6.4.5 names`, async () => {
      const fetched = await wire.command(`FETCH 1 (BODY.PEEK[${section}])`);
      assert.equal(fetched.status, 'OK', fetched.tagged);
      assert.equal(item(fetched.untagged[0]!, `BODY[${section}]`), expected);
    });
  }

  test('BODY[TEXT] and BODY[] keep the preamble and the epilogue where they are', async () => {
    const fetched = await wire.command('FETCH 1 (BODY.PEEK[TEXT] BODY.PEEK[])');
    const text = item(fetched.untagged[0]!, 'BODY[TEXT]');
    assert.equal(text, raw.subarray(raw.indexOf('\r\n\r\n') + 4).toString('binary'));
    assert.ok(text.startsWith('This is the preamble.\r\n--outer\r\n'));
    assert.ok(text.endsWith('--outer--\r\nThis is the epilogue.\r\n'));
    assert.equal(item(fetched.untagged[0]!, 'BODY[]'), raw.toString('binary'));
  });

  test('a section that names no part is empty, and the session goes on', async () => {
    for (const section of ['4', '2.3', '3.2', '1.HEADER', '1.TEXT', '2.1.1.HEADER']) {
      const fetched = await wire.command(`FETCH 1 (BODY.PEEK[${section}])`);
      assert.equal(fetched.status, 'OK', `${section}: ${fetched.tagged}`);
      assert.equal(item(fetched.untagged[0]!, `BODY[${section}]`), '', section);
    }
  });

  test('a partial of an encapsulated section counts from the start of that section', async () => {
    const fetched = await wire.command('FETCH 1 (BODY.PEEK[2.TEXT]<17.7>)');
    assert.equal(fetched.untagged[0], '* 1 FETCH (BODY[2.TEXT]<17> {7}\r\n--inner)');
  });

  test('every BODYSTRUCTURE size is the length of the BODY[part] the client would fetch (imapflow)', async () => {
    const client = fx.client('alice@example.com');
    await client.connect();
    const lock = await client.getMailboxLock('Forwarded', { readOnly: true });
    try {
      const message = await client.fetchOne('1', { bodyStructure: true });
      assert.ok(message && message.bodyStructure);
      // Part numbers as RFC 3501 §6.4.5 assigns them: a multipart's children N.1, N.2, …; the one
      // child of a MESSAGE/RFC822 part is its message's body, whose parts (or whose part 1) follow.
      type Node = NonNullable<typeof message.bodyStructure>;
      const sized: [string, number][] = [];
      const pending: [Node, string][] = [[message.bodyStructure, '']];
      for (let next = pending.shift(); next; next = pending.shift()) {
        const [node, part] = next;
        if (node.size !== undefined && part !== '') sized.push([part, node.size]);
        const children = node.childNodes ?? [];
        if (node.type === 'message/rfc822') {
          const body = children[0];
          if (body?.type.startsWith('multipart/')) body.childNodes?.forEach((child, i) => pending.push([child, `${part}.${i + 1}`]));
          else if (body) pending.push([body, `${part}.1`]);
        } else {
          children.forEach((child, i) => pending.push([child, part === '' ? `${i + 1}` : `${part}.${i + 1}`]));
        }
      }
      assert.deepEqual(
        sized.map(([part]) => part),
        ['1', '2', '3', '2.2', '3.1', '2.1.1', '2.1.2'],
      );
      const parts = await client.fetchOne('1', { bodyParts: sized.map(([part]) => part) });
      assert.ok(parts && parts.bodyParts);
      for (const [part, size] of sized) assert.equal(parts.bodyParts.get(part)?.length, size, `part ${part}`);
    } finally {
      lock.release();
    }
    await client.logout();
  });

  test('BODY is the non-extensible form: no multipart parameters, no extension data after a MESSAGE/RFC822 part', async () => {
    const fetched = await wire.command('FETCH 1 (BODY)');
    const body = fetched.untagged[0]!;
    assert.doesNotMatch(body, /BOUNDARY/i);
    // RFC 3501 §7.4.2 body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]: the subtype ends each multipart.
    assert.match(body, / "ALTERNATIVE"\)\("APPLICATION" "OCTET-STREAM" NIL NIL NIL "BASE64" 8\) "MIXED"\) 29\)\("MESSAGE"/);
    assert.match(body, /\("TEXT" "PLAIN" NIL NIL NIL "7BIT" 18 1\) 5\) "MIXED"\)\)$/);
    const structure = (await wire.command('FETCH 1 (BODYSTRUCTURE)')).untagged[0]!;
    assert.match(structure, /"MIXED" \("BOUNDARY" "outer"\)/, 'BODYSTRUCTURE keeps its extension data');
  });

  test('RFC822.TEXT sets \\Seen as BODY[TEXT] does, and reports the new FLAGS; RFC822.HEADER does not', async () => {
    const header = await wire.command('FETCH 2 (RFC822.HEADER)');
    assert.doesNotMatch(header.untagged[0]!, /\\Seen/);
    const text = await wire.command('FETCH 2 (RFC822.TEXT)');
    assert.equal(item(text.untagged[0]!, 'RFC822.TEXT'), raw.subarray(raw.indexOf('\r\n\r\n') + 4).toString('binary'));
    assert.match(text.untagged[0]!, /FLAGS \(\\Seen \\Recent\)\)$/);
    assert.deepEqual((await wire.command('FETCH 2 (FLAGS)')).untagged, ['* 2 FETCH (FLAGS (\\Seen \\Recent))']);
  });
});

describeOnBackends('IMAP FETCH body sections of a message stored with bare LF line ends', {}, (suite) => {
  test('a part is sent with CRLF line ends, as many octets as its BODYSTRUCTURE size says', async () => {
    const wire = await loginWire(suite.fx);
    await wire.command('CREATE Bare');
    const raw = Buffer.from(forwardedMessage().toString('binary').replace(/\r\n/g, '\n'), 'binary');
    assert.equal((await wire.append('Bare', raw)).status, 'OK');
    await wire.command('SELECT Bare');
    const structure = (await wire.command('FETCH 1 (BODYSTRUCTURE)')).untagged[0]!;
    // RFC 3501 §7.4.2 body-fld-octets of part 2 (the encapsulated message) and of part 2.1.1.
    assert.match(structure, /\("MESSAGE" "RFC822" NIL NIL "the plans" "7BIT" 550 /);
    assert.match(structure, /\("TEXT" "PLAIN" NIL NIL NIL "7BIT" 20 0 /);
    const fetched = (await wire.command('FETCH 1 (BODY.PEEK[2] BODY.PEEK[2.1.1] BODY.PEEK[2.MIME])')).untagged[0]!;
    assert.equal(item(fetched, 'BODY[2]'), innerHeader + innerText);
    assert.equal(item(fetched, 'BODY[2.1.1]'), 'Plans in plain text.');
    assert.equal(item(fetched, 'BODY[2.MIME]'), lines('Content-Type: message/rfc822', 'Content-Description: the plans', '', ''));
    // The whole message and its text stay the stored bytes, as RFC822.SIZE counts them.
    const whole = (await wire.command('FETCH 1 (RFC822.SIZE BODY.PEEK[])')).untagged[0]!;
    assert.match(whole, new RegExp(`RFC822.SIZE ${raw.length} `));
    assert.equal(item(whole, 'BODY[]'), raw.toString('binary'));
    wire.close();
  });
});
