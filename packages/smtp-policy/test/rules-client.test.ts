// Client rules, generic rules and pipelining: one case that fires and one that does not, each.
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

/** A client list `rules` followed by `reject`, evaluated at RCPT: "accept" means a rule permitted. */
async function clientList(rules: string[], session = {}) {
  return reply(await world.verdict({ client_restrictions: rules }, 'rcpt', session));
}

describe('permit, reject, defer', () => {
  it('permit accepts the list before a later reject; reject and defer refuse', async () => {
    assert.equal(await clientList(['permit', 'reject']), 'accept');
    assert.equal(await clientList(['reject', 'permit']), '554 5.7.1 <mail.sender.example[203.0.113.5]>: Client host rejected: Access denied');
    assert.equal(await clientList(['defer', 'permit']), '450 4.3.2 <mail.sender.example[203.0.113.5]>: Client host rejected: Try again later');
  });
});

describe('permit_mynetworks', () => {
  it('permits a client inside smtpd.mynetworks', async () => {
    assert.equal(await clientList(['permit_mynetworks', 'reject'], { clientAddress: '127.0.0.1' }), 'accept');
    assert.equal(await clientList(['permit_mynetworks', 'reject'], { clientAddress: '::1' }), 'accept');
  });

  it('does nothing for a client outside it', async () => {
    assert.match(await clientList(['permit_mynetworks', 'reject']), /^554 5\.7\.1 /);
  });

  it('follows a configured smtpd.mynetworks', async () => {
    const smtpd = { mynetworks: ['203.0.113.0/24'], client_restrictions: ['permit_mynetworks', 'reject'] };
    assert.equal(reply(await world.verdict(smtpd, 'rcpt')), 'accept');
    assert.match(reply(await world.verdict(smtpd, 'rcpt', { clientAddress: '127.0.0.1' })), /^554 /);
  });
});

describe('permit_sasl_authenticated', () => {
  it('permits a client that logged in', async () => {
    assert.equal(await clientList(['permit_sasl_authenticated', 'reject'], { saslUsername: 'alice@example.com' }), 'accept');
  });

  it('does nothing for a client that did not', async () => {
    assert.match(await clientList(['permit_sasl_authenticated', 'reject']), /^554 /);
  });
});

describe('reject_unknown_client_hostname', () => {
  it('refuses a client whose name did not verify with $unknown_client_reject_code 4.7.25', async () => {
    assert.equal(await clientList(['reject_unknown_client_hostname'], { clientHostname: null }), '450 4.7.25 Client host rejected: cannot find your hostname, [203.0.113.5]');
    assert.equal(
      reply(await world.verdict({ unknown_client_reject_code: 550, client_restrictions: ['reject_unknown_client_hostname'] }, 'rcpt', { clientHostname: null })),
      '550 5.7.25 Client host rejected: cannot find your hostname, [203.0.113.5]',
    );
  });

  it('passes a client with a verified name', async () => {
    assert.equal(await clientList(['reject_unknown_client_hostname']), 'accept');
  });
});

describe('reject_unknown_reverse_client_hostname', () => {
  it('refuses a client without any PTR name', async () => {
    assert.equal(
      await clientList(['reject_unknown_reverse_client_hostname'], { clientHostname: null, reverseClientHostname: null }),
      '450 4.7.1 Client host rejected: cannot find your reverse hostname, [203.0.113.5]',
    );
  });

  it('passes a client with a PTR name even when it does not verify', async () => {
    assert.equal(await clientList(['reject_unknown_reverse_client_hostname'], { clientHostname: null, reverseClientHostname: 'dyn.isp.example' }), 'accept');
  });
});

describe('reject_unauth_pipelining', () => {
  it('refuses a client that talked ahead of the server with 503 5.5.0', async () => {
    const verdict = await world.verdict({ data_restrictions: ['reject_unauth_pipelining'] }, 'data', { pipelinedEarly: true });
    assert.equal(reply(verdict), '503 5.5.0 <DATA>: Data command rejected: Improper use of SMTP command pipelining');
  });

  it('passes a client that waited for its replies', async () => {
    assert.equal(reply(await world.verdict({ data_restrictions: ['reject_unauth_pipelining'] }, 'data')), 'accept');
  });
});
