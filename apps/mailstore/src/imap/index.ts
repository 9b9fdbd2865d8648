// IMAP service: 143 with STARTTLS, 993 with implicit TLS (RFC 8314), on WildDuck's imap-core.
import type { Server } from 'node:net';
import type { ListenAddress } from '@postern/config';
import { describeAddress, type StartService } from '../service.js';
import { createImapServer } from './server.js';

function listen(server: Server, address: ListenAddress): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (err: Error): void => reject(new Error(`imap: cannot listen on ${describeAddress(address)}: ${err.message}`));
    server.once('error', fail);
    const ready = (): void => {
      server.off('error', fail);
      resolve();
    };
    if (address.kind === 'unix') server.listen(address.path, ready);
    else server.listen(address.port, address.host, ready);
  });
}

export const startImap: StartService = async (ctx, address, { implicitTls }) => {
  if (implicitTls && !ctx.tls) throw new Error('imaps: implicit TLS needs [tls] cert and key');
  const { core, notifier } = createImapServer(ctx, { implicitTls });
  await listen(core.server, address);
  const description = `${implicitTls ? 'imaps' : 'imap'} on ${describeAddress(address)}`;
  let closing: Promise<void> | null = null;
  return {
    description,
    close() {
      // Stops accepting; imap-core says BYE to open sessions after its close timeout.
      closing ??= new Promise<void>((resolve) => core.close(() => resolve())).finally(() => notifier.close());
      return closing;
    },
  };
};
