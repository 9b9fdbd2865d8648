import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { User } from '@postern/store';
import { BACKENDS, PASSWORD } from './fixture.js';
import { addTestUser, backendSuite, deliver, message, type FixtureOptions, type PopClient } from './pop3-harness.js';

const plain = (authzid: string, user: string, password: string) => Buffer.from(`${authzid}\0${user}\0${password}`).toString('base64');

for (const backend of BACKENDS) {
  describe(`POP3 session on ${backend}`, () => {
    const suite = backendSuite(backend, 'pop3 session tests');

    const start = (options: FixtureOptions = {}) => suite.start(options);
    /** Connects, upgrades with STLS and logs in as `user`. */
    const loggedIn = async (user: User): Promise<PopClient> => {
      const client = await (suite.started ?? (await start())).connect();
      await client.readLine();
      assert.match(await client.startTls(), /^\+OK/);
      await client.login(user.address);
      return client;
    };

    describe('authorization', () => {
      it('greets with +OK and offers STLS, but neither USER nor SASL, before TLS', async () => {
        const client = await (await start()).connect();
        assert.match(await client.readLine(), /^\+OK /);
        const capa = await client.multiline('CAPA');
        assert.match(capa.status, /^\+OK/);
        assert.ok(capa.lines.includes('STLS'));
        for (const capability of ['TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING']) assert.ok(capa.lines.includes(capability), capability);
        assert.ok(!capa.lines.includes('USER'));
        assert.ok(!capa.lines.some((line) => line.startsWith('SASL')));
      });

      it('refuses USER, PASS and AUTH PLAIN before TLS with [SYS/PERM], and the session goes on', async () => {
        const user = await addTestUser(suite.store);
        const client = await (await start()).connect();
        await client.readLine();
        assert.match(await client.command(`USER ${user.address}`), /^-ERR \[SYS\/PERM\] .*STLS/);
        assert.match(await client.command(`PASS ${PASSWORD}`), /^-ERR \[SYS\/PERM\]/);
        assert.match(await client.command(`AUTH PLAIN ${plain('', user.address, PASSWORD)}`), /^-ERR \[SYS\/PERM\]/);
        assert.match(await client.command('STLS'), /^\+OK/);
      });

      it('after STLS lists USER and SASL PLAIN, no longer STLS, and logs in with USER/PASS', async () => {
        const user = await addTestUser(suite.store);
        const client = await (await start()).connect();
        await client.readLine();
        await client.startTls();
        const capa = await client.multiline('CAPA');
        assert.ok(capa.lines.includes('USER') && capa.lines.includes('SASL PLAIN'));
        assert.ok(!capa.lines.includes('STLS'));
        assert.match(await client.command('STLS'), /^-ERR/);
        assert.match(await client.command(`USER ${user.address}`), /^\+OK/);
        assert.match(await client.command(`PASS ${PASSWORD}`), /^\+OK Logged in, 0 messages/);
      });

      it('discards commands pipelined in plaintext after STLS', async () => {
        const user = await addTestUser(suite.store);
        const client = await (await start()).connect();
        await client.readLine();
        // An attacker's injected USER must not survive into the TLS session (RFC 2595 §4).
        assert.match(await client.startTls(`USER ${user.address}\r\nNOOP\r\n`), /^\+OK/);
        assert.match(await client.command(`PASS ${PASSWORD}`), /^-ERR Send USER first/);
        assert.match(await client.multiline('CAPA').then((c) => c.status), /^\+OK/);
      });

      it('answers a wrong password with -ERR [AUTH] and accepts the right one afterwards', async () => {
        const user = await addTestUser(suite.store);
        const client = await (await start()).connect();
        await client.readLine();
        await client.startTls();
        await client.command(`USER ${user.address}`);
        assert.match(await client.command('PASS wrong password'), /^-ERR \[AUTH\] /);
        assert.match(await client.command(`PASS ${PASSWORD}`), /^-ERR Send USER first/);
        await client.login(user.address);
      });

      it('logs in with AUTH PLAIN and an initial response', async () => {
        const user = await addTestUser(suite.store);
        const client = await (await start()).connect();
        await client.readLine();
        await client.startTls();
        assert.match(await client.command(`AUTH PLAIN ${plain('', user.address, PASSWORD)}`), /^\+OK Logged in/);
        assert.match(await client.command('STAT'), /^\+OK 0 0$/);
      });

      it('logs in with AUTH PLAIN through a "+ " continuation', async () => {
        const user = await addTestUser(suite.store);
        const client = await (await start()).connect();
        await client.readLine();
        await client.startTls();
        assert.equal(await client.command('AUTH PLAIN'), '+ ');
        assert.match(await client.command(plain(user.address, user.address, PASSWORD)), /^\+OK Logged in/);
      });

      it('cancels AUTH PLAIN on "*", fails a bad response with -ERR, and stays in AUTHORIZATION', async () => {
        const user = await addTestUser(suite.store);
        const client = await (await start()).connect();
        await client.readLine();
        await client.startTls();
        await client.command('AUTH PLAIN');
        assert.match(await client.command('*'), /^-ERR/);
        await client.command('AUTH PLAIN');
        assert.match(await client.command('%%% not base64'), /^-ERR/);
        assert.match(await client.command(`AUTH PLAIN ${plain('', user.address, 'wrong')}`), /^-ERR \[AUTH\]/);
        assert.match(await client.command(`AUTH PLAIN ${plain('other@example.com', user.address, PASSWORD)}`), /^-ERR \[AUTH\]/);
        assert.match(await client.command('STAT'), /^-ERR/);
      });

      it('lists PLAIN for AUTH without a mechanism and refuses other mechanisms', async () => {
        const client = await (await start()).connect();
        await client.readLine();
        await client.startTls();
        assert.deepEqual((await client.multiline('AUTH')).lines, ['PLAIN']);
        assert.match(await client.command('AUTH CRAM-MD5'), /^-ERR/);
      });

      it('allows USER/PASS without TLS when pop3.allow_cleartext_auth is set', async () => {
        const user = await addTestUser(suite.store);
        const client = await (await start({ allowCleartext: true })).connect();
        await client.readLine();
        assert.ok((await client.multiline('CAPA')).lines.includes('USER'));
        await client.login(user.address);
      });

      it('refuses transaction commands before login and keeps the session', async () => {
        const client = await (await start()).connect();
        await client.readLine();
        for (const command of ['STAT', 'LIST', 'RETR 1', 'DELE 1', 'NOOP']) assert.match(await client.command(command), /^-ERR/, command);
        assert.match(await client.command('QUIT'), /^\+OK/);
        await client.closed;
      });

      it('creates the INBOX at the first login of a user who never received mail', async () => {
        const user = await addTestUser(suite.store);
        assert.equal(await suite.store.getMailbox(user.id, 'INBOX'), null);
        const client = await loggedIn(user);
        assert.match(await client.command('STAT'), /^\+OK 0 0$/);
        assert.notEqual(await suite.store.getMailbox(user.id, 'INBOX'), null);
      });

      it('closes the connection of a client banned after repeated failures with [SYS/TEMP]', async () => {
        const user = await addTestUser(suite.store);
        const client = await (await start({ authFailuresBeforeBan: 2 })).connect();
        await client.readLine();
        await client.startTls();
        for (let i = 0; i < 2; i++) assert.match(await client.command(`AUTH PLAIN ${plain('', user.address, 'wrong')}`), /^-ERR \[AUTH\]/);
        assert.match(await client.command(`AUTH PLAIN ${plain('', user.address, PASSWORD)}`), /^-ERR \[SYS\/TEMP\]/);
        await client.closed;
        assert.ok(suite.fixture.logs.some((line) => line['event'] === 'auth_ban'));
        // Bans live in the store, shared by every service on it: lifted for the tests that follow.
        await suite.store.liftAuthBan('ip:127.0.0.1');
      });

      it('never writes a password into the log', async () => {
        const user = await addTestUser(suite.store);
        const client = await (await start()).connect();
        await client.readLine();
        await client.startTls();
        await client.command(`USER ${user.address}`);
        await client.command('PASS not-the-password-xyzzy');
        await client.login(user.address);
        await client.command('QUIT');
        await client.closed;
        const text = JSON.stringify(suite.fixture.logs);
        assert.ok(!text.includes('xyzzy') && !text.includes(PASSWORD));
        assert.ok(suite.fixture.logs.some((line) => line['event'] === 'login'));
      });
    });

    describe('transaction', () => {
      it('reports STAT, LIST and UIDL for the maildrop and for one message', async () => {
        const user = await addTestUser(suite.store);
        const raws = [message('one'), message('two', 'x\r\n'.repeat(10))];
        for (const raw of raws) await deliver(suite.store, user, raw);
        const sizes = raws.map((raw) => Buffer.byteLength(raw));
        const inbox = (await suite.store.getMailbox(user.id, 'INBOX'))!;
        const uids = (await suite.store.listMessages(inbox.id)).map((m) => m.uid);
        const client = await loggedIn(user);
        assert.equal(await client.command('STAT'), `+OK 2 ${sizes[0]! + sizes[1]!}`);
        assert.deepEqual((await client.multiline('LIST')).lines, [`1 ${sizes[0]}`, `2 ${sizes[1]}`]);
        assert.equal(await client.command('LIST 2'), `+OK 2 ${sizes[1]}`);
        assert.deepEqual((await client.multiline('UIDL')).lines, uids.map((uid, i) => `${i + 1} ${inbox.uidValidity}.${uid}`));
        assert.equal(await client.command('UIDL 1'), `+OK 1 ${inbox.uidValidity}.${uids[0]}`);
        assert.match(await client.command('LIST 3'), /^-ERR No such message/);
        assert.match(await client.command('LIST x'), /^-ERR/);
        assert.match(await client.command('NOOP'), /^\+OK/);
      });

      it('sends RETR with CRLF line endings, byte-stuffed, and the exact bytes otherwise', async () => {
        const user = await addTestUser(suite.store);
        await deliver(suite.store, user, 'Subject: dots\n\n.leading dot\n..two dots\n.\nlast line without newline');
        const client = await loggedIn(user);
        assert.match(await client.command('RETR 1'), /^\+OK \d+ octets$/);
        const body = await client.readRawBody();
        assert.equal(body.toString(), 'Subject: dots\r\n\r\n..leading dot\r\n...two dots\r\n..\r\nlast line without newline\r\n.\r\n');
      });

      it('sends the header and the first n body lines for TOP', async () => {
        const user = await addTestUser(suite.store);
        await deliver(suite.store, user, 'Subject: top\r\nFrom: a@example.org\r\n\r\nline 1\r\n.line 2\r\nline 3\r\n');
        const client = await loggedIn(user);
        assert.deepEqual((await client.multiline('TOP 1 0')).lines, ['Subject: top', 'From: a@example.org', '']);
        assert.deepEqual((await client.multiline('TOP 1 2')).lines, ['Subject: top', 'From: a@example.org', '', 'line 1', '..line 2']);
        assert.match(await client.command('TOP 1'), /^-ERR/);
        assert.match(await client.command('TOP 1 -1'), /^-ERR/);
      });

      it('marks messages with DELE, hides them, and removes them only at QUIT', async () => {
        const user = await addTestUser(suite.store);
        for (const n of [1, 2, 3]) await deliver(suite.store, user, message(`m${n}`));
        const client = await loggedIn(user);
        assert.match(await client.command('DELE 2'), /^\+OK/);
        assert.match(await client.command('DELE 2'), /^-ERR Message 2 already deleted/);
        assert.match(await client.command('RETR 2'), /^-ERR/);
        assert.match(await client.command('LIST 2'), /^-ERR/);
        assert.deepEqual((await client.multiline('LIST')).lines.map((line) => line.split(' ')[0]), ['1', '3']);
        assert.match(await client.command('STAT'), /^\+OK 2 /);
        const inbox = (await suite.store.getMailbox(user.id, 'INBOX'))!;
        assert.equal(await suite.store.countMessages(inbox.id), 3, 'still there before QUIT');
        assert.match(await client.command('QUIT'), /^\+OK .*1 messages deleted/);
        await client.closed;
        const left = await suite.store.listMessages(inbox.id);
        assert.deepEqual(left.map((m) => m.headers.subject), ['m1', 'm3']);
      });

      it('undoes every DELE with RSET', async () => {
        const user = await addTestUser(suite.store);
        for (const n of [1, 2]) await deliver(suite.store, user, message(`m${n}`));
        const client = await loggedIn(user);
        await client.command('DELE 1');
        await client.command('DELE 2');
        assert.match(await client.command('RSET'), /^\+OK Maildrop has 2 messages/);
        assert.match(await client.command('QUIT'), /^\+OK .*0 messages deleted/);
        await client.closed;
        assert.equal(await suite.store.countMessages((await suite.store.getMailbox(user.id, 'INBOX'))!.id), 2);
      });

      it('deletes nothing when the connection drops without QUIT', async () => {
        const user = await addTestUser(suite.store);
        for (const n of [1, 2]) await deliver(suite.store, user, message(`m${n}`));
        const client = await loggedIn(user);
        await client.command('DELE 1');
        await client.command('DELE 2');
        client.destroy();
        await client.closed;
        // The next session sees both messages: nothing was applied.
        const again = await loggedIn(user);
        assert.match(await again.command('STAT'), /^\+OK 2 /);
      });

      it('numbers messages as at login: mail delivered during the session waits for the next one', async () => {
        const user = await addTestUser(suite.store);
        await deliver(suite.store, user, message('early'));
        const client = await loggedIn(user);
        await deliver(suite.store, user, message('late'));
        assert.match(await client.command('STAT'), /^\+OK 1 /);
        assert.match(await client.command('RETR 2'), /^-ERR No such message/);
      });

      it('answers -ERR for a message another session expunged meanwhile', async () => {
        const user = await addTestUser(suite.store);
        await deliver(suite.store, user, message('gone'));
        const client = await loggedIn(user);
        const inbox = (await suite.store.getMailbox(user.id, 'INBOX'))!;
        await suite.store.expungeMessages(inbox.id, (await suite.store.listMessages(inbox.id)).map((m) => m.uid));
        assert.match(await client.command('RETR 1'), /^-ERR .*removed/);
        assert.match(await client.command('NOOP'), /^\+OK/);
      });

      it('runs pipelined commands in order (RFC 2449 PIPELINING)', async () => {
        const user = await addTestUser(suite.store);
        await deliver(suite.store, user, message('piped'));
        const client = await loggedIn(user);
        client.write('STAT\r\nLIST 1\r\nUIDL 1\r\nNOOP\r\nBOGUS\r\nQUIT\r\n');
        const replies = [];
        for (let i = 0; i < 6; i++) replies.push(await client.readLine());
        assert.match(replies[0]!, /^\+OK 1 \d+$/);
        assert.match(replies[1]!, /^\+OK 1 \d+$/);
        assert.match(replies[2]!, /^\+OK 1 \d+\.\d+$/);
        assert.equal(replies[3], '+OK');
        assert.match(replies[4]!, /^-ERR/);
        assert.match(replies[5]!, /^\+OK/);
        await client.closed;
      });

      it('only one user sees a maildrop: two users keep their own messages', async () => {
        const alice = await addTestUser(suite.store);
        const bob = await addTestUser(suite.store);
        await deliver(suite.store, alice, message('for alice'));
        const client = await loggedIn(bob);
        assert.match(await client.command('STAT'), /^\+OK 0 0$/);
        assert.match(await client.command('RETR 1'), /^-ERR/);
      });
    });
  });
}
