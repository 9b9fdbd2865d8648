// DNS-based rules against a local DNS server: unknown domains and HELO names, DNSBL/RHSBL, SPF.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { compilePolicy } from '../src/index.js';
import { BASE_ZONE, configWith, facts, openWorld, reply, type TestWorld } from './helpers.js';

const ZONE = {
  ...BASE_ZONE,
  'mail.sender.example': { A: ['203.0.113.5'], TXT: ['v=spf1 a -all'] },
  'a-only.example': { A: ['192.0.2.10'] },
  'v6-only.example': { AAAA: ['2001:db8::10'] },
  'nullmx.example': { MX: [{ exchange: '.', priority: 0 }] },
  'broken.example': { SERVFAIL: true as const },
  'txt-only.example': { TXT: ['hello'] },
  'soft.example': { MX: [{ exchange: 'mail.soft.example', priority: 10 }], TXT: ['v=spf1 ip4:192.0.2.0/24 ~all'] },
  'spf-dns-broken.example': { SERVFAIL: true as const },
  // DNSBL zen.example: 203.0.113.6 listed with a reason, .7 listed with 127.0.0.10, .8 breaks, 2001:db8::66 listed.
  '6.113.0.203.zen.example': { A: ['127.0.0.2'], TXT: ['Listed: see https://zen.example/q?203.0.113.6'] },
  '7.113.0.203.zen.example': { A: ['127.0.0.10'] },
  '8.113.0.203.zen.example': { SERVFAIL: true as const },
  [`${[...'20010db8000000000000000000000066'].reverse().join('.')}.zen.example`]: { A: ['127.0.0.4'] },
  // RHSBL dbl.example lists bad.example.
  'bad.example.dbl.example': { A: ['127.0.1.2'], TXT: ['bad domain'] },
};

let world: TestWorld;
before(async () => {
  world = await openWorld(ZONE);
});
after(async () => {
  await world.close();
});

async function rcpt(smtpd: Record<string, unknown>, session: Record<string, unknown> = {}) {
  return reply(await world.verdict(smtpd, 'rcpt', session));
}

describe('reject_unknown_sender_domain', () => {
  const smtpd = { sender_restrictions: ['reject_unknown_sender_domain'] };

  it('refuses a sender domain that does not exist with $unknown_address_reject_code 4.1.8', async () => {
    assert.equal(await rcpt(smtpd, { sender: 'x@nowhere.example' }), '450 4.1.8 <x@nowhere.example>: Sender address rejected: Domain not found');
    assert.equal(await rcpt({ ...smtpd, unknown_address_reject_code: 550 }, { sender: 'x@txt-only.example' }), '550 5.1.8 <x@txt-only.example>: Sender address rejected: Domain not found');
  });

  it('refuses a null-MX sender domain with 550 5.7.27 (RFC 7505 §4.2)', async () => {
    assert.equal(await rcpt(smtpd, { sender: 'x@nullmx.example' }), '550 5.7.27 <x@nullmx.example>: Sender address rejected: Domain nullmx.example does not accept mail (nullMX)');
  });

  it('defers with 450 while the DNS fails', async () => {
    assert.equal(await rcpt({ ...smtpd, unknown_address_reject_code: 550 }, { sender: 'x@broken.example' }), '450 4.1.8 <x@broken.example>: Sender address rejected: Domain not found');
  });

  it('passes a domain with an MX, an A or only an AAAA record, a local domain and the null sender', async () => {
    for (const sender of ['x@sender.example', 'x@a-only.example', 'x@v6-only.example', 'alice@example.com', '']) {
      assert.equal(await rcpt(smtpd, { sender }), 'accept', sender);
    }
  });
});

describe('reject_unknown_recipient_domain', () => {
  const smtpd = { recipient_restrictions: ['reject_unknown_recipient_domain'] };
  const trusted = { clientAddress: '127.0.0.1' };

  it('refuses a recipient domain that does not exist with 4.1.2, and a null MX with 556 5.1.10', async () => {
    assert.equal(await rcpt(smtpd, { ...trusted, recipient: 'x@nowhere.example' }), '450 4.1.2 <x@nowhere.example>: Recipient address rejected: Domain not found');
    assert.equal(await rcpt(smtpd, { ...trusted, recipient: 'x@nullmx.example' }), '556 5.1.10 <x@nullmx.example>: Recipient address rejected: Domain nullmx.example does not accept mail (nullMX)');
  });

  it('passes a recipient domain that exists', async () => {
    assert.equal(await rcpt(smtpd, { ...trusted, recipient: 'x@sender.example' }), 'accept');
  });
});

describe('reject_unknown_helo_hostname', () => {
  const smtpd = { helo_restrictions: ['reject_unknown_helo_hostname'] };

  it('refuses a HELO name without A, AAAA or MX with $unknown_hostname_reject_code 4.7.1, and 450 while DNS fails', async () => {
    assert.equal(await rcpt(smtpd, { helo: 'ghost.nowhere.example' }), '450 4.7.1 <ghost.nowhere.example>: Helo command rejected: Host not found');
    assert.equal(await rcpt({ ...smtpd, unknown_hostname_reject_code: 550 }, { helo: 'txt-only.example' }), '550 5.7.1 <txt-only.example>: Helo command rejected: Host not found');
    assert.equal(await rcpt({ ...smtpd, unknown_hostname_reject_code: 550 }, { helo: 'broken.example' }), '450 4.7.1 <broken.example>: Helo command rejected: Host not found');
  });

  it('passes a HELO name that resolves, one with only an MX, and a valid address literal', async () => {
    for (const helo of ['mail.sender.example', 'sender.example', '[203.0.113.5]']) {
      assert.equal(await rcpt(smtpd, { helo }), 'accept', helo);
    }
  });
});

describe('reject_rbl_client', () => {
  const smtpd = { client_restrictions: ['reject_rbl_client', 'zen.example'] };

  it('refuses a listed client with $rbl_reject_code 5.7.1 and the list\'s TXT reason', async () => {
    assert.equal(
      await rcpt(smtpd, { clientAddress: '203.0.113.6' }),
      '554 5.7.1 Service unavailable; Client host [203.0.113.6] blocked using zen.example; Listed: see https://zen.example/q?203.0.113.6',
    );
  });

  it('looks up an IPv6 client by its 32 reversed nibbles, and an IPv4-mapped client as IPv4', async () => {
    assert.equal(await rcpt(smtpd, { clientAddress: '2001:db8::66' }), '554 5.7.1 Service unavailable; Client host [2001:db8::66] blocked using zen.example');
    assert.match(await rcpt(smtpd, { clientAddress: '::ffff:203.0.113.6' }), /^554 5\.7\.1 Service unavailable; Client host \[203\.0\.113\.6\]/);
  });

  it('passes a client that is not listed', async () => {
    assert.equal(await rcpt(smtpd, { clientAddress: '203.0.113.5' }), 'accept');
  });

  it('counts only answers that match =PATTERN', async () => {
    assert.equal(await rcpt({ client_restrictions: ['reject_rbl_client zen.example=127.0.0.[2..4]'] }, { clientAddress: '203.0.113.7' }), 'accept');
    assert.match(await rcpt({ client_restrictions: ['reject_rbl_client zen.example=127.0.0.[2..11]'] }, { clientAddress: '203.0.113.7' }), /^554 5\.7\.1 /);
  });

  it('gives the client the benefit of the doubt when the list does not answer, with a warning', async () => {
    const verdict = await world.verdict(smtpd, 'rcpt', { clientAddress: '203.0.113.8' });
    assert.equal(verdict.action, 'accept');
    assert.match(verdict.warnings[0] ?? '', /^8\.113\.0\.203\.zen\.example: RBL lookup error: /);
  });

  it('asks the DNS once for repeated checks of one client (answers cached by the resolver)', async () => {
    const cached = await openWorld(ZONE, { cache: true });
    try {
      const policy = compilePolicy(configWith(smtpd));
      for (let i = 0; i < 3; i++) await policy.evaluate('rcpt', facts({ clientAddress: '203.0.113.6', recipientCount: i }), cached.env);
      assert.equal(cached.dns.count('6.113.0.203.zen.example', 'A'), 1);
    } finally {
      await cached.close();
    }
  });
});

describe('reject_rhsbl_*', () => {
  const cases = [
    { rule: 'reject_rhsbl_client', stage: 'client', listed: { clientHostname: 'bad.example' }, clean: {}, reply: 'Client host [bad.example]' },
    { rule: 'reject_rhsbl_reverse_client', stage: 'client', listed: { clientHostname: null, reverseClientHostname: 'bad.example' }, clean: {}, reply: 'Unverified Client host [bad.example]' },
    { rule: 'reject_rhsbl_helo', stage: 'helo', listed: { helo: 'bad.example' }, clean: {}, reply: 'Helo command [bad.example]' },
    { rule: 'reject_rhsbl_sender', stage: 'sender', listed: { sender: 'x@bad.example' }, clean: { sender: '' }, reply: 'Sender address [x@bad.example]' },
    { rule: 'reject_rhsbl_recipient', stage: 'recipient', listed: { recipient: 'x@bad.example', clientAddress: '127.0.0.1' }, clean: {}, reply: 'Recipient address [x@bad.example]' },
  ];
  for (const { rule, stage, listed, clean, reply: what } of cases) {
    it(`${rule} refuses a listed name and passes one that is not`, async () => {
      const smtpd = { [`${stage}_restrictions`]: [`${rule} dbl.example`] };
      assert.equal(await rcpt(smtpd, listed), `554 5.7.1 Service unavailable; ${what} blocked using dbl.example; bad domain`);
      assert.equal(await rcpt(smtpd, clean), 'accept');
    });
  }

  it('skips names an RHSBL cannot hold: address literals and numeric names', async () => {
    assert.equal(await rcpt({ helo_restrictions: ['reject_rhsbl_helo dbl.example'] }, { helo: '[192.0.2.1]' }), 'accept');
    assert.equal(await rcpt({ helo_restrictions: ['reject_rhsbl_helo dbl.example'] }, { helo: '192.0.2.1' }), 'accept');
    assert.equal(world.dns.count('192.0.2.1.dbl.example'), 0);
  });
});

describe('reject_spf_fail', () => {
  const smtpd = { sender_restrictions: ['reject_spf_fail'] };

  it('refuses a client the sender domain\'s SPF record excludes with 550 5.7.23', async () => {
    assert.equal(
      await rcpt(smtpd, { clientAddress: '198.51.100.7', sender: 'someone@sender.example' }),
      '550 5.7.23 <someone@sender.example>: Sender address rejected: SPF fail: sender.example does not designate 198.51.100.7 as permitted sender',
    );
  });

  it('checks postmaster@HELO for the null sender (RFC 7208 §2.4)', async () => {
    assert.match(await rcpt(smtpd, { clientAddress: '198.51.100.7', sender: '', helo: 'mail.sender.example' }), /^550 5\.7\.23 <postmaster@mail\.sender\.example>: /);
    assert.equal(await rcpt(smtpd, { sender: '', helo: 'mail.sender.example' }), 'accept');
  });

  it('defers with 451 4.7.24 when the SPF lookup fails temporarily', async () => {
    assert.equal(await rcpt(smtpd, { sender: 'x@spf-dns-broken.example' }), '451 4.7.24 <x@spf-dns-broken.example>: Sender address rejected: SPF temporary error, try again later');
  });

  it('passes a permitted client, a softfail and a domain without SPF', async () => {
    assert.equal(await rcpt(smtpd, { sender: 'someone@sender.example' }), 'accept');
    assert.equal(await rcpt(smtpd, { sender: 'someone@soft.example' }), 'accept');
    assert.equal(await rcpt(smtpd, { sender: 'someone@a-only.example' }), 'accept');
  });
});
