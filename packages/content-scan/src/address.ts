import { isIP } from 'node:net';
import { tryParseNextHop } from '@postern/config';

export interface ScannerAddress {
  host: string;
  port: number;
  /** As the log shows it: 127.0.0.1:783, [::1]:783. */
  label: string;
}

/**
 * content_filter.address, written as a Postfix next hop: `host`, `[host]`,
 * either with `:port` (the config schema has already checked it); a missing
 * port is the scanner's usual one.
 */
export function parseScannerAddress(text: string, defaultPort: number): ScannerAddress {
  const hop = tryParseNextHop(text, defaultPort);
  if (hop === null) throw new Error(`${JSON.stringify(text)} is not a scanner address (expected host:port, e.g. 127.0.0.1:783)`);
  const { host, port } = hop;
  const label = isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
  return { host, port, label };
}
