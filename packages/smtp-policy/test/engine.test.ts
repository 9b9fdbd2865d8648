// Postfix's stage semantics through compilePolicy + evaluate, with a real store and DNS server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openStore } from '@postern/store';
import { compilePolicy, stagesAt } from '../src/index.js';
import { configWith, facts, openWorld, reply, type TestWorld } from './helpers.js';

let world: TestWorld;
before(async () => {
  world = await openWorld();
});
after(async () => {
  await world.close();
});

describe('default relay list (permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination)', () => {
  it('refuses a non-local recipient from a client outside mynetworks with 554 5.7.1 Relay access denied', async () => {
    const verdict = await world.verdict({}, 'rcpt', { recipient: 'someone@elsewhere.example' });
    assert.equal(reply(verdict), '554 5.7.1 <someone@elsewhere.example>: Relay access denied');
    assert.equal(verdict.action === 'reject' && verdict.stage, 'relay');
    assert.equal(verdict.action === 'reject' && verdict.rule, 'reject_unauth_destination');
  });

  it('accepts the same recipient when the client has authenticated', async () => {
    const verdict = await world.verdict({}, 'rcpt', { recipient: 'someone@elsewhere.example', saslUsername: 'alice@example.com' });
    assert.equal(reply(verdict), 'accept');
  });

  it('accepts the same recipient from a client in mynetworks, IPv4-mapped or not', async () => {
    assert.equal(reply(await world.verdict({}, 'rcpt', { recipient: 'someone@elsewhere.example', clientAddress: '127.0.0.1' })), 'accept');
    assert.equal(reply(await world.verdict({}, 'rcpt', { recipient: 'someone@elsewhere.example', clientAddress: '::ffff:127.0.0.1' })), 'accept');
  });

  it('accepts mail for a local domain from anyone', async () => {
    assert.equal(reply(await world.verdict({}, 'rcpt', { recipient: 'Alice@Example.COM' })), 'accept');
  });
});

describe('stage order', () => {
  it('runs the relay list before the recipient list', async () => {
    const verdict = await world.verdict({ relay_restrictions: ['defer'], recipient_restrictions: ['reject'] }, 'rcpt');
    assert.equal(verdict.action === 'reject' && verdict.stage, 'relay');
    assert.equal(reply(verdict), '450 4.3.2 <alice@example.com>: Recipient address rejected: Try again later');
  });

  it('runs client, helo and sender before relay at RCPT, in that order', async () => {
    const all = { client_restrictions: ['reject'], helo_restrictions: ['reject'], sender_restrictions: ['reject'], relay_restrictions: ['reject'] };
    const stages = [];
    for (const permitted of [[], ['client'], ['client', 'helo'], ['client', 'helo', 'sender']]) {
      const smtpd: Record<string, unknown> = { ...all };
      for (const stage of permitted) smtpd[`${stage}_restrictions`] = ['permit'];
      const verdict = await world.verdict(smtpd, 'rcpt');
      stages.push(verdict.action === 'reject' ? verdict.stage : 'accept');
    }
    assert.deepEqual(stages, ['client', 'helo', 'sender', 'relay']);
  });

  it('names the subject of each stage in a generic reject, as Postfix does', async () => {
    const replies = [];
    for (const [stage, command] of [
      ['client', 'rcpt'],
      ['helo', 'rcpt'],
      ['sender', 'rcpt'],
      ['recipient', 'rcpt'],
      ['data', 'data'],
      ['end_of_data', 'end_of_data'],
    ] as const) {
      replies.push(reply(await world.verdict({ [`${stage}_restrictions`]: ['reject'] }, command)));
    }
    assert.deepEqual(replies, [
      '554 5.7.1 <mail.sender.example[203.0.113.5]>: Client host rejected: Access denied',
      '554 5.7.1 <mail.sender.example>: Helo command rejected: Access denied',
      '554 5.7.1 <someone@sender.example>: Sender address rejected: Access denied',
      '554 5.7.1 <alice@example.com>: Recipient address rejected: Access denied',
      '554 5.7.1 <DATA>: Data command rejected: Access denied',
      '554 5.7.1 <END-OF-MESSAGE>: End-of-data rejected: Access denied',
    ]);
  });

  it('runs the data list only at DATA and the end_of_data list only after the message', async () => {
    const smtpd = { data_restrictions: ['reject'], end_of_data_restrictions: ['defer'] };
    assert.equal(reply(await world.verdict(smtpd, 'rcpt')), 'accept');
    const data = await world.verdict(smtpd, 'data');
    assert.equal(data.action === 'reject' && `${data.stage} ${data.rule}`, 'data reject');
    const eod = await world.verdict(smtpd, 'end_of_data');
    assert.equal(eod.action === 'reject' && `${eod.stage} ${eod.rule}`, 'end_of_data defer');
  });
});

describe('smtpd.delay_reject', () => {
  const early = { client_restrictions: ['reject_unknown_client_hostname'], helo_restrictions: ['reject_non_fqdn_helo_hostname'], sender_restrictions: ['reject_non_fqdn_sender'] };

  it('on (the default): nothing runs at connect, HELO or MAIL; the client list answers at RCPT', async () => {
    const session = { clientHostname: null, helo: 'localhost', sender: 'root' };
    for (const command of ['connect', 'helo', 'mail'] as const) {
      assert.equal(reply(await world.verdict(early, command, session)), 'accept', command);
    }
    const verdict = await world.verdict(early, 'rcpt', session);
    assert.equal(reply(verdict), '450 4.7.25 Client host rejected: cannot find your hostname, [203.0.113.5]');
  });

  it('on: client, helo and sender lists run again for every RCPT TO', async () => {
    const first = await world.verdict(early, 'rcpt', { sender: 'root', recipientCount: 0 });
    const second = await world.verdict(early, 'rcpt', { sender: 'root', recipient: 'bob@example.com', recipientCount: 1 });
    assert.equal(reply(first), '504 5.5.2 <root>: Sender address rejected: need fully-qualified address');
    assert.equal(reply(second), reply(first));
  });

  it('off: each list answers at its own command and is not repeated at RCPT', async () => {
    const smtpd = { ...early, delay_reject: false };
    assert.equal(reply(await world.verdict(smtpd, 'connect', { clientHostname: null })), '450 4.7.25 Client host rejected: cannot find your hostname, [203.0.113.5]');
    assert.equal(reply(await world.verdict(smtpd, 'helo', { helo: 'localhost' })), '504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname');
    assert.equal(reply(await world.verdict(smtpd, 'mail', { sender: 'root' })), '504 5.5.2 <root>: Sender address rejected: need fully-qualified address');
    assert.equal(reply(await world.verdict(smtpd, 'rcpt', { clientHostname: null, helo: 'localhost', sender: 'root' })), 'accept');
  });

  it('lists the stages of each command', () => {
    assert.deepEqual(stagesAt('rcpt', true), ['client', 'helo', 'sender', 'relay', 'recipient']);
    assert.deepEqual(stagesAt('rcpt', false), ['relay', 'recipient']);
    assert.deepEqual(stagesAt('connect', false), ['client']);
    assert.deepEqual(stagesAt('connect', true), []);
  });
});

describe('permit and warn_if_reject', () => {
  it('a permit ends only its own list: the next stage still rejects', async () => {
    const verdict = await world.verdict({ client_restrictions: ['permit', 'reject'], sender_restrictions: ['reject_non_fqdn_sender'] }, 'rcpt', { sender: 'root' });
    assert.equal(verdict.action === 'reject' && verdict.stage, 'sender');
    assert.equal(reply(await world.verdict({ client_restrictions: ['permit', 'reject'] }, 'rcpt')), 'accept');
  });

  it('a permit in the relay list does not skip the recipient list', async () => {
    const verdict = await world.verdict({ recipient_restrictions: ['reject'] }, 'rcpt', { saslUsername: 'alice@example.com' });
    assert.equal(verdict.action === 'reject' && verdict.stage, 'recipient');
  });

  it('warn_if_reject logs the next rule\'s reject as a warning and goes on', async () => {
    const verdict = await world.verdict({ client_restrictions: ['warn_if_reject', 'reject_unknown_client_hostname'] }, 'rcpt', { clientHostname: null });
    assert.equal(verdict.action, 'accept');
    assert.deepEqual(verdict.warnings, ['reject_warning: client reject_unknown_client_hostname: 450 4.7.25 Client host rejected: cannot find your hostname, [203.0.113.5]']);
  });

  it('warn_if_reject applies to the next rule only', async () => {
    const verdict = await world.verdict(
      { client_restrictions: ['warn_if_reject', 'reject_unknown_reverse_client_hostname', 'reject_unknown_client_hostname'] },
      'rcpt',
      { clientHostname: null, reverseClientHostname: null },
    );
    assert.equal(verdict.action === 'reject' && verdict.rule, 'reject_unknown_client_hostname');
    assert.equal(verdict.warnings.length, 1);
    assert.match(verdict.warnings[0] ?? '', /^reject_warning: client reject_unknown_reverse_client_hostname: 450 4\.7\.1 /);
  });
});

describe('edges', () => {
  it('skips the helo list before HELO and the sender list before MAIL FROM', async () => {
    assert.equal(reply(await world.verdict({ helo_restrictions: ['reject'] }, 'rcpt', { helo: null })), 'accept');
    assert.equal(reply(await world.verdict({ sender_restrictions: ['reject'] }, 'rcpt', { sender: null })), 'accept');
  });

  it('accepts a bare "postmaster" recipient whatever the lists say (RFC 5321 §4.5.1)', async () => {
    assert.equal(reply(await world.verdict({ recipient_restrictions: ['reject'] }, 'rcpt', { recipient: 'Postmaster' })), 'accept');
  });

  it('keeps the enhanced code in the class of a configured reject code', async () => {
    assert.equal(reply(await world.verdict({ reject_code: 450, recipient_restrictions: ['reject'] }, 'rcpt')), '450 4.7.1 <alice@example.com>: Recipient address rejected: Access denied');
  });

  it('answers 451 4.3.0 and says why in a warning when a rule cannot look something up', async () => {
    const broken = await openStore({ backend: 'sqlite', path: `${world.dir}/broken.sqlite` });
    await broken.close();
    const policy = compilePolicy(configWith());
    const verdict = await policy.evaluate('rcpt', facts({ recipient: 'x@elsewhere.example' }), { ...world.env, store: broken });
    assert.equal(reply(verdict), '451 4.3.0 <x@elsewhere.example>: Temporary lookup failure');
    assert.match(verdict.warnings[0] ?? '', /^relay reject_unauth_destination \(smtpd\.relay_restrictions\[2\]\) failed: /);
  });

  it('refuses to evaluate RCPT TO without a recipient (a caller bug, not a verdict)', async () => {
    const policy = compilePolicy(configWith());
    await assert.rejects(policy.evaluate('rcpt', facts({ recipient: null }), world.env), TypeError);
  });
});
