import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { before, test } from 'node:test';
import { createDeflateRaw, createInflateRaw } from 'node:zlib';
import { PASSWORD } from './fixture.js';
import { describeOnBackends, type ImapFixture } from './imap-fixture.js';
import { WireClient } from './imap-wire.js';

describeOnBackends('IMAP extensions', {}, (suite) => {
  let fx: ImapFixture;

  before(async () => {
    ({ fx } = suite);
  });

  test('ID names the server without a version; NAMESPACE is one personal namespace with "/"', async () => {
    const wire = await WireClient.open(fx.port);
    const id = await wire.command('ID ("name" "test-client" "version" "1")');
    assert.deepEqual(id.untagged, ['* ID ("name" "Postern")']);
    await wire.command(`LOGIN alice@example.com "${PASSWORD}"`);
    const namespace = await wire.command('NAMESPACE');
    assert.deepEqual(namespace.untagged, ['* NAMESPACE (("" "/")) NIL NIL']);
    const enable = await wire.command('ENABLE CONDSTORE UTF8=ACCEPT');
    assert.deepEqual(enable.untagged, ['* ENABLED CONDSTORE UTF8=ACCEPT']);
    wire.close();
  });

  test('UTF8=ACCEPT: APPEND of a message with a raw UTF-8 header, then searching and reading it back', async () => {
    const wire = await WireClient.open(fx.port);
    await wire.command(`LOGIN alice@example.com "${PASSWORD}"`);
    await wire.command('ENABLE UTF8=ACCEPT');
    await wire.command('CREATE Intl');
    const message = Buffer.from('From: Zoë <zoe@exämple.de>\r\nSubject: Café crème\r\n\r\nÇa va?\r\n', 'utf8');
    assert.equal((await wire.append('Intl', message)).status, 'OK');
    await wire.command('SELECT Intl');
    const search = await wire.command('SEARCH SUBJECT "crème"');
    assert.deepEqual(search.untagged, ['* SEARCH 1']);
    const envelope = await wire.command('FETCH 1 (ENVELOPE)');
    const text = Buffer.from(envelope.untagged[0]!, 'binary').toString('utf8');
    assert.match(text, /"Café crème"/);
    assert.match(text, /\("Zoë" NIL "zoe" "exämple.de"\)/);
    wire.close();
  });

  test('COMPRESS=DEFLATE: after OK the session continues deflated both ways (RFC 4978)', async () => {
    const socket = connect({ host: '127.0.0.1', port: fx.port });
    let plain = '';
    const greeted = new Promise<void>((resolve) => {
      const onData = (chunk: Buffer): void => {
        plain += chunk.toString('binary');
        if (/C2 OK/.test(plain)) {
          socket.off('data', onData);
          resolve();
        }
      };
      socket.on('data', onData);
    });
    socket.write(`C1 LOGIN alice@example.com "${PASSWORD}"\r\nC2 COMPRESS DEFLATE\r\n`);
    await greeted;
    const deflate = createDeflateRaw();
    const inflate = createInflateRaw();
    deflate.pipe(socket);
    socket.pipe(inflate);
    let text = '';
    const done = new Promise<void>((resolve) => {
      inflate.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (/C4 OK/.test(text)) resolve();
      });
    });
    deflate.write('C3 LIST "" "INBOX"\r\nC4 NOOP\r\n');
    deflate.flush();
    await done;
    assert.match(text, /\* LIST \(\\HasNoChildren\) "\/" "INBOX"/);
    socket.destroy();
  });

  test('imapflow talks over COMPRESS=DEFLATE when offered', async () => {
    const client = fx.client('alice@example.com');
    await client.connect();
    assert.ok(client.capabilities.has('COMPRESS=DEFLATE'));
    const lock = await client.getMailboxLock('INBOX');
    try {
      await client.append('INBOX', 'Subject: squeezed\r\n\r\n' + 'compressible text '.repeat(500) + '\r\n');
      const message = await client.fetchOne('*', { source: true });
      assert.ok(message);
      assert.match(message.source!.toString(), /^Subject: squeezed/);
    } finally {
      lock.release();
    }
    await client.logout();
  });

});
