// Postern's HTTP side, started by `postern start` and `postern mailstore`.
import { parseListenAddress, type PosternConfig } from '@postern/config';
import type { Logger } from '@postern/log';
import type { TlsProvider } from '@postern/service';
import type { Store } from '@postern/store';
import { clientConfigRoutes } from './client-config.js';
import { observabilityRoutes, type Readiness } from './observability.js';
import { registerRuntimeMetrics } from './runtime-metrics.js';
import { listenHttp, type HttpListener } from './server.js';

export interface HttpSide {
  listeners: HttpListener[];
  close(): Promise<void>;
}

/**
 * listen.http and listen.https serve client autoconfiguration and the MTA-STS policy to anyone;
 * listen.metrics (loopback by default) serves /metrics, /healthz and /readyz, and nothing else,
 * so that the public ports never show the server's internals.
 */
export async function startHttp(config: PosternConfig, store: Store, logger: Logger, options: { tls: TlsProvider | null; readiness: Readiness }): Promise<HttpSide> {
  const { tls, readiness } = options;
  const publicRoutes = clientConfigRoutes(config, store, tls !== null, logger);
  const listeners: HttpListener[] = [];
  const unregister = config.listen.metrics.length > 0 ? registerRuntimeMetrics(store, tls) : () => {};
  const close = async (): Promise<void> => {
    await Promise.all(listeners.splice(0).map((listener) => listener.close()));
    unregister();
  };
  const maxConnections = config.limits.max_connections_per_service;
  const sites = [
    { service: 'http', routes: publicRoutes, tls: undefined },
    { service: 'https', routes: publicRoutes, tls: tls ?? undefined },
    { service: 'metrics', routes: observabilityRoutes(store, config.hostname, readiness, logger), tls: undefined },
  ] as const;
  try {
    for (const { service, routes, tls: provider } of sites) {
      for (const text of config.listen[service]) {
        if (service === 'https' && !provider) throw new Error('listen.https: HTTPS needs [tls] cert and key (or set listen.https = [])');
        const listener = await listenHttp(parseListenAddress(text), { service, routes, logger, tls: provider, maxConnections });
        listeners.push(listener);
        logger.info({ service, listen: text }, `${listener.description} listening`);
      }
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { listeners, close };
}

export type { HttpListener } from './server.js';
export type { Readiness } from './observability.js';
