// Syntax rules on names: reject_non_fqdn_{sender,recipient,helo_hostname} and reject_invalid_helo_hostname.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openWorld, reply, type TestWorld } from './helpers.js';

let world: TestWorld;
before(async () => {
  world = await openWorld();
});
after(async () => {
  await world.close();
});

async function rcpt(smtpd: Record<string, unknown>, session: Record<string, unknown>) {
  return reply(await world.verdict(smtpd, 'rcpt', session));
}

describe('reject_non_fqdn_sender', () => {
  const smtpd = { sender_restrictions: ['reject_non_fqdn_sender'] };

  it('refuses a sender without a dotted domain with $non_fqdn_reject_code 5.5.2', async () => {
    assert.equal(await rcpt(smtpd, { sender: 'root@localhost' }), '504 5.5.2 <root@localhost>: Sender address rejected: need fully-qualified address');
    assert.equal(await rcpt(smtpd, { sender: 'root' }), '504 5.5.2 <root>: Sender address rejected: need fully-qualified address');
    assert.equal(await rcpt({ ...smtpd, non_fqdn_reject_code: 450 }, { sender: 'root@box' }), '450 4.5.2 <root@box>: Sender address rejected: need fully-qualified address');
  });

  it('passes a fully qualified sender, the null sender and an address literal', async () => {
    for (const sender of ['someone@sender.example', 'someone@sender.example.', '', 'someone@[192.0.2.1]']) {
      assert.equal(await rcpt(smtpd, { sender }), 'accept', sender);
    }
  });
});

describe('reject_non_fqdn_recipient', () => {
  const smtpd = { recipient_restrictions: ['reject_non_fqdn_recipient'] };

  it('refuses a recipient without a dotted domain (from mynetworks, past the relay list)', async () => {
    assert.equal(await rcpt(smtpd, { recipient: 'alice@example', clientAddress: '127.0.0.1' }), '504 5.5.2 <alice@example>: Recipient address rejected: need fully-qualified address');
  });

  it('passes a fully qualified recipient', async () => {
    assert.equal(await rcpt(smtpd, { recipient: 'alice@example.com' }), 'accept');
  });
});

describe('reject_non_fqdn_helo_hostname', () => {
  const smtpd = { helo_restrictions: ['reject_non_fqdn_helo_hostname'] };

  it('refuses a bare or numeric HELO name, and a malformed address literal', async () => {
    assert.equal(await rcpt(smtpd, { helo: 'localhost' }), '504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname');
    assert.equal(await rcpt(smtpd, { helo: '192.0.2.1' }), '504 5.5.2 <192.0.2.1>: Helo command rejected: need fully-qualified hostname');
    assert.equal(await rcpt(smtpd, { helo: '[192.0.2.300]' }), '501 5.5.2 <[192.0.2.300]>: Helo command rejected: invalid ip address');
  });

  it('passes a fully qualified name and a valid address literal', async () => {
    for (const helo of ['mail.sender.example', 'mail.sender.example.', '[192.0.2.1]', '[IPv6:2001:db8::1]']) {
      assert.equal(await rcpt(smtpd, { helo }), 'accept', helo);
    }
  });
});

describe('reject_invalid_helo_hostname', () => {
  const smtpd = { helo_restrictions: ['reject_invalid_helo_hostname'] };

  it('refuses HELO syntax that is no host name with $invalid_hostname_reject_code 5.5.2', async () => {
    for (const helo of ['bad_name!', 'a..b', '-start.example', 'mail.example.123', 'mäil.example']) {
      assert.equal(await rcpt(smtpd, { helo }), `501 5.5.2 <${helo}>: Helo command rejected: Invalid name`, helo);
    }
    assert.equal(await rcpt(smtpd, { helo: '[not-an-ip]' }), '501 5.5.2 <[not-an-ip]>: Helo command rejected: invalid ip address');
  });

  it('passes a host name, even unqualified, a bare IP address and an address literal', async () => {
    for (const helo of ['mail.sender.example', 'localhost', '192.0.2.1', '[192.0.2.1]']) {
      assert.equal(await rcpt(smtpd, { helo }), 'accept', helo);
    }
  });
});
