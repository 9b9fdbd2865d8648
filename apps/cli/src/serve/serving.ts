// What every serving process (`postern start|mta|mailstore`, a mailstore's primary) opens first.
import { storeOptions, type PosternConfig } from '@postern/config';
import type { Logger } from '@postern/log';
import { CertificateError, TlsProvider } from '@postern/mailstore';
import { storeOperationSeconds, timedCalls } from '@postern/metrics';
import { openStore, type Store } from '@postern/store';
import { UsageFailure } from '../errors.js';

/** The services' store: every call is timed into /metrics. */
export async function openTimedStore(config: PosternConfig): Promise<Store> {
  const opened = await openStore(storeOptions(config));
  return timedCalls(opened, storeOperationSeconds, { backend: opened.backend });
}

/**
 * `[tls]`'s certificate and key, watched for changes (certbot renewals), or
 * null without them. Files that do not load are the operator's to fix: `undo`
 * releases what the caller opened, then a UsageFailure names the problem.
 */
export async function watchedTls(config: PosternConfig, logger: Logger, undo: () => Promise<void>): Promise<TlsProvider | null> {
  let tls: TlsProvider | null;
  try {
    tls = TlsProvider.fromConfig(config, logger);
  } catch (err) {
    await undo();
    throw err instanceof CertificateError ? new UsageFailure(`[tls]: ${err.message}`) : err;
  }
  tls?.watch();
  return tls;
}
