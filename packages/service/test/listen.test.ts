import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, lstatSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { describeAddress, listenOn } from '../src/index.js';

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Connects to the unix socket and hangs up: rejects when nothing listens there. */
async function reach(path: string): Promise<void> {
  const socket = connect({ path });
  await once(socket, 'connect');
  socket.destroy();
}

describe('listenOn', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'postern-listen-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('binds TCP port 0 and reports the port the system chose', async () => {
    const server = createServer();
    const bound = await listenOn(server, { kind: 'tcp', host: '127.0.0.1', port: 0 }, 'imap');
    try {
      assert.equal(bound.kind, 'tcp');
      assert.ok(bound.kind === 'tcp' && bound.port > 0);
      assert.equal(describeAddress(bound), `127.0.0.1:${(server.address() as { port: number }).port}`);
    } finally {
      await close(server);
    }
  });

  test('names the [listen] key and the address when the port is taken', async () => {
    const first = createServer();
    const bound = await listenOn(first, { kind: 'tcp', host: '127.0.0.1', port: 0 }, 'pop3');
    try {
      await assert.rejects(listenOn(createServer(), bound, 'pop3s'), new RegExp(`^Error: listen\\.pop3s: cannot listen on ${describeAddress(bound)}: .*EADDRINUSE`));
    } finally {
      await close(first);
    }
  });

  test('replaces a socket file left by a process that died', async () => {
    const path = join(dir, 'stale.sock');
    // A process that exits without closing its listener leaves the socket file behind.
    const dead = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.exit(0))`]);
    assert.equal(dead.status, 0);
    assert.ok(lstatSync(path).isSocket(), 'stale socket file is there');
    const server = createServer();
    await listenOn(server, { kind: 'unix', path }, 'lmtp');
    try {
      await reach(path);
    } finally {
      await close(server);
    }
  });

  test('keeps a file that is not a socket and a socket another process serves', async () => {
    const regular = join(dir, 'regular');
    writeFileSync(regular, 'keep me');
    await assert.rejects(listenOn(createServer(), { kind: 'unix', path: regular }, 'lmtp'), /^Error: listen\.lmtp: .* exists and is not a socket/);
    assert.ok(existsSync(regular));

    const live = join(dir, 'live.sock');
    const other = createServer();
    await listenOn(other, { kind: 'unix', path: live }, 'lmtp');
    try {
      await assert.rejects(listenOn(createServer(), { kind: 'unix', path: live }, 'lmtp'), /^Error: listen\.lmtp: another process is listening on/);
      await reach(live);
    } finally {
      await close(other);
    }
  });

  test('describes addresses as logs show them', () => {
    assert.equal(describeAddress({ kind: 'tcp', host: '::1', port: 24 }), '[::1]:24');
    assert.equal(describeAddress({ kind: 'unix', path: '/run/postern/lmtp' }), 'unix:/run/postern/lmtp');
  });
});
