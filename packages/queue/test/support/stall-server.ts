// A server that accepts connections and then says nothing more: the remote that never answers.
import { createServer, type Socket } from 'node:net';

export interface StallServer {
  /** Connections accepted so far. */
  accepted(): number;
  stop(): Promise<void>;
}

/** With `greeting`, writes it once ("220 … ESMTP") and then never answers a command. */
export async function startStallServer(host: string, port: number, greeting: string | null = null): Promise<StallServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
    if (greeting !== null) socket.write(`${greeting}\r\n`);
    socket.resume();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    accepted: () => accepted,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
