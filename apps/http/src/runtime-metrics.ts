// Gauges measured at scrape time: the queue (from the store), certificate expiry (from the TLS provider), event-loop lag.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Gauge, registry } from '@postern/metrics';
import type { TlsProvider } from '@postern/service';
import type { Store } from '@postern/store';

const LAG_RESOLUTION_MS = 10;
const EVENT_LOOP_LAG = 'postern_event_loop_lag_seconds';
/** Gauges a sum over processes would misstate: /metrics of a multi-process mailstore shows the highest value. */
export const WORST_OF_PROCESSES: ReadonlySet<string> = new Set([EVENT_LOOP_LAG]);

/** Registers the gauges; returns what unregisters them and stops the event-loop monitor. */
export function registerRuntimeMetrics(store: Store, tls: TlsProvider | null): () => void {
  const gauges: Gauge[] = [];
  const add = (gauge: Gauge): void => void gauges.push(registry.register(gauge));

  let oldestAge = 0;
  add(
    new Gauge('postern_queue_messages', 'Messages in the outbound queue (held ones included)', [], async (gauge) => {
      const entries = await store.listQueue();
      const oldest = entries.reduce((min, entry) => Math.min(min, entry.createdAt.getTime()), Date.now());
      oldestAge = (Date.now() - oldest) / 1000;
      gauge.set({}, entries.length);
    }),
  );
  add(new Gauge('postern_queue_oldest_age_seconds', 'Age of the oldest message in the outbound queue (0 when empty)', [], (gauge) => gauge.set({}, oldestAge)));

  if (tls) {
    add(
      new Gauge('postern_tls_certificate_expiry_timestamp_seconds', 'End of validity of each certificate in service (Unix time), by SNI name ("*": the default pair)', ['name'], (gauge) => {
        gauge.reset();
        for (const { name, validTo } of tls.certificates()) gauge.set({ name }, Math.floor(validTo.getTime() / 1000));
      }),
    );
  }

  const unregisterLag = registerEventLoopLag();
  return () => {
    unregisterLag();
    for (const gauge of gauges) registry.unregister(gauge.name);
  };
}

/**
 * The event-loop lag gauge, for every process that serves: with a multi-process mailstore each
 * worker registers its own, and the primary's /metrics shows the highest of them (WORST_OF_PROCESSES).
 */
export function registerEventLoopLag(): () => void {
  // perf_hooks' histogram of the times between timer ticks since the last scrape; the lag is what exceeds the tick.
  const delay = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  delay.enable();
  registry.register(
    new Gauge(EVENT_LOOP_LAG, 'Event-loop delay since the last scrape, by statistic (mean, p99, max); several processes: the highest', ['stat'], (gauge) => {
      const seconds = (ns: number): number => (Number.isFinite(ns) ? Math.max(0, ns / 1e6 - LAG_RESOLUTION_MS) / 1000 : 0);
      gauge.set({ stat: 'mean' }, seconds(delay.mean));
      gauge.set({ stat: 'p99' }, seconds(delay.percentile(99)));
      gauge.set({ stat: 'max' }, seconds(delay.max));
      delay.reset();
    }),
  );
  return () => {
    delay.disable();
    registry.unregister(EVENT_LOOP_LAG);
  };
}
