// The loopback site on listen.metrics: Prometheus /metrics, /healthz and /readyz.
import type { Logger } from '@postern/log';
import { EXPOSITION_CONTENT_TYPE, mergeExpositions, registry } from '@postern/metrics';
import type { Store } from '@postern/store';
import { type Route, text } from './reply.js';
import { WORST_OF_PROCESSES } from './runtime-metrics.js';

/** A store that does not answer within this is not ready. */
const STORE_CHECK_MS = 2_000;

export interface Readiness {
  /** True once every configured listener is bound, false again when shutting down. */
  listenersBound(): boolean;
}

async function storeAnswers(store: Store, hostname: string): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      store.getDomain(hostname),
      new Promise((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${STORE_CHECK_MS} ms`)), STORE_CHECK_MS);
      }),
    ]);
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `workerMetrics`: a multi-process mailstore's primary asks its workers for their registries
 * (the mailstore's sessions, deliveries and store timings live there) and /metrics shows the
 * sum with the primary's own.
 */
export function observabilityRoutes(store: Store, hostname: string, readiness: Readiness, logger: Logger, workerMetrics?: () => Promise<string[]>): Map<string, Route> {
  return new Map<string, Route>([
    [
      '/metrics',
      {
        methods: ['GET'],
        async handle() {
          const { text, failed } = await registry.render();
          if (failed.length > 0) logger.warn({ event: 'metrics_collect_failed', metrics: failed }, `metrics not measured this scrape: ${failed.join(', ')}`);
          const body = workerMetrics ? mergeExpositions([text, ...(await workerMetrics())], WORST_OF_PROCESSES) : text;
          return { status: 200, contentType: EXPOSITION_CONTENT_TYPE, body };
        },
      },
    ],
    // Liveness: the process answers.
    ['/healthz', { methods: ['GET'], handle: async () => text(200, 'ok') }],
    [
      '/readyz',
      {
        methods: ['GET'],
        async handle() {
          if (!readiness.listenersBound()) return text(503, 'not ready: listeners not bound');
          const problem = await storeAnswers(store, hostname);
          if (problem !== null) {
            logger.warn({ event: 'not_ready', reason: problem }, `readyz: the store does not answer: ${problem}`);
            return text(503, `not ready: store: ${problem}`);
          }
          return text(200, 'ready');
        },
      },
    ],
  ]);
}
