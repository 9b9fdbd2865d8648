import { createServer, type Server } from 'node:net';
import type { ListenAddress } from '@postern/config';
import { describeAddress, listenOn } from '@postern/service';
import type { MailstoreContext } from '../context.js';
import type { ProtocolService } from '../service.js';
import { LineConnection, type ConnectionSession, type LineProtocol } from './connection.js';

/**
 * Listens on one address for a line protocol (POP3, ManageSieve): a LineConnection per
 * client, each holding a connection slot; close() lets the sessions say goodbye first.
 * `listenerName` names the port in errors and the description (pop3s for implicit TLS).
 */
export async function listenLineProtocol<Event, Session extends ConnectionSession<Event>>(
  ctx: MailstoreContext,
  address: ListenAddress,
  listenerName: string,
  protocol: LineProtocol<Event, Session>,
): Promise<ProtocolService> {
  const connections = new Set<LineConnection<Event, Session>>();
  const server: Server = createServer((socket) => {
    const ip = socket.remoteAddress ?? 'unix';
    // The counts may live in another process (mailstore workers): the socket waits, unread, for the answer.
    // A reset meanwhile is no error of the process's: the connection is simply not served.
    const ignore = (): void => {};
    socket.on('error', ignore);
    void ctx.connections.open(protocol.name, ip).then((slots) => {
      socket.off('error', ignore);
      if (socket.destroyed) {
        if (typeof slots !== 'string') slots.close();
        return;
      }
      const connection = new LineConnection(socket, ctx, ctx.tls, protocol, slots, (c) => connections.delete(c));
      connections.add(connection);
      connection.begin();
    });
  });
  const bound = await listenOn(server, address, listenerName);
  server.on('error', (error) => ctx.logger.error({ protocol: protocol.name, err: error }, `${protocol.name} listener error`));
  return {
    description: `${listenerName} on ${describeAddress(bound)}`,
    address: bound,
    async close() {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      const open = [...connections];
      await Promise.all(open.map((connection) => connection.shutdown()));
      await Promise.all([stopped, ...open.map((connection) => connection.done)]);
    },
  };
}
