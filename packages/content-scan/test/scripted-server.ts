// A loopback TCP peer that plays a broken or fake scanner: it records what it is sent and answers as a test scripts it.
import { createServer, type Socket } from 'node:net';

export interface ScriptedServer {
  /** host:port, as content_filter.address takes it. */
  address: string;
  /** Connections accepted so far. */
  connections: number;
  /** The bytes each connection sent, in order. */
  received: Buffer[];
  close(): Promise<void>;
}

/** `onRequest` runs on every chunk with everything received so far on that connection. */
export async function startScriptedServer(onRequest: (socket: Socket, received: Buffer) => void = () => {}): Promise<ScriptedServer> {
  const sockets = new Set<Socket>();
  const state: ScriptedServer = {
    address: '',
    connections: 0,
    received: [],
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  // Half-open allowed: a client's FIN after its request must not close our side (a silent scanner stays silent).
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const index = state.connections++;
    state.received[index] = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      const all = Buffer.concat([state.received[index] ?? Buffer.alloc(0), chunk]);
      state.received[index] = all;
      if (!socket.destroyed) onRequest(socket, all);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const bound = server.address();
  state.address = `127.0.0.1:${typeof bound === 'object' && bound ? bound.port : 0}`;
  return state;
}

/** True once `data` holds a complete spamc/HTTP request: the head and Content-length bytes of body. */
export function requestComplete(data: Buffer): boolean {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const length = /content-length:\s*(\d+)/i.exec(data.subarray(0, end).toString('latin1'));
  return data.length >= end + 4 + Number(length?.[1] ?? 0);
}
