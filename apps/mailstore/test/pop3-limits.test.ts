import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { describe, it } from 'node:test';
import type { User } from '@postern/store';
import { listenPop3 } from '../src/pop3/index.js';
import { BACKENDS } from './fixture.js';
import { addTestUser, backendSuite, deliver, message, startFixture, type FixtureOptions, type PopClient } from './pop3-harness.js';

for (const backend of BACKENDS) {
  describe(`POP3 limits, bad input and TLS on ${backend}`, () => {
    const suite = backendSuite(backend, 'pop3 limit tests');

    const start = (options: FixtureOptions = {}) => suite.start(options);
    const loggedIn = async (user: User, options: FixtureOptions = {}): Promise<PopClient> => {
      const client = await (await start({ allowCleartext: true, ...options })).connect();
      await client.readLine();
      await client.login(user.address);
      return client;
    };

    it('answers an unknown command (fetchmail\'s LAST) with -ERR and keeps the session, before and after login', async () => {
      const user = await addTestUser(suite.store);
      await deliver(suite.store, user, message('kept'));
      const client = await loggedIn(user);
      assert.match(await client.command('LAST'), /^-ERR Unknown command LAST$/);
      assert.match(await client.command('XTND XMIT'), /^-ERR/);
      assert.match(await client.command(''), /^-ERR/);
      assert.match(await client.command('STAT'), /^\+OK 1 /);
      const fresh = await suite.fixture.connect();
      await fresh.readLine();
      assert.match(await fresh.command('APOP user digest'), /^-ERR/);
      assert.match(await fresh.command('NOOP'), /^-ERR/, 'NOOP is a TRANSACTION command');
      assert.match(await fresh.command('CAPA'), /^\+OK/);
    });

    it('answers an overlong line with -ERR and goes on with the next command', async () => {
      const user = await addTestUser(suite.store);
      const client = await loggedIn(user);
      client.write(`NOOP ${'x'.repeat(200_000)}\r\n`);
      assert.match(await client.readLine(), /^-ERR Line too long/);
      assert.match(await client.command('STAT'), /^\+OK 0 0$/);
      assert.equal(client.isClosed, false);
    });

    it('closes the connection after too many bad commands', async () => {
      const client = await (await start({ maxBadCommands: 5 })).connect();
      await client.readLine();
      for (let i = 1; i < 5; i++) assert.match(await client.command(`BAD${i}`), /^-ERR Unknown command/);
      assert.match(await client.command('BAD5'), /^-ERR .*too many errors/);
      await client.closed;
      assert.ok(suite.fixture.logs.some((line) => line['event'] === 'too_many_errors'));
    });

    it('disconnects an idle client with -ERR and applies none of its deletions (RFC 1939 §3 autologout)', async () => {
      const user = await addTestUser(suite.store);
      await deliver(suite.store, user, message('survives'));
      const client = await loggedIn(user, { idleTimeoutMs: 300 });
      assert.match(await client.command('DELE 1'), /^\+OK/);
      assert.match(await client.readLine(2000), /^-ERR \[SYS\/TEMP\] Disconnected for inactivity/);
      await client.closed;
      assert.equal(await suite.store.countMessages((await suite.store.getMailbox(user.id, 'INBOX'))!.id), 1);
    });

    it('refuses a connection over the per-IP limit with -ERR [SYS/TEMP] and accepts again once one closes', async () => {
      await start({ maxConnectionsPerIp: 2 });
      const first = await suite.fixture.connect();
      const second = await suite.fixture.connect();
      assert.match(await first.readLine(), /^\+OK/);
      assert.match(await second.readLine(), /^\+OK/);
      const third = await suite.fixture.connect();
      assert.match(await third.readLine(), /^-ERR \[SYS\/TEMP\] Too many connections/);
      await third.closed;
      await first.command('QUIT');
      await first.closed;
      // The slot is released when the server sees the close.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const fourth = await suite.fixture.connect();
      assert.match(await fourth.readLine(), /^\+OK/);
      assert.ok(suite.fixture.logs.some((line) => line['event'] === 'connection_limit'));
    });

    it('answers all of 3,000 pipelined commands in order', async () => {
      const user = await addTestUser(suite.store);
      await deliver(suite.store, user, message('pipelined'));
      const client = await loggedIn(user);
      const count = 3000;
      client.write('UIDL 1\r\n'.repeat(count) + 'NOOP\r\n');
      const first = await client.readLine();
      for (let i = 1; i < count; i++) assert.equal(await client.readLine(), first);
      assert.equal(await client.readLine(), '+OK');
    });

    it('serves pop3s: TLS from the first byte, then USER/PASS without STLS', async () => {
      const user = await addTestUser(suite.store);
      await deliver(suite.store, user, message('over tls'));
      const client = await (await start({ implicitTls: true })).connect({ implicitTls: true });
      assert.match(await client.readLine(), /^\+OK/);
      const capa = await client.multiline('CAPA');
      assert.ok(capa.lines.includes('USER') && !capa.lines.includes('STLS'));
      assert.match(await client.command('STLS'), /^-ERR/);
      await client.login(user.address);
      assert.match(await client.command('STAT'), /^\+OK 1 /);
      assert.ok(suite.fixture.logs.some((line) => line['event'] === 'tls'));
    });

    it('drops a plaintext client on the pop3s port and frees its connection slot', async () => {
      await start({ implicitTls: true, maxConnectionsPerIp: 1 });
      const socket = netConnect({ host: '127.0.0.1', port: suite.fixture.port });
      socket.on('error', () => {});
      socket.write('USER someone\r\n');
      await new Promise((resolve) => socket.on('close', resolve));
      const client = await suite.fixture.connect({ implicitTls: true });
      assert.match(await client.readLine(), /^\+OK/);
    });

    it('refuses STLS and offers no STLS when no certificate is configured', async () => {
      const client = await (await start({ withTls: false })).connect();
      await client.readLine();
      assert.ok(!(await client.multiline('CAPA')).lines.includes('STLS'));
      assert.match(await client.command('STLS'), /^-ERR TLS is not available/);
      assert.match(await client.command('USER someone'), /^-ERR \[SYS\/PERM\]/);
    });

    it('will not start pop3s without a certificate', async () => {
      const bare = await startFixture(suite.store, { withTls: false });
      try {
        await assert.rejects(listenPop3(bare.ctx, { kind: 'tcp', host: '127.0.0.1', port: 0 }, { implicitTls: true }), /implicit TLS needs \[tls\]/);
      } finally {
        await bare.close();
      }
    });

    it('on shutdown tells a logged-in client and applies none of its deletions', async () => {
      const user = await addTestUser(suite.store);
      await deliver(suite.store, user, message('kept on shutdown'));
      const client = await loggedIn(user);
      await client.command('DELE 1');
      const closing = suite.fixture.service.close();
      assert.match(await client.readLine(), /^-ERR \[SYS\/TEMP\] Server shutting down/);
      await client.closed;
      await closing;
      suite.forget();
      assert.equal(await suite.store.countMessages((await suite.store.getMailbox(user.id, 'INBOX'))!.id), 1);
    });
  });
}
