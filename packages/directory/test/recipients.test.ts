// Recipient resolution and sender ownership over a real SQLite store.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore, type Store } from '@postern/store';
import { addAlias, addDomain, addUser, AliasLoopError, allowSender, localHostNames, myOrigin, qualifyLocalName, resolveRecipient, senderOwners, updateUser } from '../src/index.js';

const options = { recipientDelimiter: '+' };
let dir: string;
let store: Store;

async function resolve(address: string) {
  const r = await resolveRecipient(store, address, options);
  return { local: r.local.map((l) => [l.user.address, l.tag]), remote: r.remote, unknown: r.unknown };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'postern-directory-'));
  store = await openStore({ backend: 'sqlite', path: join(dir, 'store.sqlite') });
  await addDomain(store, 'example.com');
  await addDomain(store, 'example.org');
  for (const address of ['alice@example.com', 'bob@example.com', 'carol@example.org']) {
    await addUser(store, { address, passwordHash: '{PLAIN}x' });
  }
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('resolveRecipient', () => {
  it('delivers to a user, whatever the case of the address', async () => {
    assert.deepEqual(await resolve('Alice@EXAMPLE.com'), { local: [['alice@example.com', null]], remote: [], unknown: [] });
  });

  it('delivers user+tag to the user and keeps the tag', async () => {
    assert.deepEqual((await resolve('alice+lists@example.com')).local, [['alice@example.com', 'lists']]);
  });

  it('reports an unknown local address as unknown (550 5.1.1 at RCPT), not as remote', async () => {
    assert.deepEqual(await resolve('nobody@example.com'), { local: [], remote: [], unknown: ['nobody@example.com'] });
  });

  it('passes an address in a non-local domain through as remote', async () => {
    assert.deepEqual(await resolve('someone@elsewhere.example'), { local: [], remote: ['someone@elsewhere.example'], unknown: [] });
  });

  it('expands an alias to several users, a remote forward and nested aliases, each user once', async () => {
    await addAlias(store, 'team@example.com', ['alice@example.com', 'sales@example.com', 'ext@partner.example'], options);
    await addAlias(store, 'sales@example.com', ['bob@example.com', 'alice@example.com'], options);
    assert.deepEqual(await resolve('team@example.com'), {
      local: [
        ['alice@example.com', null],
        ['bob@example.com', null],
      ],
      remote: ['ext@partner.example'],
      unknown: [],
    });
  });

  it('lets the catch-all take unknown addresses but never mail for existing users', async () => {
    await addAlias(store, '@example.org', ['alice@example.com'], options);
    assert.deepEqual((await resolve('whatever@example.org')).local, [['alice@example.com', null]]);
    assert.deepEqual((await resolve('carol@example.org')).local, [['carol@example.org', null]]);
  });

  it('delivers to the address itself when its alias lists it (keep a copy)', async () => {
    await addAlias(store, 'bob@example.com', ['bob@example.com', 'ext2@partner.example'], options);
    assert.deepEqual(await resolve('bob@example.com'), { local: [['bob@example.com', null]], remote: ['ext2@partner.example'], unknown: [] });
  });

  it('refuses an alias that would loop, before writing it', async () => {
    await addAlias(store, 'x@example.com', ['y@example.com'], options);
    await assert.rejects(addAlias(store, 'y@example.com', ['x@example.com'], options), (err: unknown) => {
      assert.ok(err instanceof AliasLoopError);
      assert.deepEqual(err.chain, ['y@example.com', 'x@example.com', 'y@example.com']);
      return true;
    });
    assert.equal(await store.getAlias('y@example.com'), null);
  });

  it('refuses a catch-all whose target leads back to it through another catch-all', async () => {
    await addAlias(store, '@example.com', ['lost@example.org'], options);
    // lost@example.org → (@example.org) alice@example.com: a user, so no loop.
    assert.deepEqual((await resolve('ghost@example.com')).local, [['alice@example.com', null]]);
  });
});

describe('senderOwners (smtpd_sender_login_maps)', () => {
  it('makes a user the owner of its own address and of aliases that point to it', async () => {
    assert.deepEqual(await senderOwners(store, 'alice@example.com'), ['alice@example.com']);
    assert.deepEqual(await senderOwners(store, 'sales@example.com'), ['alice@example.com', 'bob@example.com']);
  });

  it('adds owners by explicit grant, for one address or a whole domain', async () => {
    await allowSender(store, 'billing@example.com', 'carol@example.org');
    await allowSender(store, '@example.org', 'bob@example.com');
    assert.deepEqual(await senderOwners(store, 'billing@example.com'), ['carol@example.org']);
    assert.deepEqual(await senderOwners(store, 'newsletter@example.org'), ['bob@example.com']);
  });

  it('gives nobody an address no one owns', async () => {
    assert.deepEqual(await senderOwners(store, 'stranger@example.com'), []);
  });
});

describe('disabled users in recipient resolution', () => {
  it('puts a disabled user under disabled, never local: directly, through an alias and past the catch-all', async () => {
    await addUser(store, { address: 'gone@example.com', passwordHash: '{PLAIN}x' });
    await updateUser(store, 'gone@example.com', { disabled: true });
    await addAlias(store, 'crew@example.com', ['gone@example.com', 'alice@example.com'], options);
    const direct = await resolveRecipient(store, 'gone@example.com', options);
    assert.deepEqual([direct.local, direct.unknown, direct.disabled.map((d) => d.user.address)], [[], [], ['gone@example.com']]);
    const crew = await resolveRecipient(store, 'crew@example.com', options);
    assert.deepEqual([crew.local.map((d) => d.user.address), crew.disabled.map((d) => d.user.address)], [['alice@example.com'], ['gone@example.com']]);
    await updateUser(store, 'gone@example.com', { disabled: false });
    assert.deepEqual((await resolve('gone@example.com')).local, [['gone@example.com', null]]);
  });
});

describe('myOrigin and the local names (Postfix myorigin, mydestination)', () => {
  const settings = { hostname: 'mail.example.com', mydestination: ['$myhostname', 'localhost'] };

  it('is the hostname\'s nearest local parent, else the first local domain, else a configured one wins', async () => {
    assert.equal(await myOrigin(store, settings), 'example.com');
    assert.equal(await myOrigin(store, { ...settings, hostname: 'mx1.mail.example.org' }), 'example.org');
    assert.equal(await myOrigin(store, { ...settings, hostname: 'host.unrelated.example' }), 'example.com');
    assert.equal(await myOrigin(store, { ...settings, myorigin: 'Example.ORG' }), 'example.org');
  });

  it('qualifies bare names and rewrites this host\'s names, leaving other addresses alone', () => {
    const names = localHostNames(settings, 'vm');
    assert.deepEqual([...names], ['mail.example.com', 'localhost', 'vm']);
    assert.equal(qualifyLocalName('root', 'example.com', names), 'root@example.com');
    assert.equal(qualifyLocalName('root@localhost', 'example.com', names), 'root@example.com');
    assert.equal(qualifyLocalName('root@VM', 'example.com', names), 'root@example.com');
    assert.equal(qualifyLocalName('root@mail.example.com', 'example.com', names), 'root@example.com');
    assert.equal(qualifyLocalName('root@other.example', 'example.com', names), 'root@other.example');
    assert.equal(qualifyLocalName('@example.com', 'example.com', names), '@example.com');
  });
});
