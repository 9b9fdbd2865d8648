// ManageSieve (RFC 5804) dialogues over a real socket and store, on both backends: the greeting,
// STARTTLS, AUTHENTICATE PLAIN and the script commands, in the order Thunderbird's sieve add-on
// and Roundcube's managesieve plugin send them, and the RFC's response codes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { hashPassword } from '@postern/auth';
import type { Store, User } from '@postern/store';
import { literal, ManageSieveClient, plain } from '../../../test/support/managesieve-client.js';
import { listenManageSieve } from '../src/managesieve/index.js';
import { BACKENDS, PASSWORD, runService, selfSignedCert, startBackend, testConfig, type Backend, type RunningService } from './fixture.js';

const scratch = mkdtempSync(join(tmpdir(), 'postern-managesieve-'));
process.once('exit', () => rmSync(scratch, { recursive: true, force: true }));
const certificate = selfSignedCert(scratch);

const FILTER = `require ["fileinto", "imap4flags"];
# Thunderbird's sieve add-on writes scripts like this one.
if header :contains "List-Id" "<dev.lists.example.org>" {
  fileinto :flags "\\\\Seen" "Lists/dev";
  stop;
}
`;

let userCounter = 0;
async function addTestUser(store: Store): Promise<User> {
  userCounter += 1;
  return store.addUser({ address: `sieve${userCounter}.${process.pid}@example.com`, passwordHash: await hashPassword(PASSWORD) });
}

for (const backendName of BACKENDS) {
  describe(`ManageSieve on ${backendName}`, () => {
    let backend: Backend;
    let store: Store;
    let running: RunningService | undefined;
    const clients: ManageSieveClient[] = [];

    before(async () => {
      backend = await startBackend(backendName);
      store = await backend.open();
      console.log(`ManageSieve on ${backend.server}`);
    });
    afterEach(async () => {
      for (const client of clients.splice(0)) client.destroy();
      await running?.service.close();
      running = undefined;
    });
    after(async () => {
      await store?.close();
      await backend?.stop();
    });

    async function start(settings: Record<string, unknown> = {}): Promise<RunningService> {
      const config = testConfig({ data_dir: scratch, tls: certificate, auth: { failure_delay: '0s' }, ...settings });
      running = await runService((ctx, address) => listenManageSieve(ctx, address, { implicitTls: false }), store, config);
      return running;
    }

    async function connect(): Promise<{ client: ManageSieveClient; greeting: Awaited<ReturnType<ManageSieveClient['response']>> }> {
      assert.ok(running, 'the service runs');
      const client = await ManageSieveClient.connect(running.port);
      clients.push(client);
      return { client, greeting: await client.response() };
    }

    /** Connected, under TLS and logged in as a new user. */
    async function loggedIn(settings: Record<string, unknown> = {}): Promise<{ client: ManageSieveClient; user: User }> {
      await start(settings);
      const { client } = await connect();
      assert.equal((await client.startTls()).capabilities.kind, 'OK');
      const user = await addTestUser(store);
      const auth = await client.authenticate(user.address, PASSWORD);
      assert.equal(auth.kind, 'OK', auth.status);
      return { client, user };
    }

    it('greets with the capabilities of RFC 5804 §1.7 and offers no SASL before STARTTLS', async () => {
      await start();
      const { greeting } = await connect();
      assert.equal(greeting.kind, 'OK');
      assert.ok(greeting.lines.includes('"IMPLEMENTATION" "Postern"'));
      assert.ok(greeting.lines.includes('"SASL" ""'), 'no mechanism offered over cleartext');
      assert.ok(greeting.lines.includes('"STARTTLS"'));
      assert.ok(greeting.lines.includes('"VERSION" "1.0"'));
      assert.ok(greeting.lines.includes('"MAXREDIRECTS" "4"'));
      const sieve = greeting.lines.find((line) => line.startsWith('"SIEVE" '));
      assert.match(sieve ?? '', /^"SIEVE" ".*\bfileinto\b.*"$/);
      assert.ok(!greeting.lines.some((line) => line.startsWith('"OWNER"')), 'OWNER only after authentication');
    });

    it('refuses AUTHENTICATE before TLS with NO (ENCRYPT-NEEDED)', async () => {
      await start();
      const { client } = await connect();
      const user = await addTestUser(store);
      const reply = await client.authenticate(user.address, PASSWORD);
      assert.equal(reply.kind, 'NO');
      assert.match(reply.status, /^NO \(ENCRYPT-NEEDED\) "/);
    });

    it('re-issues the capabilities after STARTTLS (RFC 5804 §2.2), with SASL PLAIN and without STARTTLS, and drops pipelined plaintext', async () => {
      await start();
      const { client } = await connect();
      const { reply, capabilities } = await client.startTls('CAPABILITY\r\n');
      assert.equal(reply.kind, 'OK');
      assert.equal(capabilities.kind, 'OK');
      assert.ok(capabilities.lines.includes('"SASL" "PLAIN"'));
      assert.ok(!capabilities.lines.includes('"STARTTLS"'));
      // The pipelined CAPABILITY was plaintext: nothing answers it; NOOP is the next reply.
      assert.equal((await client.command('NOOP')).kind, 'OK');
    });

    it('allows AUTHENTICATE in cleartext when managesieve.allow_cleartext_auth is set', async () => {
      await start({ managesieve: { allow_cleartext_auth: true } });
      const { client, greeting } = await connect();
      assert.ok(greeting.lines.includes('"SASL" "PLAIN"'));
      const user = await addTestUser(store);
      assert.equal((await client.authenticate(user.address, PASSWORD)).kind, 'OK');
    });

    it('runs the Thunderbird sieve add-on dialogue: PLAIN with an empty challenge and a literal answer, PUTSCRIPT, SETACTIVE, GETSCRIPT, LISTSCRIPTS', async () => {
      await start();
      const { client } = await connect();
      await client.startTls();
      const user = await addTestUser(store);
      // RFC 5804 §2.1: without an initial response the server sends an empty challenge "".
      client.write('AUTHENTICATE "PLAIN"\r\n');
      assert.equal(await client.readLine(), '""');
      const auth = await client.command(literal(plain(user.address, PASSWORD)));
      assert.equal(auth.kind, 'OK', auth.status);
      const capability = await client.command('CAPABILITY');
      assert.ok(capability.lines.includes(`"OWNER" "${user.address}"`));
      assert.equal((await client.command(`PUTSCRIPT "thunderbird" ${literal(FILTER)}`)).kind, 'OK');
      assert.equal((await client.command('SETACTIVE "thunderbird"')).kind, 'OK');
      const listed = await client.command('LISTSCRIPTS');
      assert.deepEqual(listed.lines, ['"thunderbird" ACTIVE']);
      // RFC 5804 §2.9: the script comes back as a literal, byte for byte.
      const got = await client.command('GETSCRIPT "thunderbird"');
      assert.equal(got.kind, 'OK');
      assert.deepEqual(got.lines, [FILTER, '']);
      assert.equal((await store.getActiveSieveScript(user.id))?.content, FILTER);
      const logout = await client.command('LOGOUT');
      assert.equal(logout.kind, 'OK');
      await client.closed();
    });

    it('runs the Roundcube managesieve dialogue: initial response, HAVESPACE, CHECKSCRIPT, PUTSCRIPT over a replaced script, RENAMESCRIPT, DELETESCRIPT', async () => {
      const { client, user } = await loggedIn();
      assert.equal((await client.command(`HAVESPACE "roundcube" ${Buffer.byteLength(FILTER)}`)).kind, 'OK');
      assert.equal((await client.command(`CHECKSCRIPT ${literal(FILTER)}`)).kind, 'OK');
      assert.equal((await client.command(`PUTSCRIPT "roundcube" ${literal('keep;')}`)).kind, 'OK');
      assert.equal((await client.command(`PUTSCRIPT "roundcube" ${literal(FILTER)}`)).kind, 'OK', 'a PUTSCRIPT replaces');
      assert.equal((await client.command('SETACTIVE "roundcube"')).kind, 'OK');
      assert.equal((await client.command('RENAMESCRIPT "roundcube" "managesieve"')).kind, 'OK');
      assert.deepEqual((await client.command('LISTSCRIPTS')).lines, ['"managesieve" ACTIVE']);
      // RFC 5804 §2.10: the active script is not deleted.
      const refused = await client.command('DELETESCRIPT "managesieve"');
      assert.match(refused.status, /^NO \(ACTIVE\) "/);
      // RFC 5804 §2.8: SETACTIVE "" deactivates.
      assert.equal((await client.command('SETACTIVE ""')).kind, 'OK');
      assert.equal((await client.command('DELETESCRIPT "managesieve"')).kind, 'OK');
      assert.deepEqual((await client.command('LISTSCRIPTS')).lines, []);
      assert.deepEqual(await store.listSieveScripts(user.id), []);
    });

    it('refuses a script that does not compile with NO "line L column C: …" and stores nothing', async () => {
      const { client, user } = await loggedIn();
      const check = await client.command(`CHECKSCRIPT ${literal('require ["fileinto"];\nif header :is "Subject" {\n  fileinto "x";\n}\n')}`);
      assert.equal(check.kind, 'NO');
      assert.match(check.status, /^NO "line \d+ column \d+: .+"$/);
      const put = await client.command(`PUTSCRIPT "broken" ${literal('frobnicate;')}`);
      assert.match(put.status, /^NO "line 1 column 1: .+"$/);
      assert.deepEqual(await store.listSieveScripts(user.id), []);
    });

    it('answers with the RFC 5804 §1.3 codes: NONEXISTENT, ALREADYEXISTS, QUOTA/MAXSCRIPTS, QUOTA/MAXSIZE', async () => {
      const { client } = await loggedIn({ sieve: { max_scripts: 2, max_script_size: 100 } });
      assert.match((await client.command('GETSCRIPT "nope"')).status, /^NO \(NONEXISTENT\) "/);
      assert.match((await client.command('SETACTIVE "nope"')).status, /^NO \(NONEXISTENT\) "/);
      assert.match((await client.command('DELETESCRIPT "nope"')).status, /^NO \(NONEXISTENT\) "/);
      assert.match((await client.command('RENAMESCRIPT "nope" "other"')).status, /^NO \(NONEXISTENT\) "/);
      assert.equal((await client.command(`PUTSCRIPT "a" ${literal('keep;')}`)).kind, 'OK');
      assert.equal((await client.command(`PUTSCRIPT "b" ${literal('keep;')}`)).kind, 'OK');
      assert.match((await client.command('RENAMESCRIPT "a" "b"')).status, /^NO \(ALREADYEXISTS\) "/);
      assert.match((await client.command(`PUTSCRIPT "c" ${literal('keep;')}`)).status, /^NO \(QUOTA\/MAXSCRIPTS\) "/);
      assert.match((await client.command('HAVESPACE "c" 10')).status, /^NO \(QUOTA\/MAXSCRIPTS\) "/);
      assert.equal((await client.command('HAVESPACE "a" 100')).kind, 'OK', 'replacing an existing script needs no new slot');
      assert.match((await client.command('HAVESPACE "a" 101')).status, /^NO \(QUOTA\/MAXSIZE\) "/);
      assert.match((await client.command(`PUTSCRIPT "a" ${literal(`# ${'x'.repeat(120)}\nkeep;`)}`)).status, /^NO \(QUOTA\/MAXSIZE\) "/);
    });

    it('takes quoted strings with escapes, both literal forms, NOOP with a tag (RFC 5804 §2.13) and UNAUTHENTICATE (§2.14)', async () => {
      const { client, user } = await loggedIn();
      assert.equal((await client.command(`PUTSCRIPT "say \\"hi\\"" "keep;"`)).kind, 'OK');
      const sync = 'discard;';
      assert.equal((await client.command(`PUTSCRIPT "sync" {${sync.length}}\r\n${sync}`)).kind, 'OK');
      assert.deepEqual((await store.listSieveScripts(user.id)).map((s) => s.name), ['say "hi"', 'sync']);
      assert.deepEqual((await client.command('LISTSCRIPTS')).lines, ['"say \\"hi\\""', '"sync"']);
      assert.equal((await client.command('NOOP "STARTTLS-SYNC-42"')).status, 'OK (TAG "STARTTLS-SYNC-42") "Done"');
      assert.equal((await client.command('UNAUTHENTICATE')).kind, 'OK');
      assert.match((await client.command('LISTSCRIPTS')).status, /^NO "LISTSCRIPTS needs authentication first"/);
    });

    it('counts failed logins with the shared guard and bans the address with BYE (TRYLATER)', async () => {
      await start({ limits: { auth_failures_before_ban: 2, ban_seconds: 60 } });
      const { client } = await connect();
      await client.startTls();
      const user = await addTestUser(store);
      assert.equal((await client.authenticate(user.address, 'wrong')).status, 'NO "Authentication failed"');
      const second = await client.authenticate(user.address, 'wrong');
      assert.equal(second.kind, 'NO');
      const banned = await client.authenticate(user.address, PASSWORD);
      assert.match(banned.status, /^BYE \(TRYLATER\) "/);
      await client.closed();
      // The ban lives in the store, shared with the tests after this one.
      await store.liftAuthBan('ip:127.0.0.1');
      assert.ok(running?.logs.some((line) => line.protocol === 'managesieve' && typeof line.msg === 'string' && /auth failure/i.test(line.msg)), 'failures are logged in the guard\'s form');
    });

    it('answers bad input with NO and keeps the session: unknown commands, bad syntax, an overlong line, an oversized literal', async () => {
      const { client } = await loggedIn({ sieve: { max_script_size: 10_000 } });
      assert.match((await client.command('FROBNICATE')).status, /^NO "Unknown command FROBNICATE"/);
      assert.equal((await client.command('PUTSCRIPT "x" "unterminated')).kind, 'NO');
      assert.equal((await client.command('PUTSCRIPT "a\\b" "keep;"')).kind, 'NO', 'only \\" and \\\\ may be escaped');
      assert.equal((await client.command(`NOOP ${'x'.repeat(20_000)}`)).kind, 'NO');
      // The literal is refused as it streams by: the server reads past it and answers once.
      const huge = 'x'.repeat(50_000);
      const oversized = await client.command(`PUTSCRIPT "huge" {${huge.length}+}\r\n${huge}`);
      assert.match(oversized.status, /^NO \(QUOTA\/MAXSIZE\) "/);
      assert.equal((await client.command('NOOP')).kind, 'OK');
      assert.equal((await client.command('LISTSCRIPTS')).kind, 'OK');
    });

    it('closes with BYE after too many bad commands', async () => {
      await start();
      const { client } = await connect();
      let last = await client.command('BOGUS');
      for (let i = 0; i < 30 && last.kind !== 'BYE'; i++) last = await client.command('BOGUS');
      assert.equal(last.kind, 'BYE');
      await client.closed();
    });

    it('survives random bytes (fixed seed) and still answers NOOP on a new connection', async () => {
      await start({ managesieve: { allow_cleartext_auth: true } });
      let seed = 0x5eed;
      const random = (): number => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed;
      };
      const pieces = ['{', '}', '+', '"', '\\', '\r\n', '\n', ' ', 'PUTSCRIPT', 'AUTHENTICATE', '{99999999999+}', '{5}', 'NOOP', '*', '\0', '\xff'];
      for (let round = 0; round < 20; round++) {
        const { client } = await connect();
        let junk = '';
        for (let i = 0; i < 200; i++) junk += random() % 3 === 0 ? String.fromCharCode(random() % 256) : pieces[random() % pieces.length];
        client.write(Buffer.from(junk, 'latin1'));
        client.destroy();
      }
      const { client } = await connect();
      assert.equal((await client.command('NOOP')).kind, 'OK');
    });
  });
}
