import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { listenOn, PromptSMTPServer } from '../src/index.js';

/** Connects and resolves with the greeting line (one write of the server's) and how long it took. */
async function greeting(port: number): Promise<{ line: string; ms: number }> {
  const started = performance.now();
  const socket = connect({ host: '127.0.0.1', port });
  const [chunk] = (await once(socket, 'data')) as [Buffer];
  const ms = performance.now() - started;
  socket.end('QUIT\r\n');
  return { line: chunk.toString('utf8').replace(/\r\n[^]*$/, ''), ms };
}

describe('PromptSMTPServer', () => {
  let server: PromptSMTPServer;
  let port: number;
  const attached: string[] = [];

  before(async () => {
    server = new PromptSMTPServer({ logger: false, authOptional: true }, (connection) => {
      attached.push(connection.id);
      connection._sendGreeting = () => connection.send(220, 'test.example ESMTP', false);
    });
    const bound = await listenOn(server.server, { kind: 'tcp', host: '127.0.0.1', port: 0 }, 'smtp');
    port = bound.kind === 'tcp' ? bound.port : 0;
  });
  after(() => new Promise<void>((resolve) => server.close(resolve)));

  test('greets at once, without smtp-server\'s 100 ms early-talker pause', async () => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) times.push((await greeting(port)).ms);
    times.sort((a, b) => a - b);
    // smtp-server on its own never greets in under 100 ms.
    assert.ok(times[2]! < 100, `greeting times ${times.map((ms) => ms.toFixed(1)).join(', ')} ms`);
  });

  test('runs the attach hook on each connection before its greeting', async () => {
    const before = attached.length;
    const { line } = await greeting(port);
    assert.equal(line, '220 test.example ESMTP');
    assert.equal(attached.length, before + 1);
  });
});
