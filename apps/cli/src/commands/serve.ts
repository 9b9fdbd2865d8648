import type { Command } from 'commander';
import { storeOptions } from '@postern/config';
import { startHttp, type HttpSide } from '@postern/http';
import { createLogger } from '@postern/log';
import { CertificateError, installCrashPolicy, loginGuardFor, startMailstore, TlsProvider, type Mailstore } from '@postern/mailstore';
import { startMta, type Mta } from '@postern/mta';
import { openStore } from '@postern/store';
import { readConfig, type GlobalOptions } from '../context.js';
import { UsageFailure } from '../errors.js';

type Role = 'start' | 'mailstore' | 'mta';

/**
 * Runs services in the foreground until SIGTERM/SIGINT, then stops accepting,
 * lets in-flight work finish and closes the store (systemd's stop). `start`
 * runs the mailstore and the MTA in one process with one LoginGuard, so that
 * failed logins on SMTP, IMAP and POP3 count together, and one TlsProvider,
 * which SIGHUP (systemd's reload) tells to read the certificates again.
 */
async function serve(role: Role, options: GlobalOptions): Promise<void> {
  const { config } = readConfig(options);
  const logger = createLogger({ name: `postern-${role}` });
  let tls: TlsProvider | null = null;
  // systemd's ExecReload (and certbot's deploy hook): new certificates; the process and its sessions stay.
  // Installed first: SIGHUP's default action would end a process that is still starting.
  const reload = (): void => {
    if (!tls) return void logger.info({ signal: 'SIGHUP' }, 'SIGHUP: no [tls] certificate in service, nothing to reload');
    const outcome = tls.reload('SIGHUP');
    logger.info({ signal: 'SIGHUP', ...outcome }, `SIGHUP: TLS certificates ${outcome.changed.length > 0 ? 'reloaded' : outcome.failed.length > 0 ? 'kept (the new ones are unusable)' : 'unchanged'}`);
  };
  process.on('SIGHUP', reload);
  // SPEC §4: an error no handler caught closes the session it came from, never the process.
  const removeCrashPolicy = installCrashPolicy(logger);
  const store = await openStore(storeOptions(config));
  logger.info({ store: await store.describe() }, 'store open');
  const guard = loginGuardFor(config, store, logger);
  try {
    tls = TlsProvider.fromConfig(config, logger);
  } catch (err) {
    process.off('SIGHUP', reload);
    removeCrashPolicy();
    await store.close();
    throw err instanceof CertificateError ? new UsageFailure(`[tls]: ${err.message}`) : err;
  }
  tls?.watch();
  let mailstore: Mailstore | null = null;
  let mta: Mta | null = null;
  let http: HttpSide | null = null;
  // /readyz: every listener bound, and not yet stopping.
  let ready = false;
  // The MTA goes first so that its queue's last local deliveries still find the mailstore.
  const stopAll = async (): Promise<void> => {
    ready = false;
    await http?.close();
    await mta?.close();
    await mailstore?.close();
    tls?.close();
    process.off('SIGHUP', reload);
    await store.close();
  };
  try {
    // The mailstore's LMTP is up before the MTA accepts mail for it.
    if (role !== 'mta') mailstore = await startMailstore(config, store, logger, { guard, tls });
    if (role !== 'mailstore') mta = await startMta(config, store, logger, { guard, tls });
    // Autoconfig and MTA-STS with the mailstore, whose clients they configure; metrics and health in every process.
    http = await startHttp(config, store, logger, { tls, role, readiness: { listenersBound: () => ready } });
  } catch (err) {
    await stopAll();
    removeCrashPolicy();
    throw err;
  }
  ready = true;
  const services = [...(mailstore?.services ?? []), ...(mta?.listeners ?? []), ...(http?.listeners ?? [])].map((s) => s.description);
  logger.info({ services }, `postern ${role} ready`);
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, 'shutting down');
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  await stopAll();
  removeCrashPolicy();
  logger.info('stopped');
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
