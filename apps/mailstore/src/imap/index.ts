// IMAP service: 143 with STARTTLS, 993 with implicit TLS (RFC 8314), on WildDuck's imap-core.
import type { ListenAddress } from '@postern/config';
import { describeAddress, listenOn } from '@postern/service';
import type { MailstoreContext } from '../context.js';
import type { ProtocolService } from '../service.js';
import { createImapServer, type ImapServerOptions } from './server.js';

/** IMAP on one address; a StartService, with the notifier's poll interval open to tests. */
export async function startImap(ctx: MailstoreContext, address: ListenAddress, options: ImapServerOptions): Promise<ProtocolService> {
  if (options.implicitTls && !ctx.tls) throw new Error('imaps: implicit TLS needs [tls] cert and key');
  const { core, notifier } = createImapServer(ctx, options);
  const name = options.implicitTls ? 'imaps' : 'imap';
  const bound = await listenOn(core.server, address, name);
  const description = `${name} on ${describeAddress(bound)}`;
  let closing: Promise<void> | null = null;
  return {
    description,
    address: bound,
    close() {
      // Stops accepting; imap-core says BYE to open sessions after its close timeout.
      closing ??= new Promise<void>((resolve) => core.close(() => resolve())).finally(() => notifier.close());
      return closing;
    },
  };
}
