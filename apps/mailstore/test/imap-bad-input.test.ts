import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { before, test } from 'node:test';
import type { Store } from '@postern/store';
import { PASSWORD } from './fixture.js';
import { describeOnBackends, loginWire, type ImapFixture } from './imap-fixture.js';
import { simpleMessage } from './imap-messages.js';
import { WireClient } from './imap-wire.js';

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describeOnBackends('IMAP bad input', {}, (suite) => {
  let fx: ImapFixture;
  let store: Store;

  before(async () => {
    ({ fx, store } = suite);
  });

  test('garbage, unknown commands and malformed arguments get BAD and the session goes on', async () => {
    const wire = await loginWire(fx);
    wire.write('this is not imap at all\r\n');
    assert.match(await wire.line(), /^this BAD/);
    wire.write('\x01\x02\x03\r\n');
    assert.match(await wire.line(), /BAD/);
    for (const command of ['FROBNICATE', 'SELECT', 'FETCH 1 (FLAGS', 'LIST "unterminated', 'STATUS INBOX MESSAGES', 'STORE 1 +FLAGS (\\Seen)']) {
      const result = await wire.command(command);
      assert.equal(result.status, 'BAD', `${command}: ${result.tagged}`);
    }
    await wire.command('SELECT INBOX');
    for (const command of ['FETCH abc FLAGS', 'FETCH 1 (NOSUCHITEM)', 'STORE 1 +FLAGS', 'UID SEARCH UID x:y', 'COPY 1']) {
      const result = await wire.command(command);
      assert.equal(result.status, 'BAD', `${command}: ${result.tagged}`);
    }
    assert.equal((await wire.command('NOOP')).status, 'OK');
    const missing = await wire.command('SELECT "No such box"');
    assert.equal(missing.status, 'NO');
    assert.match(missing.tagged, /\[NONEXISTENT\]/);
    wire.close();
  });

  test('commands out of state are refused: SELECT before LOGIN, FETCH before SELECT', async () => {
    const wire = await WireClient.open(fx.port);
    assert.equal((await wire.command('SELECT INBOX')).status, 'BAD');
    assert.equal((await wire.command(`LOGIN alice@example.com "${PASSWORD}"`)).status, 'OK');
    assert.equal((await wire.command('FETCH 1 FLAGS')).status, 'BAD');
    assert.equal((await wire.command('LOGIN alice@example.com again')).status, 'BAD');
    wire.close();
  });

  test('a literal too large for a non-APPEND command is refused without reading it', async () => {
    const wire = await loginWire(fx);
    wire.write('L1 CREATE {5000}\r\n');
    assert.match(await wire.line(), /^L1 NO/);
    assert.equal((await wire.command('NOOP')).status, 'OK');
    wire.close();
  });

  test('a command line without an end is cut off with BYE instead of being buffered forever', async () => {
    const closed = await new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: fx.port });
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('ready')) socket.write(Buffer.alloc(2 * 1024 * 1024 + 10, 'a'));
      });
      socket.on('close', () => resolve(text));
      socket.on('error', () => resolve(text));
    });
    assert.match(closed, /\* BYE Command line too long/);
  });

  test('a client that disconnects in the middle of an APPEND literal leaves no message behind', async () => {
    const user = (await store.getUser('alice@example.com'))!;
    const inbox = (await store.getMailbox(user.id, 'INBOX'))!;
    const before = await store.countMessages(inbox.id);
    const storageBefore = user.storageUsed;
    const wire = await loginWire(fx);
    const message = simpleMessage(1, { body: 'x'.repeat(20_000) });
    wire.write(`P1 APPEND INBOX {${message.length}}\r\n`);
    assert.match(await wire.line(), /^\+/);
    wire.write(message.subarray(0, 10_000));
    await new Promise((resolve) => setTimeout(resolve, 100));
    wire.close();
    // The server notices the disconnect and forgets the half literal.
    await waitUntil(async () => !fx.logs.some((line) => line.event === 'connect' && !fx.logs.some((other) => other.event === 'disconnect' && other.session === line.session)));
    assert.equal(await store.countMessages(inbox.id), before);
    assert.equal((await store.getUser('alice@example.com'))!.storageUsed, storageBefore);
    // And the server still serves.
    const next = await loginWire(fx);
    assert.equal((await next.append('INBOX', simpleMessage(2))).status, 'OK');
    assert.equal(await store.countMessages(inbox.id), before + 1);
    next.close();
  });

  test('an APPEND with a bad date, a bad flag or no literal gets BAD and stores nothing', async () => {
    const wire = await loginWire(fx);
    const user = (await store.getUser('alice@example.com'))!;
    const inbox = (await store.getMailbox(user.id, 'INBOX'))!;
    const before = await store.countMessages(inbox.id);
    assert.equal((await wire.append('INBOX', simpleMessage(3), '"31-Foo-2025 10:00:00 +0000"')).status, 'BAD');
    assert.equal((await wire.append('INBOX', simpleMessage(3), '(\\Bogus)')).status, 'BAD');
    assert.equal((await wire.command('APPEND INBOX')).status, 'BAD');
    assert.equal(await store.countMessages(inbox.id), before);
    wire.close();
  });

});
