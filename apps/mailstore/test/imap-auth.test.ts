import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Store } from '@postern/store';
import { BACKENDS, PASSWORD, startBackend, type Backend } from './fixture.js';
import { startImapFixture, type ImapFixture } from './imap-fixture.js';
import { WireClient } from './imap-wire.js';

const plain = (user: string, pass: string): string => Buffer.from(`\0${user}\0${pass}`).toString('base64');

for (const name of BACKENDS) {
  describe(`IMAP login on ${name}`, () => {
    let backend: Backend;
    let store: Store;
    let starttls: ImapFixture;
    let noTls: ImapFixture;
    let implicit: ImapFixture;

    before(async () => {
      backend = await startBackend(name);
      store = await backend.open();
      starttls = await startImapFixture(store, backend.dir, { withTls: true, allowCleartext: false });
      noTls = await startImapFixture(store, backend.dir, { allowCleartext: false });
      implicit = await startImapFixture(store, backend.dir, { implicitTls: true, allowCleartext: false, config: { limits: { max_connections_per_ip: 3, auth_failures_before_ban: 3 } } });
      await starttls.addUser('alice@example.com');
    });

    after(async () => {
      await Promise.all([starttls.close(), noTls.close(), implicit.close()]);
      await store.close();
      await backend.stop();
    });

    test('runs against a real store', (t) => {
      t.diagnostic(backend.server);
    });

    test('announces STARTTLS and LOGINDISABLED before TLS and refuses LOGIN there', async () => {
      const wire = await WireClient.open(starttls.port);
      const caps = await wire.command('CAPABILITY');
      assert.match(caps.untagged[0]!, /STARTTLS/);
      assert.match(caps.untagged[0]!, /LOGINDISABLED/);
      const login = await wire.command(`LOGIN alice@example.com "${PASSWORD}"`);
      assert.notEqual(login.status, 'OK');
      const auth = await wire.command(`AUTHENTICATE PLAIN ${plain('alice@example.com', PASSWORD)}`);
      assert.notEqual(auth.status, 'OK');
      // The session goes on: STARTTLS, then the same credentials work.
      assert.equal((await wire.startTls()).status, 'OK');
      const after = await wire.command('CAPABILITY');
      assert.doesNotMatch(after.untagged[0]!, /LOGINDISABLED/);
      const ok = await wire.command(`LOGIN alice@example.com "${PASSWORD}"`);
      assert.equal(ok.status, 'OK', ok.tagged);
      const postLogin = ok.untagged.join(' ');
      for (const cap of ['IDLE', 'CONDSTORE', 'UTF8=ACCEPT', 'COMPRESS=DEFLATE', 'SPECIAL-USE', 'QUOTA', 'MOVE', 'UIDPLUS', 'APPENDLIMIT=52428800']) {
        assert.match(postLogin, new RegExp(cap.replace(/[=]/g, '\\$&')));
      }
      wire.close();
    });

    test('commands pipelined in cleartext after STARTTLS are dropped, not run inside the TLS session', async () => {
      const wire = await WireClient.open(starttls.port);
      wire.write(`S1 STARTTLS\r\nS2 LOGIN alice@example.com "${PASSWORD}"\r\nS3 CAPABILITY\r\n`);
      assert.match(await wire.line(), /^S1 OK/);
      await assert.rejects(wire.line(300), /timed out/, 'nothing more is answered in cleartext');
      await wire.upgrade();
      const caps = await wire.command('CAPABILITY');
      assert.deepEqual(caps.untagged.filter((line) => !line.startsWith('* CAPABILITY')), [], 'no answer to S2 or S3 arrives');
      assert.match(caps.untagged[0]!, /LOGINDISABLED|AUTH=PLAIN/);
      assert.equal((await wire.command('SELECT INBOX')).status, 'BAD', 'the pipelined LOGIN did not log the session in');
      assert.equal((await wire.command(`LOGIN alice@example.com "${PASSWORD}"`)).status, 'OK');
      wire.close();
    });

    test('STARTTLS without a certificate is refused with BAD', async () => {
      const wire = await WireClient.open(noTls.port);
      const result = await wire.command('STARTTLS');
      assert.equal(result.status, 'BAD');
      assert.equal((await wire.command('NOOP')).status, 'OK');
      wire.close();
    });

    test('AUTHENTICATE PLAIN works after STARTTLS, with an initial response or a continuation', async () => {
      const wire = await WireClient.open(starttls.port);
      await wire.startTls();
      const inline = await wire.command(`AUTHENTICATE PLAIN ${plain('alice@example.com', PASSWORD)}`);
      assert.equal(inline.status, 'OK', inline.tagged);
      wire.close();
      const second = await WireClient.open(starttls.port);
      await second.startTls();
      second.write('A1 AUTHENTICATE PLAIN\r\n');
      assert.match(await second.line(), /^\+/);
      second.write(`${plain('alice@example.com', PASSWORD)}\r\n`);
      assert.match(await second.line(), /^\* CAPABILITY/);
      assert.match(await second.line(), /^A1 OK/);
      second.close();
    });

    test('imapflow logs in over STARTTLS with a self-signed certificate when told not to verify', async () => {
      const client = starttls.client('alice@example.com');
      await client.connect();
      assert.equal(client.authenticated !== false, true);
      assert.equal(client.secureConnection, true);
      await client.logout();
    });

    test('refuses a wrong password with NO [AUTHENTICATIONFAILED] and logs the client address', async () => {
      const wire = await WireClient.open(starttls.port);
      await wire.startTls();
      const bad = await wire.command('LOGIN alice@example.com wrong-password');
      assert.equal(bad.status, 'NO');
      assert.match(bad.tagged, /\[AUTHENTICATIONFAILED\]/);
      wire.close();
      assert.ok(starttls.logs.some((line) => line.event === 'auth_failed' && line.client === '127.0.0.1'));
      assert.ok(!JSON.stringify(starttls.logs).includes('wrong-password'), 'a password never reaches the log');
    });

    test('without a certificate, login is refused with NO [PRIVACYREQUIRED] unless cleartext is allowed', async () => {
      const wire = await WireClient.open(noTls.port);
      const caps = await wire.command('CAPABILITY');
      assert.doesNotMatch(caps.untagged[0]!, /STARTTLS/);
      const login = await wire.command(`LOGIN alice@example.com "${PASSWORD}"`);
      assert.equal(login.status, 'NO');
      assert.match(login.tagged, /PRIVACYREQUIRED/);
      const auth = await wire.command(`AUTHENTICATE PLAIN ${plain('alice@example.com', PASSWORD)}`);
      assert.equal(auth.status, 'NO');
      assert.match(auth.tagged, /PRIVACYREQUIRED/);
      wire.close();
    });

    test('implicit TLS (993 style) logs in from the first byte', async () => {
      const wire = await WireClient.open(implicit.port, { tls: true });
      const caps = await wire.command('CAPABILITY');
      assert.doesNotMatch(caps.untagged[0]!, /STARTTLS|LOGINDISABLED/);
      assert.equal((await wire.command(`LOGIN alice@example.com "${PASSWORD}"`)).status, 'OK');
      wire.close();
    });

    test('bans a client after repeated failures with NO [UNAVAILABLE], even for the right password', async () => {
      for (let i = 0; i < 3; i++) {
        const wire = await WireClient.open(implicit.port, { tls: true });
        assert.equal((await wire.command('LOGIN alice@example.com nope')).status, 'NO');
        wire.close();
      }
      const wire = await WireClient.open(implicit.port, { tls: true });
      const banned = await wire.command(`LOGIN alice@example.com "${PASSWORD}"`);
      assert.equal(banned.status, 'NO');
      assert.match(banned.tagged, /\[UNAVAILABLE\]/);
      wire.close();
      assert.ok(implicit.logs.some((line) => line.event === 'auth_ban'));
      // Bans live in the store, shared by every service on it: lifted for the tests that follow.
      await store.liftAuthBan('ip:127.0.0.1');
    });

    test('refuses connections above the per-IP limit with BYE and accepts again once one closes', async () => {
      const open = await Promise.all([0, 1, 2].map(() => WireClient.open(implicit.port, { tls: true })));
      const refused = await import('node:tls').then(
        ({ connect }) =>
          new Promise<string>((resolve) => {
            const socket = connect({ host: '127.0.0.1', port: implicit.port, rejectUnauthorized: false });
            let text = '';
            socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
            socket.on('close', () => resolve(text));
            socket.on('error', () => resolve(text));
          }),
      );
      assert.match(refused, /^\* BYE Too many connections/);
      open[0]!.close();
      await new Promise((resolve) => setTimeout(resolve, 200));
      const again = await WireClient.open(implicit.port, { tls: true });
      assert.equal((await again.command('NOOP')).status, 'OK');
      for (const wire of [again, ...open.slice(1)]) wire.close();
    });

    test('creates the default folders, subscribed with special-use, on first login', async () => {
      // A user made straight in the store has no folders until the first login.
      const user = await store.addUser({ address: 'carol@example.com', passwordHash: (await store.getUser('alice@example.com'))!.passwordHash });
      assert.deepEqual(await store.listMailboxes(user.id), []);
      const client = starttls.client('carol@example.com');
      await client.connect();
      const list = await client.list();
      const byPath = new Map(list.map((entry) => [entry.path, entry]));
      assert.deepEqual([...byPath.keys()].sort(), ['Drafts', 'INBOX', 'Junk', 'Sent', 'Trash']);
      for (const [path, use] of [['Drafts', '\\Drafts'], ['Sent', '\\Sent'], ['Junk', '\\Junk'], ['Trash', '\\Trash']] as const) {
        assert.ok(byPath.get(path)!.flags.has(use), `${path} carries ${use}`);
      }
      const subscribed = (await client.list({ statusQuery: {} })).filter((entry) => entry.subscribed).map((entry) => entry.path);
      for (const path of ['Drafts', 'Sent', 'Junk', 'Trash']) assert.ok(subscribed.includes(path), `${path} is subscribed`);
      await client.logout();
    });
  });
}
