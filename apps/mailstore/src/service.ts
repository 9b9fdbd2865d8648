import type { ListenAddress } from '@postern/config';
import type { MailstoreContext } from './context.js';

/** One listening protocol endpoint (an LMTP, IMAP or POP3 listener on one address). */
export interface ProtocolService {
  /** e.g. `imap on 127.0.0.1:143`. */
  readonly description: string;
  /** Stops accepting, lets in-flight work (a delivery, a command) finish, closes sessions. */
  close(): Promise<void>;
}

export interface ServiceOptions {
  /** Port 993/995 style: TLS from the first byte (RFC 8314). */
  implicitTls: boolean;
}

export type StartService = (ctx: MailstoreContext, address: ListenAddress, options: ServiceOptions) => Promise<ProtocolService>;

export function describeAddress(address: ListenAddress): string {
  return address.kind === 'unix' ? `unix:${address.path}` : `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
}
