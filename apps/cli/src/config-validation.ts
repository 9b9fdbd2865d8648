import type { PosternConfig } from '@postern/config';
import { createLogger } from '@postern/log';
import { CertificateError, TlsProvider } from '@postern/mailstore';
import { checkMtaConfig } from '@postern/mta';
import { UsageFailure } from './errors.js';

/**
 * The checks `start` makes before it listens, through the same functions:
 * the restriction lists and LMTP destination, then the TLS pairs. Throws
 * ConfigError or UsageFailure naming the key. `config check`, `reload` and
 * `doctor` run it so that a file they pass also starts.
 */
export function validateAsStart(config: PosternConfig): void {
  checkMtaConfig(config);
  try {
    TlsProvider.fromConfig(config, createLogger({ level: 'silent' }))?.close();
  } catch (err) {
    throw err instanceof CertificateError ? new UsageFailure(`[tls]: ${err.message}`) : err;
  }
}
