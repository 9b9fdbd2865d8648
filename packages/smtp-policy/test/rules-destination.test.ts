// reject_unauth_destination and defer_unauth_destination, including the open-relay battery's address forms.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isAuthorizedDestination } from '../src/index.js';
import { openWorld, reply, type TestWorld } from './helpers.js';

let world: TestWorld;
before(async () => {
  world = await openWorld();
});
after(async () => {
  await world.close();
});

const onlyGuard = { relay_restrictions: ['reject_unauth_destination'] };

describe('reject_unauth_destination', () => {
  it('refuses a recipient in a domain that is not local with $relay_domains_reject_code 5.7.1', async () => {
    assert.equal(reply(await world.verdict(onlyGuard, 'rcpt', { recipient: 'bob@elsewhere.example' })), '554 5.7.1 <bob@elsewhere.example>: Relay access denied');
    assert.equal(
      reply(await world.verdict({ ...onlyGuard, relay_domains_reject_code: 550 }, 'rcpt', { recipient: 'bob@elsewhere.example' })),
      '550 5.7.1 <bob@elsewhere.example>: Relay access denied',
    );
  });

  it('lets through any recipient of a local domain, known or not (unknown users are the MTA\'s 550 5.1.1)', async () => {
    for (const recipient of ['alice@example.com', 'nobody@example.com', 'carol+tag@EXAMPLE.ORG']) {
      assert.equal(reply(await world.verdict(onlyGuard, 'rcpt', { recipient })), 'accept', recipient);
    }
  });

  it('refuses routed and odd forms even when they end in a local domain', async () => {
    for (const recipient of ['bob%elsewhere.example@example.com', 'elsewhere.example!bob@example.com', '"bob@elsewhere.example"@example.com', 'bob', 'bob@[192.0.2.1]', '@example.com:bob@elsewhere.example']) {
      const verdict = await world.verdict(onlyGuard, 'rcpt', { recipient });
      assert.equal(verdict.action === 'reject' && verdict.rule, 'reject_unauth_destination', recipient);
    }
  });

  it('answers the same question for the MTA through isAuthorizedDestination', async () => {
    assert.equal(await isAuthorizedDestination(world.store, 'alice@example.com'), true);
    assert.equal(await isAuthorizedDestination(world.store, 'alice@example.net'), false);
    assert.equal(await isAuthorizedDestination(world.store, 'alice%example.net@example.com'), false);
  });
});

describe('defer_unauth_destination', () => {
  const deferOnly = { relay_restrictions: ['defer_unauth_destination'] };

  it('defers a recipient in a domain that is not local with 454 4.7.1', async () => {
    assert.equal(reply(await world.verdict(deferOnly, 'rcpt', { recipient: 'bob@elsewhere.example' })), '454 4.7.1 <bob@elsewhere.example>: Relay access denied');
  });

  it('lets through a local recipient', async () => {
    assert.equal(reply(await world.verdict(deferOnly, 'rcpt', { recipient: 'bob@example.com' })), 'accept');
  });
});
