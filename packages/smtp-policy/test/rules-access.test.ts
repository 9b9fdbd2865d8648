// check_{client,helo,sender,recipient}_access over Postfix access(5) files.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openWorld, reply, type TestWorld } from './helpers.js';

let world: TestWorld;
let table: string;
before(async () => {
  world = await openWorld();
  table = `file:${world.file(
    'access',
    [
      '# Postfix access(5) syntax',
      '',
      '192.0.2.66            REJECT',
      '198.51.100            554 5.7.1 Your network is blocked',
      '2001:db8:bad          REJECT bad v6 net',
      'trusted.example       OK',
      'spammer.example       REJECT No mail from',
      '  spammer.example here',
      'SLOW.example          DEFER',
      'boss@example.net      REJECT 5.7.0 no impostors',
      'example.net           DUNNO',
      'friend@               OK',
      'eve+promo@shop.example 550 no promotions',
      'eve@shop.example      REJECT',
      '<>                    REJECT no bounces here',
      'ham.example           reject_unknown_client_hostname, permit',
      'warned.example        WARN looks odd',
      'listed.example        1650000000',
    ].join('\n'),
  )}`;
});
after(async () => {
  await world.close();
});

async function rcpt(stage: string, session: Record<string, unknown>) {
  const verdict = await world.verdict({ [`${stage}_restrictions`]: [`check_${stage === 'recipient' ? 'recipient' : stage}_access`, table, 'reject'] }, 'rcpt', session);
  return reply(verdict);
}

describe('check_client_access', () => {
  it('matches the client address, then its networks, with $access_map_reject_code or the given code and text', async () => {
    assert.equal(await rcpt('client', { clientAddress: '192.0.2.66', clientHostname: null }), '554 5.7.1 <unknown[192.0.2.66]>: Client host rejected: Access denied');
    assert.equal(await rcpt('client', { clientAddress: '198.51.100.9', clientHostname: null }), '554 5.7.1 <unknown[198.51.100.9]>: Client host rejected: Your network is blocked');
    assert.equal(await rcpt('client', { clientAddress: '2001:db8:bad::1', clientHostname: null }), '554 5.7.1 <unknown[2001:db8:bad::1]>: Client host rejected: bad v6 net');
  });

  it('matches the verified hostname and its parent domains, before the address', async () => {
    assert.equal(await rcpt('client', { clientAddress: '192.0.2.66', clientHostname: 'mx1.trusted.example' }), 'accept');
  });

  it('falls through to the next rule when nothing matches', async () => {
    assert.match(await rcpt('client', { clientAddress: '192.0.2.67', clientHostname: null }), /Client host rejected: Access denied$/);
    assert.equal(reply(await world.verdict({ client_restrictions: [`check_client_access ${table}`] }, 'rcpt', { clientAddress: '192.0.2.67' })), 'accept');
  });
});

describe('check_helo_access', () => {
  it('rejects a listed HELO name or a subdomain of it, with a continued line\'s text', async () => {
    assert.equal(await rcpt('helo', { helo: 'smtp.spammer.example' }), '554 5.7.1 <smtp.spammer.example>: Helo command rejected: No mail from spammer.example here');
  });

  it('permits a name listed OK, whatever its case', async () => {
    assert.equal(await rcpt('helo', { helo: 'MAIL.Trusted.Example' }), 'accept');
  });

  it('defers on DEFER with 450 4.7.1', async () => {
    assert.equal(await rcpt('helo', { helo: 'slow.example' }), '450 4.7.1 <slow.example>: Helo command rejected: Access denied');
  });
});

describe('check_sender_access', () => {
  it('tries the full address before its domain, and keeps an enhanced code given in the text', async () => {
    assert.equal(await rcpt('sender', { sender: 'boss@example.net' }), '554 5.7.0 <boss@example.net>: Sender address rejected: no impostors');
  });

  it('DUNNO on the domain ends the lookup without a decision', async () => {
    assert.match(await rcpt('sender', { sender: 'clerk@example.net' }), /<clerk@example\.net>: Sender address rejected: Access denied$/);
    assert.equal(reply(await world.verdict({ sender_restrictions: [`check_sender_access ${table}`] }, 'rcpt', { sender: 'clerk@example.net' })), 'accept');
  });

  it('matches user+ext@ before user@ (recipient_delimiter), and localpart@ in any domain', async () => {
    assert.equal(await rcpt('sender', { sender: 'eve+promo@shop.example' }), '550 5.7.1 <eve+promo@shop.example>: Sender address rejected: no promotions');
    assert.equal(await rcpt('sender', { sender: 'eve+other@shop.example' }), '554 5.7.1 <eve+other@shop.example>: Sender address rejected: Access denied');
    assert.equal(await rcpt('sender', { sender: 'friend@anywhere.example' }), 'accept');
  });

  it('looks up the null sender as <>', async () => {
    assert.equal(await rcpt('sender', { sender: '' }), '554 5.7.1 <>: Sender address rejected: no bounces here');
  });

  it('runs restrictions written on the right-hand side', async () => {
    assert.equal(await rcpt('sender', { sender: 'x@ham.example' }), 'accept');
    assert.equal(await rcpt('sender', { sender: 'x@ham.example', clientHostname: null }), '450 4.7.25 Client host rejected: cannot find your hostname, [203.0.113.5]');
  });

  it('logs WARN and goes on; an all-numeric value means OK', async () => {
    const warned = await world.verdict({ sender_restrictions: [`check_sender_access ${table}`] }, 'rcpt', { sender: 'x@warned.example' });
    assert.equal(warned.action, 'accept');
    assert.deepEqual(warned.warnings, ['warn: sender check_sender_access: <x@warned.example>: looks odd']);
    assert.equal(await rcpt('sender', { sender: 'x@listed.example' }), 'accept');
  });
});

describe('check_recipient_access', () => {
  const trusted = { clientAddress: '127.0.0.1' };

  it('rejects a listed recipient', async () => {
    assert.equal(await rcpt('recipient', { ...trusted, recipient: 'eve@shop.example' }), '554 5.7.1 <eve@shop.example>: Recipient address rejected: Access denied');
  });

  it('permits a listed recipient, but never a routed one', async () => {
    assert.equal(await rcpt('recipient', { ...trusted, recipient: 'x@trusted.example' }), 'accept');
    assert.match(await rcpt('recipient', { ...trusted, recipient: 'x%y@trusted.example' }), /Recipient address rejected: Access denied$/);
  });
});

describe('access-table shorthand', () => {
  it('a bare table in the client list is check_client_access', async () => {
    assert.match(reply(await world.verdict({ client_restrictions: [table] }, 'rcpt', { clientAddress: '192.0.2.66' })), /Client host rejected: Access denied$/);
  });
});
