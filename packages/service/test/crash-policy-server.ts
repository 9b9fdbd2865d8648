// A line server run as its own process by crash-policy.test.ts: each connection is a session; some lines make its work fail outside any handler.
import { createServer } from 'node:net';
import { createLogger } from '@postern/log';
import { inSession, installCrashPolicy, type SessionScope } from '../src/index.js';

const logger = createLogger({ name: 'crash-policy-test' });
installCrashPolicy(logger);
let sessions = 0;

/** What each line makes the session's work do: fail later in a timer, in a promise, in the data listener itself, or answer. */
function run(line: string, reply: (text: string) => void): void {
  switch (line) {
    case 'timer':
      setTimeout(() => {
        throw new Error('thrown in a timer');
      }, 1);
      return;
    case 'promise':
      void (async () => {
        await new Promise((resolve) => setImmediate(resolve));
        throw new Error('rejected in a promise');
      })();
      return;
    case 'listener':
      throw new Error('thrown in the data listener');
    default:
      reply(`ok ${line}\n`);
  }
}

const server = createServer((socket) => {
  const scope: SessionScope = { service: 'test', session: `s${++sessions}`, client: socket.remoteAddress ?? '', close: () => socket.destroy() };
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => inSession(scope, () => run(chunk.toString().trim(), (text) => socket.write(text))));
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stderr.write(`PORT ${typeof address === 'object' && address ? address.port : 0}\n`);
});
