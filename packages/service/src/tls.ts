import { readFileSync } from 'node:fs';
import type { SecureContextOptions } from 'node:tls';
import type { PosternConfig } from '@postern/config';

export interface TlsMaterial {
  key: Buffer;
  cert: Buffer;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
}

/** The certificate and key of `[tls]` (certbot's fullchain/privkey), or null when none is configured. */
export function loadTls(config: PosternConfig): TlsMaterial | null {
  if (!config.tls.cert || !config.tls.key) return null;
  return { cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key), minVersion: config.tls.min_version };
}

/** The options node:tls and the protocol libraries take for a server's secure context. */
export function secureContextOptions(tls: TlsMaterial): SecureContextOptions {
  return { key: tls.key, cert: tls.cert, minVersion: tls.minVersion };
}
