import type { ListenAddress } from '@postern/config';
import type { MailstoreContext } from './context.js';

/** One listening protocol endpoint (an LMTP, IMAP or POP3 listener on one address). */
export interface ProtocolService {
  /** e.g. `imap on 127.0.0.1:143`. */
  readonly description: string;
  /** Where it listens, with the port the system chose when the config said 0. */
  readonly address: ListenAddress;
  /** Stops accepting, lets in-flight work (a delivery, a command) finish, closes sessions. */
  close(): Promise<void>;
}

export interface ServiceOptions {
  /** Port 993/995 style: TLS from the first byte (RFC 8314). */
  implicitTls: boolean;
}

export type StartService = (ctx: MailstoreContext, address: ListenAddress, options: ServiceOptions) => Promise<ProtocolService>;
