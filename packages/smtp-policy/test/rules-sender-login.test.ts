// smtpd_sender_login_maps: users own their address and the aliases pointing at them; grants add owners.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkSenderLogin } from '../src/index.js';
import { openWorld, reply, type TestWorld } from './helpers.js';

let world: TestWorld;
before(async () => {
  world = await openWorld();
});
after(async () => {
  await world.close();
});

async function senderList(rule: string, sender: string, saslUsername: string | null) {
  return reply(await world.verdict({ sender_restrictions: [rule] }, 'rcpt', { sender, saslUsername, service: 'submission' }));
}

describe('reject_sender_login_mismatch', () => {
  const rule = 'reject_sender_login_mismatch';

  it('refuses a sender the login does not own with 553 5.7.1 naming the sender and the user', async () => {
    assert.equal(await senderList(rule, 'alice@example.com', 'bob@example.com'), '553 5.7.1 <alice@example.com>: Sender address rejected: not owned by user bob@example.com');
  });

  it('refuses an address nobody owns to a logged-in user', async () => {
    assert.equal(await senderList(rule, 'ceo@bank.example', 'bob@example.com'), '553 5.7.1 <ceo@bank.example>: Sender address rejected: not owned by user bob@example.com');
  });

  it('refuses an owned address to a client that did not log in', async () => {
    assert.equal(await senderList(rule, 'alice@example.com', null), '553 5.7.1 <alice@example.com>: Sender address rejected: not logged in');
  });

  it('accepts the user\'s own address, an alias pointing at the user, and an explicit grant, whatever the case', async () => {
    assert.equal(await senderList(rule, 'Alice@Example.com', 'alice@example.com'), 'accept');
    assert.equal(await senderList(rule, 'sales@example.com', 'bob@example.com'), 'accept');
    assert.equal(await senderList(rule, 'newsletter@example.org', 'CAROL@example.org'), 'accept');
  });

  it('accepts an unowned address from a client that did not log in, and the null sender from anyone', async () => {
    assert.equal(await senderList(rule, 'someone@sender.example', null), 'accept');
    assert.equal(await senderList(rule, '', 'bob@example.com'), 'accept');
  });
});

describe('reject_authenticated_sender_login_mismatch', () => {
  const rule = 'reject_authenticated_sender_login_mismatch';

  it('refuses a logged-in user sending as someone else', async () => {
    assert.equal(await senderList(rule, 'sales@example.com', 'alice@example.com'), '553 5.7.1 <sales@example.com>: Sender address rejected: not owned by user alice@example.com');
  });

  it('leaves clients that did not log in alone, even with an owned address', async () => {
    assert.equal(await senderList(rule, 'alice@example.com', null), 'accept');
  });
});

describe('reject_unauthenticated_sender_login_mismatch', () => {
  const rule = 'reject_unauthenticated_sender_login_mismatch';

  it('refuses an owned address from a client that did not log in', async () => {
    assert.equal(await senderList(rule, 'sales@example.com', null), '553 5.7.1 <sales@example.com>: Sender address rejected: not logged in');
  });

  it('leaves logged-in users alone, and unowned addresses too', async () => {
    assert.equal(await senderList(rule, 'alice@example.com', 'bob@example.com'), 'accept');
    assert.equal(await senderList(rule, 'someone@sender.example', null), 'accept');
  });
});

describe('reject_known_sender_login_mismatch', () => {
  const rule = 'reject_known_sender_login_mismatch';

  it('refuses an owned address to another user', async () => {
    assert.match(await senderList(rule, 'alice@example.com', 'bob@example.com'), /^553 5\.7\.1 .*not owned by user bob@example\.com$/);
  });

  it('lets a logged-in user use an address nobody owns', async () => {
    assert.equal(await senderList(rule, 'list-bounces@lists.example', 'bob@example.com'), 'accept');
  });
});

describe('checkSenderLogin', () => {
  it('tells the MTA who owns a sender and whether the login is one of them', async () => {
    assert.deepEqual(await checkSenderLogin(world.store, 'sales@example.com', 'bob@example.com'), { owners: ['bob@example.com'], owned: true });
    assert.deepEqual(await checkSenderLogin(world.store, 'sales@example.com', null), { owners: ['bob@example.com'], owned: false });
    assert.deepEqual(await checkSenderLogin(world.store, 'x@nowhere.example', 'bob@example.com'), { owners: [], owned: false });
  });
});
