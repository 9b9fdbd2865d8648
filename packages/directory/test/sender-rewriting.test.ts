// Which senders a forward rewrites and which recipients SRS leads back, over a real SQLite store
// (hostname mail.example.com, local domains example.com and example.org: myorigin is example.com).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { srsForward } from '@postern/address';
import { openStore, type Store } from '@postern/store';
import { addDomain, addUser, resolveRecipient, SenderRewriting } from '../src/index.js';

const SECRET = 'the secret of this test server';
const DAY_MS = 86_400_000;
const SETTINGS = { hostname: 'mail.example.com', mydestination: ['$myhostname'] };
let dir: string;
let store: Store;
let srs: SenderRewriting;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'postern-srs-directory-'));
  store = await openStore({ backend: 'sqlite', path: join(dir, 'store.sqlite') });
  await addDomain(store, 'example.com');
  await addDomain(store, 'example.org');
  await addUser(store, { address: 'alice@example.org', passwordHash: '{PLAIN}x' });
  srs = new SenderRewriting(store, [SECRET], () => SETTINGS);
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SenderRewriting.forwardSender', () => {
  it('rewrites a sender of another domain to SRS0 at myorigin', async () => {
    assert.match(await srs.forwardSender('News@Sender.test'), /^SRS0=[^=]{4}=[A-Z2-7]{2}=Sender\.test=News@example\.com$/);
  });

  it('keeps the null sender (RFC 5321 §4.5.5), senders of our own domains and our own SRS addresses', async () => {
    assert.equal(await srs.forwardSender(''), '');
    assert.equal(await srs.forwardSender('alice@example.org'), 'alice@example.org');
    const ours = await srs.forwardSender('news@sender.test');
    assert.equal(await srs.forwardSender(ours), ours);
  });

  it('turns another forwarder\'s SRS0 address into SRS1 (the SRS paper\'s shortcut), which reverses to that forwarder', async () => {
    const theirs = srsForward('news@sender.test', { secrets: ['their key'], domain: 'forwarder.test' });
    const srs1 = await srs.forwardSender(theirs);
    assert.match(srs1, /^SRS1=[^=]{4}=forwarder\.test==[^=]{4}=[A-Z2-7]{2}=sender\.test=news@example\.com$/);
    assert.deepEqual(await srs.reverse(srs1), { kind: 'reversed', address: theirs });
  });

  it('uses srs.domain when set', async () => {
    const other = new SenderRewriting(store, [SECRET], () => ({ ...SETTINGS, srsDomain: 'Bounces.Example.com' }));
    assert.match(await other.forwardSender('news@sender.test'), /@bounces\.example\.com$/);
  });
});

describe('SenderRewriting.reverse', () => {
  it('leaves alone ordinary addresses and SRS addresses of other domains', async () => {
    assert.deepEqual(await srs.reverse('alice@example.org'), { kind: 'none' });
    assert.deepEqual(await srs.reverse(srsForward('news@sender.test', { secrets: [SECRET], domain: 'forwarder.test' })), { kind: 'none' });
  });

  it('refuses a forged hash, a foreign key and a timestamp past 21 days, saying which', async () => {
    const genuine = srsForward('news@sender.test', { secrets: [SECRET], domain: 'example.com' });
    assert.deepEqual(await srs.reverse(genuine), { kind: 'reversed', address: 'news@sender.test' });
    assert.deepEqual(await srs.reverse(genuine.toUpperCase()), { kind: 'reversed', address: 'NEWS@SENDER.TEST' }, 'the hash is checked case-insensitively');
    const foreign = srsForward('news@sender.test', { secrets: ['not our key'], domain: 'example.com' });
    assert.deepEqual(await srs.reverse(foreign), { kind: 'refused', reason: 'the SRS hash does not match (forged or not ours)' });
    const old = srsForward('news@sender.test', { secrets: [SECRET], domain: 'example.com', now: () => new Date(Date.now() - 22 * DAY_MS) });
    assert.deepEqual(await srs.reverse(old), { kind: 'refused', reason: 'the SRS address expired 22 days after it was made' });
    const recent = srsForward('news@sender.test', { secrets: [SECRET], domain: 'example.com', now: () => new Date(Date.now() - 20 * DAY_MS) });
    assert.equal((await srs.reverse(recent)).kind, 'reversed');
  });
});

describe('resolveRecipient with SRS', () => {
  const options = { recipientDelimiter: '+', srs: null as SenderRewriting | null };

  it('leads a genuine SRS address to the original sender: remote, or the local mailbox', async () => {
    options.srs = srs;
    const remote = await resolveRecipient(store, srsForward('news@sender.test', { secrets: [SECRET], domain: 'example.com' }), options);
    assert.deepEqual(remote.remote, ['news@sender.test']);
    const local = await resolveRecipient(store, srsForward('alice@example.org', { secrets: [SECRET], domain: 'example.com' }), options);
    assert.deepEqual(local.local.map((delivery) => delivery.user.address), ['alice@example.org']);
    assert.equal(local.srsRefused, null);
  });

  it('refuses a forged one, and without SRS it is an unknown local address', async () => {
    const forged = srsForward('news@sender.test', { secrets: ['not our key'], domain: 'example.com' });
    options.srs = srs;
    const refused = await resolveRecipient(store, forged, options);
    assert.match(refused.srsRefused ?? '', /hash does not match/);
    assert.deepEqual(refused.remote, []);
    options.srs = null;
    const off = await resolveRecipient(store, forged, options);
    assert.equal(off.srsRefused, null);
    assert.deepEqual(off.unknown, [forged.toLowerCase()]);
  });
});
