// The admin CLI end to end (SPEC §3): every command as a user types it, on
// both store backends, with the exit codes and one-line errors the contract names.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyPassword } from '@postern/auth';
import { openStore } from '@postern/store';
import { initInstance, type CliInstance } from './backends.js';

/** Exit 1 and exactly one line on stderr that contains `pattern`. */
function assertOneLineError(result: { code: number; stderr: string }, pattern: RegExp): void {
  assert.equal(result.code, 1, `expected exit 1, got ${result.code}: ${result.stderr}`);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${result.stderr}`);
  assert.match(lines[0] ?? '', pattern);
}

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`postern admin CLI on ${backend}`, () => {
    let instance: CliInstance;
    let run: CliInstance['run'];

    before(async () => {
      instance = await initInstance(backend);
      run = instance.run;
      console.log(`admin CLI on ${backend}: ${instance.server}`);
    });
    after(async () => instance?.dispose());

    describe('domains', () => {
      it('lists the domain init created, as JSON that parses', async () => {
        const result = await run(['domain', 'list', '--json']);
        assert.equal(result.code, 0, result.stderr);
        const domains = JSON.parse(result.stdout) as { name: string; users: number }[];
        assert.deepEqual(domains.map((d) => d.name), ['example.com']);
      });

      it('adds a domain given in upper case as its lower-case name', async () => {
        const result = await run(['domain', 'add', 'Example.ORG']);
        assert.equal(result.code, 0, result.stderr);
        const list = JSON.parse((await run(['domain', 'list', '--json'])).stdout) as { name: string }[];
        assert.deepEqual(list.map((d) => d.name), ['example.com', 'example.org']);
      });

      it('refuses a duplicate domain with one line', async () => {
        assertOneLineError(await run(['domain', 'add', 'example.org']), /domain example\.org already exists/);
      });

      it('refuses an invalid domain name with one line', async () => {
        assertOneLineError(await run(['domain', 'add', 'bad_domain..com']), /not a valid domain/);
      });

      it('refuses to delete a domain that still has users, then deletes it with --force', async () => {
        assert.equal((await run(['user', 'add', 'temp@example.org'])).code, 0);
        assertOneLineError(await run(['domain', 'del', 'example.org']), /still has 1 user\(s\).*--force/);
        const forced = await run(['domain', 'del', 'example.org', '--force']);
        assert.equal(forced.code, 0, forced.stderr);
        const users = JSON.parse((await run(['user', 'list', '--json'])).stdout) as { address: string }[];
        assert.ok(!users.some((u) => u.address === 'temp@example.org'));
      });

      it('says so when deleting a domain that does not exist', async () => {
        assertOneLineError(await run(['domain', 'del', 'nowhere.example']), /not a local domain/);
      });
    });

    describe('users', () => {
      it('adds a user with a password read from stdin, stored only as a hash that verifies', async () => {
        const result = await run(['user', 'add', 'alice@example.com', '--password-stdin', '--name', 'Alice', '--quota', '1G'], {
          input: 'correct horse\n',
        });
        assert.equal(result.code, 0, result.stderr);
        const store = await openStoreOf(instance);
        try {
          const user = await store.getUser('alice@example.com');
          assert.ok(user);
          assert.doesNotMatch(user.passwordHash, /correct horse/);
          assert.equal(await verifyPassword('correct horse', user.passwordHash), true);
          assert.equal(await verifyPassword('wrong', user.passwordHash), false);
          assert.equal(user.quota, 1024 ** 3);
        } finally {
          await store.close();
        }
      });

      it('shows a user as JSON with the default folders and never the hash', async () => {
        const result = await run(['user', 'show', 'ALICE@example.com', '--json']);
        assert.equal(result.code, 0, result.stderr);
        const user = JSON.parse(result.stdout) as Record<string, unknown> & { mailboxes: { path: string; specialUse: string | null; subscribed: boolean }[] };
        assert.equal(user.address, 'alice@example.com');
        assert.equal(user.name, 'Alice');
        assert.ok(!('passwordHash' in user));
        assert.doesNotMatch(result.stdout, /SCRYPT|\$scrypt/);
        assert.deepEqual(
          user.mailboxes.map((m) => [m.path, m.specialUse, m.subscribed]),
          [
            ['Drafts', '\\Drafts', true],
            ['INBOX', null, true],
            ['Junk', '\\Junk', true],
            ['Sent', '\\Sent', true],
            ['Trash', '\\Trash', true],
          ],
        );
      });

      it('refuses a user in a domain that is not local', async () => {
        assertOneLineError(await run(['user', 'add', 'bob@unknown.example']), /unknown\.example is not a local domain/);
      });

      it('refuses an invalid address', async () => {
        assertOneLineError(await run(['user', 'add', 'not an address']), /not an address|invalid/);
      });

      it('refuses a duplicate user, whatever the case', async () => {
        assertOneLineError(await run(['user', 'add', 'Alice@Example.com']), /user alice@example\.com already exists/i);
      });

      it('refuses a bad quota', async () => {
        assertOneLineError(await run(['user', 'add', 'q@example.com', '--quota', 'lots']), /--quota/);
      });

      it('changes a password only from stdin', async () => {
        const refused = await run(['user', 'passwd', 'alice@example.com']);
        assertOneLineError(refused, /--password-stdin/);
        const changed = await run(['user', 'passwd', 'alice@example.com', '--password-stdin'], { input: 'new secret\n' });
        assert.equal(changed.code, 0, changed.stderr);
        const store = await openStoreOf(instance);
        try {
          const user = await store.getUser('alice@example.com');
          assert.equal(await verifyPassword('new secret', user?.passwordHash ?? ''), true);
        } finally {
          await store.close();
        }
      });

      it('refuses an empty password on stdin', async () => {
        assertOneLineError(await run(['user', 'passwd', 'alice@example.com', '--password-stdin'], { input: '' }), /no password/);
      });

      it('lists users of a domain as JSON', async () => {
        assert.equal((await run(['user', 'add', 'bob@example.com', '--password-stdin'], { input: 'pw\n' })).code, 0);
        const result = await run(['user', 'list', '--domain', 'example.com', '--json']);
        assert.equal(result.code, 0, result.stderr);
        const users = JSON.parse(result.stdout) as { address: string }[];
        assert.deepEqual(users.map((u) => u.address), ['alice@example.com', 'bob@example.com']);
      });

      it('deletes a user and says so for one that does not exist', async () => {
        assert.equal((await run(['user', 'add', 'gone@example.com'])).code, 0);
        assert.equal((await run(['user', 'del', 'gone@example.com'])).code, 0);
        assertOneLineError(await run(['user', 'del', 'gone@example.com']), /no such user: gone@example\.com/);
      });
    });

    describe('aliases', () => {
      it('adds an alias with several targets and lists it as JSON', async () => {
        const added = await run(['alias', 'add', 'team@example.com', 'alice@example.com', 'bob@example.com']);
        assert.equal(added.code, 0, added.stderr);
        const aliases = JSON.parse((await run(['alias', 'list', '--json'])).stdout) as { address: string; targets: string[] }[];
        assert.deepEqual(aliases.find((a) => a.address === 'team@example.com')?.targets, ['alice@example.com', 'bob@example.com']);
      });

      it('adds a catch-all and a forward to another domain', async () => {
        assert.equal((await run(['alias', 'add', '@example.com', 'alice@example.com'])).code, 0);
        assert.equal((await run(['alias', 'add', 'fwd@example.com', 'someone@elsewhere.example'])).code, 0);
        const aliases = JSON.parse((await run(['alias', 'list', '--json'])).stdout) as { address: string }[];
        assert.ok(aliases.some((a) => a.address === '@example.com'));
      });

      it('refuses an alias loop and names the chain', async () => {
        assert.equal((await run(['alias', 'add', 'a@example.com', 'b@example.com'])).code, 0);
        assertOneLineError(await run(['alias', 'add', 'b@example.com', 'a@example.com']), /alias loop: b@example\.com → a@example\.com → b@example\.com/);
        const aliases = JSON.parse((await run(['alias', 'list', '--json'])).stdout) as { address: string }[];
        assert.ok(!aliases.some((a) => a.address === 'b@example.com'), 'the refused alias was not written');
      });

      it('lets an alias keep a copy for itself (alias → itself, others) without calling it a loop', async () => {
        const result = await run(['alias', 'add', 'bob@example.com', 'bob@example.com', 'alice@example.com']);
        assert.equal(result.code, 0, result.stderr);
      });

      it('refuses an alias in a domain that is not local, and a bad target', async () => {
        assertOneLineError(await run(['alias', 'add', 'x@unknown.example', 'alice@example.com']), /not a local domain/);
        // A bare name is a name at myorigin (root: alice); a broken address is refused.
        assertOneLineError(await run(['alias', 'add', 'x@example.com', 'a@@b']), /"a@@b" has an invalid local part/);
      });

      it('removes one target, then the whole alias', async () => {
        assert.equal((await run(['alias', 'del', 'team@example.com', 'bob@example.com'])).code, 0);
        let aliases = JSON.parse((await run(['alias', 'list', '--json'])).stdout) as { address: string; targets: string[] }[];
        assert.deepEqual(aliases.find((a) => a.address === 'team@example.com')?.targets, ['alice@example.com']);
        assert.equal((await run(['alias', 'del', 'team@example.com'])).code, 0);
        aliases = JSON.parse((await run(['alias', 'list', '--json'])).stdout) as { address: string; targets: string[] }[];
        assert.ok(!aliases.some((a) => a.address === 'team@example.com'));
        assertOneLineError(await run(['alias', 'del', 'team@example.com']), /no such alias/);
      });
    });

    describe('sender-login map', () => {
      it('allows, lists and denies a sender for a login', async () => {
        assert.equal((await run(['sender', 'allow', 'billing@example.com', 'alice@example.com'])).code, 0);
        const entries = JSON.parse((await run(['sender', 'list', '--json'])).stdout) as { address: string; login: string }[];
        assert.deepEqual(entries.map((e) => [e.address, e.login]), [['billing@example.com', 'alice@example.com']]);
        assert.equal((await run(['sender', 'deny', 'billing@example.com', 'alice@example.com'])).code, 0);
        assert.deepEqual(JSON.parse((await run(['sender', 'list', '--json'])).stdout), []);
      });

      it('refuses a grant for a login that is not a user, and a deny with nothing to withdraw', async () => {
        assertOneLineError(await run(['sender', 'allow', 'billing@example.com', 'nobody@example.com']), /no such user: nobody@example\.com/);
        assertOneLineError(await run(['sender', 'deny', 'billing@example.com', 'alice@example.com']), /no explicit grant/);
      });
    });
  });
}

async function openStoreOf(instance: CliInstance) {
  const { loadConfig, storeOptions } = await import('@postern/config');
  return openStore(storeOptions(loadConfig(instance.configFile)));
}
