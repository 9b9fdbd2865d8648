import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { parseListenAddress, type PosternConfig } from '@postern/config';
import { startHttp, type HttpSide } from '@postern/http';
import { createLogger } from '@postern/log';
import { installCrashPolicy, MailstoreWorkers, removeStaleSocket, startJournalRetention, type TlsProvider } from '@postern/mailstore';
import { reloadConfig } from '../reload/config-reload.js';
import { writePidFile } from '../reload/pid-file.js';
import { openTimedStore, watchedTls } from './serving.js';

/** `[limits] mailstore_processes`: "auto" is one per core the process may use. */
export function mailstoreProcesses(config: PosternConfig): number {
  const setting = config.limits.mailstore_processes;
  return setting === 'auto' ? Math.min(64, availableParallelism()) : setting;
}

/**
 * Node's cluster hands each new connection to the workers in turn (SCHED_RR) rather than
 * letting them race in accept() (SCHED_NONE). Measured on this 2-core machine with 2 workers:
 * 20 IMAP connections went 14/6 under SCHED_NONE and 9/11 under SCHED_RR, and a worker given
 * most of the long-lived IMAP sessions makes its core the bottleneck again (the mixed-load
 * figures are in the branch's report); the primary's cost of passing each accepted socket on
 * is small next to a session's. NODE_CLUSTER_SCHED_POLICY, when set, still wins.
 */
function chooseScheduling(): void {
  if (process.env.NODE_CLUSTER_SCHED_POLICY === undefined) cluster.schedulingPolicy = cluster.SCHED_RR;
}

/**
 * `postern mailstore` with [limits] mailstore_processes > 1 (Dovecot's process_limit): this
 * primary forks the workers, which serve LMTP, IMAP, POP3 and ManageSieve on the listening
 * sockets they share (serve.ts, in worker mode). Here, once: the HTTP side (autoconfig,
 * MTA-STS, /metrics merged with the workers', /readyz true once every worker is bound), the
 * journal pruner, the connection counts (MailstoreWorkers), the pid file, and the signals:
 * SIGHUP reloads here and in every worker, SIGTERM/SIGINT stop the workers after their
 * in-flight work, then this process.
 * The timers of the mailstore: the journal pruner runs here only; each worker keeps its own
 * IMAP notifier poll (for its sessions), certificate file watch and auth cache, which serve
 * that process. `sieve.redirects_per_day` is counted per process, as documented.
 */
export async function superviseMailstore(path: string, config: PosternConfig, processes: number): Promise<void> {
  const logger = createLogger({ name: 'postern-mailstore' }).child({ worker: 'primary' });
  let tls: TlsProvider | null = null;
  let workers: MailstoreWorkers | null = null;
  let serving = config;
  // Installed first: SIGHUP's default action would end a process that is still starting.
  const reload = (): void => {
    serving = reloadConfig(path, serving, { mta: null, mailstore: null, tls }, logger).config;
    workers?.reload(serving.limits);
  };
  process.on('SIGHUP', reload);
  const removeCrashPolicy = installCrashPolicy(logger);
  chooseScheduling();
  // The workers' unix sockets are bound once, by this process, for all of them (listen.ts skips this in a worker).
  for (const name of ['lmtp'] as const) {
    for (const text of config.listen[name]) {
      const address = parseListenAddress(text, { allowUnix: true });
      if (address.kind === 'unix') await removeStaleSocket(address.path, name);
    }
  }
  // For the HTTP side (autoconfig, /readyz) and the journal pruner; the workers open their own.
  const store = await openTimedStore(config);
  tls = await watchedTls(config, logger, async () => {
    process.off('SIGHUP', reload);
    removeCrashPolicy();
    await store.close();
  });
  workers = new MailstoreWorkers(processes, config.limits, logger);
  // The journal pruner (a timer) runs here only, not once per worker.
  let retention: ReturnType<typeof startJournalRetention> | null = null;
  let http: HttpSide | null = null;
  let removePidFile = (): void => {};
  const stopAll = async (): Promise<void> => {
    removePidFile();
    await http?.close();
    await workers?.stop();
    await retention?.stop();
    tls?.close();
    process.off('SIGHUP', reload);
    await store.close();
    removeCrashPolicy();
  };
  let services: string[];
  try {
    services = await workers.start();
    retention = startJournalRetention(config, store, logger);
    const running = workers;
    http = await startHttp(config, store, logger, { tls, role: 'mailstore', readiness: { listenersBound: () => running.allReady() }, workerMetrics: () => running.metrics() });
  } catch (err) {
    await stopAll();
    throw err;
  }
  removePidFile = writePidFile(config.data_dir, 'mailstore');
  logger.info({ services: [...services, ...http.listeners.map((listener) => listener.description)], processes, pids: workers.pids() }, `postern mailstore ready (${processes} processes)`);
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, 'shutting down: the workers finish their in-flight work');
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  await stopAll();
  logger.info('stopped');
}
