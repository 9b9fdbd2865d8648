import cluster from 'node:cluster';
import type { Command } from 'commander';
import { registerEventLoopLag, startHttp, type HttpSide } from '@postern/http';
import { createLogger } from '@postern/log';
import { registry } from '@postern/metrics';
import { installCrashPolicy, loginGuardFor, startMailstore, WorkerLink, type Mailstore, type TlsProvider } from '@postern/mailstore';
import { startMta, type Mta } from '@postern/mta';
import { readConfig, type GlobalOptions } from '../context.js';
import { reloadConfig } from '../reload/config-reload.js';
import { writePidFile } from '../reload/pid-file.js';
import { mailstoreProcesses, superviseMailstore } from '../serve/mailstore-workers.js';
import { openTimedStore, watchedTls } from '../serve/serving.js';

type Role = 'start' | 'mailstore' | 'mta';

/**
 * Runs services in the foreground until SIGTERM/SIGINT, then stops accepting,
 * lets in-flight work finish and closes the store (systemd's stop). `start`
 * runs the mailstore and the MTA in one process with one LoginGuard, so that
 * failed logins on SMTP, IMAP and POP3 count together, and one TlsProvider.
 * SIGHUP (systemd's reload, `postern reload`) reads the config file and the
 * certificates again (reload/config-reload.ts); the process and its sessions stay.
 */
async function serve(role: Role, options: GlobalOptions): Promise<void> {
  const { path, config } = readConfig(options);
  const processes = mailstoreProcesses(config);
  if (role === 'mailstore' && cluster.isPrimary && processes > 1) return superviseMailstore(path, config, processes);
  // A worker of a multi-process mailstore (serve/mailstore-workers.ts): its lines carry its id.
  const worker = role === 'mailstore' && cluster.isWorker ? cluster.worker : undefined;
  const logger = worker ? createLogger({ name: `postern-${role}` }).child({ worker: worker.id }) : createLogger({ name: `postern-${role}` });
  const link = worker ? new WorkerLink(logger, async () => (await registry.render()).text) : null;
  // "auto" (the default) is quietly one process here; a number above 1 asked for workers that `start` does not fork.
  if (role === 'start' && config.limits.mailstore_processes !== 'auto' && processes > 1) {
    logger.warn({ mailstore_processes: config.limits.mailstore_processes }, 'postern start runs one mailstore process: [limits] mailstore_processes applies to `postern mailstore` (run `postern mta` and `postern mailstore` apart to use it)');
  }
  let tls: TlsProvider | null = null;
  let mailstore: Mailstore | null = null;
  let mta: Mta | null = null;
  let serving = config;
  // Installed first: SIGHUP's default action would end a process that is still starting.
  const reload = (): void => {
    serving = reloadConfig(path, serving, { mta, mailstore, tls }, logger).config;
  };
  process.on('SIGHUP', reload);
  // SPEC §4: an error no handler caught closes the session it came from, never the process.
  const removeCrashPolicy = installCrashPolicy(logger);
  // The one place the services' store is opened.
  const store = await openTimedStore(config);
  logger.info({ store: await store.describe() }, 'store open');
  const guard = loginGuardFor(config, store, logger);
  tls = await watchedTls(config, logger, async () => {
    process.off('SIGHUP', reload);
    removeCrashPolicy();
    await store.close();
  });
  let removePidFile = (): void => {};
  let http: HttpSide | null = null;
  let unregisterLag = (): void => {};
  // /readyz: every listener bound, and not yet stopping.
  let ready = false;
  // The MTA goes first so that its queue's last local deliveries still find the mailstore.
  const stopAll = async (): Promise<void> => {
    ready = false;
    removePidFile();
    await http?.close();
    unregisterLag();
    await mta?.close();
    await mailstore?.close();
    tls?.close();
    process.off('SIGHUP', reload);
    await store.close();
  };
  try {
    // The mailstore's LMTP is up before the MTA accepts mail for it.
    // A worker leaves the journal pruner to its primary and counts connections there, for the whole mailstore.
    if (role !== 'mta') mailstore = await startMailstore(config, store, logger, { guard, tls, ...(link ? { slotCounts: link, pruneJournal: false } : {}) });
    if (role !== 'mailstore') mta = await startMta(config, store, logger, { guard, tls });
    // Autoconfig and MTA-STS with the mailstore, whose clients they configure; metrics and health in every process
    // (a multi-process mailstore's in its primary).
    if (!link) http = await startHttp(config, store, logger, { tls, role, readiness: { listenersBound: () => ready } });
    // A worker's event-loop lag reaches the primary's /metrics with the rest of its registry.
    else unregisterLag = registerEventLoopLag();
  } catch (err) {
    await stopAll();
    removeCrashPolicy();
    throw err;
  }
  ready = true;
  const services = [...(mailstore?.services ?? []), ...(mta?.listeners ?? []), ...(http?.listeners ?? [])].map((s) => s.description);
  if (link && mailstore) {
    link.attach(mailstore);
    logger.info({ services }, `mailstore worker ${worker?.id} ready`);
  } else {
    removePidFile = writePidFile(config.data_dir, role);
    logger.info({ services }, `postern ${role} ready`);
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, 'shutting down');
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    // A worker stops when its primary says so (Ctrl-C's SIGINT reaches the whole process group: the primary handles it).
    process.on('SIGINT', link ? () => {} : stop);
    void link?.stopped().then((reason) => {
      logger.info({ reason }, 'shutting down');
      resolve();
    });
  });
  await stopAll();
  removeCrashPolicy();
  logger.info('stopped');
  // The IPC channel would keep a worker's event loop alive.
  if (link && process.connected) process.disconnect();
}

export function registerServe(program: Command): void {
  program
    .command('start')
    .description('run every service in one process (MTA: SMTP 25/587/465; mailstore: LMTP, IMAP, POP3; HTTP: autoconfig, MTA-STS, metrics)')
    .action(async (_opts, cmd: Command) => serve('start', cmd.optsWithGlobals<GlobalOptions>()));
  program
    .command('mta')
    .description('run the MTA only: SMTP on 25, 587 and 465, delivering local mail over LMTP (the Postfix role)')
    .action(async (_opts, cmd: Command) => serve('mta', cmd.optsWithGlobals<GlobalOptions>()));
  program
    .command('mailstore')
    .description('run the mailstore only: LMTP, IMAP and POP3 (the Dovecot role), with the HTTP side')
    .action(async (_opts, cmd: Command) => serve('mailstore', cmd.optsWithGlobals<GlobalOptions>()));
}
