// Postern's HTTP side: everything under `postern start` and `postern mailstore`; metrics and health only under `postern mta`.
import { parseListenAddress, type PosternConfig } from '@postern/config';
import type { Logger } from '@postern/log';
import type { TlsProvider } from '@postern/service';
import type { Store } from '@postern/store';
import { clientConfigRoutes } from './client-config.js';
import type { Routes } from './reply.js';
import { observabilityRoutes, type Readiness } from './observability.js';
import { registerRuntimeMetrics } from './runtime-metrics.js';
import { listenHttp, type HttpListener } from './server.js';

interface Site {
  service: 'http' | 'https' | 'metrics' | 'mta_metrics';
  routes: Routes;
  tls?: TlsProvider | undefined;
}

export interface HttpSide {
  listeners: HttpListener[];
  close(): Promise<void>;
}

/**
 * listen.http and listen.https serve client autoconfiguration and the MTA-STS policy to anyone;
 * listen.metrics (loopback by default) serves /metrics, /healthz and /readyz, and nothing else,
 * so that the public ports never show the server's internals; `postern mta` alone serves only
 * those, on listen.mta_metrics.
 */
export async function startHttp(config: PosternConfig, store: Store, logger: Logger, options: { tls: TlsProvider | null; readiness: Readiness; role: 'start' | 'mailstore' | 'mta'; workerMetrics?: () => Promise<string[]> }): Promise<HttpSide> {
  const { tls, readiness } = options;
  // `postern mta` alone: only its own metrics and health, on a listener of its own (its counters live in its process).
  const mtaOnly = options.role === 'mta';
  const metricsKey = mtaOnly ? 'mta_metrics' : 'metrics';
  const publicRoutes = clientConfigRoutes(config, store, tls !== null, logger);
  const listeners: HttpListener[] = [];
  const unregister = config.listen[metricsKey].length > 0 ? registerRuntimeMetrics(store, tls) : () => {};
  const close = async (): Promise<void> => {
    await Promise.all(listeners.splice(0).map((listener) => listener.close()));
    unregister();
  };
  const maxConnections = config.limits.max_connections_per_service;
  const observability: Site = { service: metricsKey, routes: observabilityRoutes(store, config.hostname, readiness, logger, options.workerMetrics) };
  const sites: Site[] = mtaOnly
    ? [observability]
    : [{ service: 'http', routes: publicRoutes }, { service: 'https', routes: publicRoutes, tls: tls ?? undefined }, observability];
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
export { registerEventLoopLag } from './runtime-metrics.js';
export type { Readiness } from './observability.js';
