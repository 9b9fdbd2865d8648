// The login path every protocol shares, over real SQLite stores: the auth cache, its invalidation
// by a password change made through another store handle (the CLI is another process), the dummy
// verification for unknown logins, and the failure delay.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '@postern/auth';
import { openStore, type Store } from '@postern/store';
import { addDomain, addUser, banClient, deleteUser, liftClientBan, listClientBans, LoginGuard, setPasswordHash } from '../src/index.js';

const quiet = { info() {}, warn() {} };
let dir: string;
let path: string;
let store: Store;
let cli: Store;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'postern-login-'));
  path = join(dir, 'store.sqlite');
  store = await openStore({ backend: 'sqlite', path });
  cli = await openStore({ backend: 'sqlite', path });
  await addDomain(store, 'example.com');
  await addUser(store, { address: 'alice@example.com', passwordHash: await hashPassword('first secret') });
  await addUser(store, { address: 'bob@example.com', passwordHash: await hashPassword('bob secret') });
});
after(async () => {
  await store.close();
  await cli.close();
  rmSync(dir, { recursive: true, force: true });
});

function guard(options: Partial<ConstructorParameters<typeof LoginGuard>[0]> = {}): LoginGuard {
  return new LoginGuard({ store, logger: quiet, maxFailures: 100, banSeconds: 60, cacheTtlMs: 3_600_000, cacheNegativeTtlMs: 3_600_000, ...options });
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}

describe('LoginGuard', () => {
  it('answers a repeated login from the auth cache', async () => {
    const g = guard();
    const first = await timed(() => g.login('imap', 'alice@example.com', 'first secret', '127.0.0.1'));
    assert.equal(first.result.ok, true);
    const again = await g.login('imap', 'alice@example.com', 'first secret', '127.0.0.1');
    assert.equal(again.ok, true);
    assert.equal((await g.login('imap', 'alice@example.com', 'not it', '127.0.0.1')).ok, false);
    assert.equal((await g.login('imap', 'alice@example.com', 'not it', '127.0.0.1')).ok, false, 'the negative entry answers the same');
  });

  it('refuses the old password at once after `user passwd` through another store handle, and takes the new one', async () => {
    const g = guard();
    assert.equal((await g.login('imap', 'alice@example.com', 'first secret', '127.0.0.1')).ok, true);
    await setPasswordHash(cli, 'alice@example.com', await hashPassword('second secret'));
    assert.equal((await g.login('imap', 'alice@example.com', 'first secret', '127.0.0.1')).ok, false);
    assert.equal((await g.login('pop3', 'alice@example.com', 'second secret', '127.0.0.1')).ok, true);
    // A negative entry for the new password made before the change does not outlive it either.
    assert.equal((await g.login('imap', 'alice@example.com', 'third secret', '127.0.0.1')).ok, false);
    await setPasswordHash(cli, 'alice@example.com', await hashPassword('third secret'));
    assert.equal((await g.login('imap', 'alice@example.com', 'third secret', '127.0.0.1')).ok, true);
  });

  it('refuses a cached login once `user del` removed the user in another process', async () => {
    const g = guard();
    assert.equal((await g.login('smtp', 'bob@example.com', 'bob secret', '127.0.0.1')).ok, true);
    await deleteUser(cli, 'bob@example.com');
    assert.equal((await g.login('smtp', 'bob@example.com', 'bob secret', '127.0.0.1')).ok, false);
  });

  it('verifies a password for an unknown address too (a dummy hash), so both failures cost the same', async () => {
    // With only a negative cache, every verification that ran leaves one entry: count them.
    const g = new LoginGuard({ store, logger: quiet, maxFailures: 100, banSeconds: 60, cacheTtlMs: 0, cacheNegativeTtlMs: 3_600_000 });
    const cache = (g as unknown as { cache: { size: number } }).cache;
    await g.login('imap', 'nobody@example.com', 'guess', '127.0.0.1');
    assert.equal(cache.size, 1, 'an unknown address ran a verification');
    await g.login('imap', 'alice@example.com', 'guess', '127.0.0.1');
    assert.equal(cache.size, 2, 'a known address with a wrong password ran one');
  });

  it('answers a failed login only after auth.failure_delay, and a good one without it', async () => {
    const g = guard({ failureDelayMs: 400 });
    await g.login('imap', 'alice@example.com', 'third secret', '127.0.0.1');
    const failed = await timed(() => g.login('imap', 'alice@example.com', 'wrong', '127.0.0.1'));
    assert.equal(failed.result.ok, false);
    assert.ok(failed.ms >= 390, `failure answered after ${failed.ms.toFixed(0)} ms`);
    const unknown = await timed(() => g.login('imap', 'nobody@example.com', 'wrong', '127.0.0.1'));
    assert.ok(unknown.ms >= 390, `unknown address answered after ${unknown.ms.toFixed(0)} ms`);
  });

  it('keeps a ban in the store: a guard started later, over another connection, refuses the address too', async () => {
    const first = guard({ maxFailures: 3, banSeconds: 60 });
    for (let i = 0; i < 3; i++) assert.equal((await first.login('imap', 'alice@example.com', `wrong ${i}`, '192.0.2.10')).ok, false);
    assert.equal(first.isBanned('192.0.2.10'), true);
    // As after a restart, or in another process: a new guard over another store handle.
    const restarted = new LoginGuard({ store: cli, logger: quiet, maxFailures: 3, banSeconds: 60 });
    assert.equal(restarted.isBanned('192.0.2.10'), false, 'nothing known at connect before the store is asked');
    const refused = await restarted.login('pop3', 'alice@example.com', 'third secret', '192.0.2.10');
    assert.deepEqual({ ok: refused.ok, reason: !refused.ok && refused.reason }, { ok: false, reason: 'banned' });
    assert.ok(!refused.ok && refused.retryAfterMs! > 50_000);
    assert.equal(restarted.isBanned('192.0.2.10'), true, 'the ban read from the store is known at the next connect');
    assert.equal((await restarted.login('imap', 'alice@example.com', 'third secret', '192.0.2.11')).ok, true, 'other addresses are not affected');
  });

  it('counts an IPv4 client the same whether a dual-stack socket shows it as ::ffff:192.0.2.20 or not (RFC 4291 §2.5.5.2)', async () => {
    const g = guard({ maxFailures: 2, banSeconds: 60 });
    assert.equal((await g.login('pop3', 'alice@example.com', 'wrong', '::ffff:192.0.2.20')).ok, false);
    assert.equal((await g.login('imap', 'alice@example.com', 'wrong', '192.0.2.20')).ok, false);
    assert.equal(g.isBanned('192.0.2.20'), true);
    assert.equal(g.isBanned('::FFFF:192.0.2.20'), true);
    assert.deepEqual((await listClientBans(store)).map((ban) => ban.ip).filter((ip) => ip.endsWith('192.0.2.20')), ['192.0.2.20'], 'one ban, under the plain IPv4 address');
  });

  it('an administrator\'s unban reaches the connect check of a running guard within its trust time', async () => {
    let now = Date.now();
    const g = guard({ maxFailures: 1, banSeconds: 3600, now: () => now });
    assert.equal((await g.login('imap', 'alice@example.com', 'wrong', '192.0.2.21')).ok, false);
    assert.equal(g.isBanned('192.0.2.21'), true);
    assert.equal(await liftClientBan(cli, '192.0.2.21'), true, 'the CLI lifts it through another store handle');
    assert.equal(await liftClientBan(cli, '192.0.2.21'), false, 'a second time there is nothing to lift');
    now += 61_000;
    assert.equal(g.isBanned('192.0.2.21'), false, 'trusted for a minute, not for the whole hour of the ban');
    assert.equal((await g.login('imap', 'alice@example.com', 'third secret', '192.0.2.21')).ok, true);
  });

  it('postern ban add: refuses what is not an IP address, keeps a longer ban in force', async () => {
    await assert.rejects(banClient(cli, 'mail.example.com', new Date(Date.now() + 60_000)), /not an IP address/);
    const long = await banClient(cli, '2001:DB8::5', new Date(Date.now() + 3_600_000));
    assert.equal(long.ip, '2001:db8::5');
    const shorter = await banClient(cli, '2001:db8::5', new Date(Date.now() + 60_000));
    assert.equal(shorter.until.getTime(), long.until.getTime());
    await liftClientBan(cli, '2001:db8::5');
  });

  it('slows, never locks, an account attacked from many addresses; the owner gets in, at once after the window', async () => {
    await addUser(store, { address: 'dave@example.com', passwordHash: await hashPassword('dave secret') });
    let now = Date.now();
    const events: string[] = [];
    const record = (fields: object): void => void events.push(String((fields as { event?: string }).event));
    const g = guard({ logger: { info: record, warn: record }, maxFailures: 10, banSeconds: 60, accountMaxFailures: 20, accountThrottleDelayMs: 300, now: () => now });
    // 30 wrong passwords for one account, each from its own address (no address reaches its own ban).
    for (let i = 0; i < 30; i++) {
      assert.equal((await g.login('imap', 'Dave@Example.com', `guess ${i}`, `198.51.100.${i + 1}`)).ok, false);
    }
    // The first 20 are checked at once; the 20th starts the throttle; the 10 after it wait first.
    assert.deepEqual(
      events.filter((event) => event.startsWith('auth_account') || event === 'auth_failed'),
      [...Array(19).fill('auth_failed'), 'auth_failed', 'auth_account_throttle', ...Array(10).fill(['auth_account_throttled', 'auth_failed']).flat()],
    );
    assert.ok(!events.includes('auth_ban'), 'no address was banned');
    // The owner, from a clean address, with the right password: slowed but let in.
    const owner = await timed(() => g.login('imap', 'dave@example.com', 'dave secret', '203.0.113.5'));
    assert.equal(owner.result.ok, true);
    assert.ok(owner.ms >= 290);
    // Once the window has passed, without delay.
    now += 61_000;
    const later = await timed(() => g.login('imap', 'dave@example.com', 'dave secret', '203.0.113.5'));
    assert.equal(later.result.ok, true);
    assert.ok(later.ms < 290, `${later.ms.toFixed(0)} ms after the window`);
  });
});
