// The mail endpoints this server really offers, from [listen], in the order clients should prefer them.
import { parseListenAddress, type PosternConfig } from '@postern/config';

export type Protocol = 'imap' | 'pop3' | 'smtp';
/** SSL: TLS from the first byte (RFC 8314 implicit TLS); STARTTLS: upgraded in the session; plain: no TLS configured. */
export type SocketType = 'SSL' | 'STARTTLS' | 'plain';

export interface MailEndpoint {
  protocol: Protocol;
  hostname: string;
  port: number;
  socketType: SocketType;
}

const SERVICES: { key: 'imaps' | 'imap' | 'pop3s' | 'pop3' | 'submissions' | 'submission'; protocol: Protocol; implicitTls: boolean }[] = [
  // RFC 8314 §3.3 and §4.1: implicit TLS is preferred, so it is listed first.
  { key: 'imaps', protocol: 'imap', implicitTls: true },
  { key: 'imap', protocol: 'imap', implicitTls: false },
  { key: 'pop3s', protocol: 'pop3', implicitTls: true },
  { key: 'pop3', protocol: 'pop3', implicitTls: false },
  { key: 'submissions', protocol: 'smtp', implicitTls: true },
  { key: 'submission', protocol: 'smtp', implicitTls: false },
];

/** Every listener of IMAP, POP3 and submission, one entry per distinct port, advertised under `hostname`. */
export function mailEndpoints(config: PosternConfig, tlsConfigured: boolean): MailEndpoint[] {
  const endpoints: MailEndpoint[] = [];
  for (const { key, protocol, implicitTls } of SERVICES) {
    const ports = new Set(config.listen[key].map((text) => parseListenAddress(text)).flatMap((address) => (address.kind === 'tcp' ? [address.port] : [])));
    const socketType: SocketType = implicitTls ? 'SSL' : tlsConfigured ? 'STARTTLS' : 'plain';
    for (const port of ports) endpoints.push({ protocol, hostname: config.hostname, port, socketType });
  }
  return endpoints;
}
