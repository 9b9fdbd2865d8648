// FETCH ENVELOPE (RFC 3501 §7.4.2): NIL members, group markers, source routes, comments; also inside BODYSTRUCTURE.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { describeOnBackends, loginWire, type ImapFixture } from './imap-fixture.js';
import { forwardedMessage } from './imap-messages.js';
import type { WireClient } from './imap-wire.js';

/** Address fields as real mail writes them, old forms included (RFC 5322 §3.4, §4.4). */
const ADDRESSES = Buffer.from(
  [
    'From: <@relay1.example,@relay2.example:user@example.org>',
    'Sender: Carol (the boss) <user (c)@ (c) example.org>',
    'Reply-To: "Quoted name" <"odd local"@example.org>, bare@example.org (Comment Name)',
    'To: group: a@b.example, Named <c@d.example>;, x@y.example',
    'Cc: g1:g2:inner@h.example;;',
    'Bcc: nodomain, @, "only phrase" <>',
    'In-Reply-To: <a@b>',
    'Message-ID: <env@example.org>',
    '',
    'No Date and no Subject.',
    '',
  ].join('\r\n'),
);

describeOnBackends('IMAP ENVELOPE', {}, (suite) => {
  let fx: ImapFixture;
  let wire: WireClient;

  before(async () => {
    ({ fx } = suite);
    wire = await loginWire(fx);
    await wire.command('CREATE Envelopes');
    await wire.append('Envelopes', ADDRESSES);
    await wire.append('Envelopes', forwardedMessage());
    await wire.append('Envelopes', Buffer.from('From: a@example.com\r\nSubject:\r\nDate: Mon, 3 Nov 2025 08:15:00 +0100\r\n\r\nEmpty subject.\r\n'));
    await wire.command('SELECT Envelopes');
  });

  test('absent Date and Subject are NIL; a present but empty Subject is ""', async () => {
    const absent = (await wire.command('FETCH 1 (ENVELOPE)')).untagged[0]!;
    assert.match(absent, /^\* 1 FETCH \(ENVELOPE \(NIL NIL \(\(/);
    const empty = (await wire.command('FETCH 3 (ENVELOPE)')).untagged[0]!;
    assert.match(empty, /^\* 3 FETCH \(ENVELOPE \("Mon, 3 Nov 2025 08:15:00 \+0100" "" \(\(NIL NIL "a" "example.com"\)\)/);
  });

  test('addresses: the route kept, comments dropped, group start and end markers, missing parts named, nested groups flattened', async () => {
    const fetched = await wire.command('FETCH 1 (ENVELOPE)');
    assert.equal(
      fetched.untagged[0],
      '* 1 FETCH (ENVELOPE (NIL NIL' +
        // from: the at-domain-list (source route) is the second member
        ' ((NIL "@relay1.example,@relay2.example" "user" "example.org"))' +
        // sender: comments in the phrase and around the addr-spec's @ are not part of anything
        ' (("Carol" NIL "user" "example.org"))' +
        // reply-to: a quoted name and local part unquoted; a bare address named by its comment
        ' (("Quoted name" NIL "odd local" "example.org")("Comment Name" NIL "bare" "example.org"))' +
        // to: start of group (mailbox = group name, host NIL), members, end of group (all NIL)
        ' ((NIL NIL "group" NIL)(NIL NIL "a" "b.example")("Named" NIL "c" "d.example")(NIL NIL NIL NIL)(NIL NIL "x" "y.example"))' +
        // cc: RFC 5322 has no nested groups; the inner start is dropped, its member kept in the outer group
        ' ((NIL NIL "g1" NIL)(NIL NIL "inner" "h.example")(NIL NIL NIL NIL))' +
        // bcc: a mailbox is never written with a NIL host (that would read as a group marker)
        ' ((NIL NIL "nodomain" "MISSING_DOMAIN")(NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN")("only phrase" NIL "MISSING_MAILBOX" "MISSING_DOMAIN"))' +
        ' "<a@b>" "<env@example.org>"))',
    );
  });

  test('Sender and Reply-To are the From value when absent', async () => {
    const fetched = (await wire.command('FETCH 3 (ENVELOPE)')).untagged[0]!;
    assert.match(fetched, /\(\(NIL NIL "a" "example.com"\)\) \(\(NIL NIL "a" "example.com"\)\) \(\(NIL NIL "a" "example.com"\)\) NIL NIL NIL NIL NIL\)\)$/);
  });

  test('the ENVELOPE of a MESSAGE/RFC822 part in BODYSTRUCTURE and BODY follows the same rules', async () => {
    for (const item of ['BODYSTRUCTURE', 'BODY']) {
      const fetched = (await wire.command(`FETCH 2 (${item})`)).untagged[0]!;
      assert.ok(
        fetched.includes(
          '("Sun, 2 Nov 2025 23:30:00 -0500" "Plans" (("Carol" NIL "carol" "example.org")) (("Carol" NIL "carol" "example.org")) (("Carol" NIL "carol" "example.org")) ((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) NIL NIL NIL "<inner@example.org>")',
        ),
        `${item}: ${fetched}`,
      );
      assert.ok(
        fetched.includes(
          '("Sat, 1 Nov 2025 12:00:00 +0000" NIL (("Dave" NIL "dave" "example.net")) (("Dave" NIL "dave" "example.net")) (("Dave" NIL "dave" "example.net")) ((NIL NIL "team" NIL)(NIL NIL "erin" "example.net")(NIL NIL "frank" "example.net")(NIL NIL NIL NIL)) NIL NIL NIL NIL)',
        ),
        `${item}: ${fetched}`,
      );
    }
  });

  test('imapflow reads the group and route addresses without error', async () => {
    const client = fx.client('alice@example.com');
    await client.connect();
    const lock = await client.getMailboxLock('Envelopes', { readOnly: true });
    try {
      const message = await client.fetchOne('1', { envelope: true });
      assert.ok(message && message.envelope);
      assert.equal(message.envelope.subject, undefined);
      assert.deepEqual(
        message.envelope.sender?.map((address) => address.address),
        ['user@example.org'],
      );
    } finally {
      lock.release();
    }
    await client.logout();
  });
});
