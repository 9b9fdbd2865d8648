import { parseListenAddress, type ListenAddress, type PosternConfig } from '@postern/config';
import { ConfigError } from '@postern/config';

/**
 * Postfix virtual_transport: "lmtp:HOST:PORT" or "lmtp:unix:/path"; unset,
 * the first listen.lmtp address (the mailstore of this installation).
 */
export function lmtpDestination(config: PosternConfig): ListenAddress {
  if (config.virtual_transport !== undefined) return parseListenAddress(config.virtual_transport.slice('lmtp:'.length), { allowUnix: true });
  const first = config.listen.lmtp[0];
  if (first === undefined) {
    throw new ConfigError('virtual_transport: missing (expected lmtp:HOST:PORT or lmtp:unix:/path when listen.lmtp is empty, so that the MTA knows where to deliver local mail)');
  }
  const address = parseListenAddress(first, { allowUnix: true });
  // A wildcard listen address is reached on loopback.
  if (address.kind === 'tcp' && (address.host === '0.0.0.0' || address.host === '::')) {
    return { ...address, host: address.host === '::' ? '::1' : '127.0.0.1' };
  }
  return address;
}
