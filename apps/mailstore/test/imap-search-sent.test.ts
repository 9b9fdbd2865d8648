// SEARCH SENT* on the Date field's own calendar date and FROM/TO/CC on addresses written with comments (RFC 3501 §6.4.4).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { describeOnBackends, loginWire } from './imap-fixture.js';
import type { WireClient } from './imap-wire.js';

function hits(untagged: string[]): string {
  const line = untagged.find((entry) => entry.startsWith('* SEARCH'));
  assert.ok(line, `no SEARCH response in ${untagged.join(' | ')}`);
  return line.slice('* SEARCH'.length).trim();
}

const message = (...header: string[]): Buffer => Buffer.from(`${header.join('\r\n')}\r\n\r\nText.\r\n`);

describeOnBackends('IMAP SEARCH by sent date and address', {}, (suite) => {
  let wire: WireClient;
  const search = async (keys: string): Promise<string> => hits((await wire.command(`SEARCH ${keys}`)).untagged);

  before(async () => {
    wire = await loginWire(suite.fx);
    await wire.command('CREATE Sent');
    // 1: written late on 2 Nov in New York (3 Nov in UTC), from and to addresses with comments, a routed Cc
    await wire.append(
      'Sent',
      message(
        'From: Carol <user (c)@ (c) example.org>',
        'To: team: erin@example.net, frank (the boss)@example.net;',
        'Cc: <@relay.example:copy@example.com>',
        'Subject: One',
        'Date: Sun, 2 Nov 2025 23:30:00 -0500',
      ),
      '"10-Nov-2025 12:00:00 +0000"',
    );
    // 2: written just after midnight on 3 Nov at +14:00 (2 Nov in UTC)
    await wire.append('Sent', message('From: plain@example.com', 'To: someone@example.com', 'Subject: Two', 'Date: Mon, 3 Nov 2025 00:10:00 +1400'), '"10-Nov-2025 12:00:00 +0000"');
    // 3: no Date field: its internal date stands in
    await wire.append('Sent', message('From: plain@example.com', 'Subject: Three'), '"05-Nov-2025 12:00:00 +0000"');
    await wire.command('SELECT Sent');
  });

  after(() => {
    wire.close();
  });

  test('SENTON, SENTBEFORE and SENTSINCE compare the date as written in the Date field, disregarding time and zone', async () => {
    assert.equal(await search('SENTON 2-Nov-2025'), '1');
    assert.equal(await search('SENTON 3-Nov-2025'), '2');
    assert.equal(await search('SENTBEFORE 3-Nov-2025'), '1');
    assert.equal(await search('SENTSINCE 3-Nov-2025'), '2 3');
    assert.equal(await search('SENTSINCE 4-Nov-2025'), '3');
    assert.equal(await search('SENTON 5-Nov-2025'), '3');
  });

  test('SENT* also reads the Date field once FETCH has cached the ENVELOPE', async () => {
    await wire.command('FETCH 1:* (ENVELOPE)');
    assert.equal(await search('SENTON 2-Nov-2025'), '1');
    assert.equal(await search('SENTON 3-Nov-2025'), '2');
  });

  test('FROM, TO and CC find an address whatever comments and routes the field wraps it in', async () => {
    assert.equal(await search('FROM "user@example.org"'), '1');
    assert.equal(await search('FROM "carol <user@example.org>"'), '1');
    assert.equal(await search('TO "frank@example.net"'), '1');
    assert.equal(await search('TO "erin@example.net"'), '1');
    assert.equal(await search('CC "copy@example.com"'), '1');
    assert.equal(await search('FROM "plain@example.com"'), '2 3');
    // The field text itself still matches, comments included.
    assert.equal(await search('TO "the boss"'), '1');
    assert.equal(await search('TO team'), '1');
  });
});
