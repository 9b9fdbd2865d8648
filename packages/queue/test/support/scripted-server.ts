// A hand-scripted SMTP server for replies no real server sends (overlong lines, odd multi-line replies).
import { createServer, type Socket } from 'node:net';

export interface ScriptedServer {
  /** Every command line received, in order, across connections. */
  readonly received: string[];
  stop(): Promise<void>;
}

/**
 * Writes `greeting` on connect, then answers each command line with
 * `answer(line)` (null: no answer; after "DATA" lines are read until ".").
 */
export async function startScriptedServer(host: string, port: number, greeting: string, answer: (line: string) => string | null): Promise<ScriptedServer> {
  const received: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
    socket.write(greeting);
    let buffer = '';
    let inData = false;
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      let crlf = buffer.indexOf('\r\n');
      while (crlf >= 0) {
        const line = buffer.slice(0, crlf);
        buffer = buffer.slice(crlf + 2);
        crlf = buffer.indexOf('\r\n');
        if (inData && line !== '.') continue;
        inData = false;
        received.push(line);
        const reply = answer(line);
        if (line.toUpperCase() === 'DATA' && reply?.startsWith('354')) inData = true;
        if (reply !== null) socket.write(reply);
        if (line.toUpperCase() === 'QUIT') socket.end();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    received,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
