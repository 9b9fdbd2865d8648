import { parseListenAddress, type PosternConfig } from '@postern/config';
import type { LoginGuard } from '@postern/directory';
import type { SlotCounts, TlsProvider } from '@postern/service';
import type { Logger } from '@postern/log';
import type { Store } from '@postern/store';
import { createContext, type MailstoreContext } from './context.js';
import { startImap } from './imap/index.js';
import { JournalRetention } from './journal-retention.js';
import { startLmtp } from './lmtp/index.js';
import { startManageSieve } from './managesieve/index.js';
import { startPop3 } from './pop3/index.js';
import type { ProtocolService, StartService } from './service.js';

export interface Mailstore {
  context: MailstoreContext;
  services: ProtocolService[];
  close(): Promise<void>;
}

const SERVICES: { name: 'lmtp' | 'imap' | 'imaps' | 'pop3' | 'pop3s' | 'managesieve'; start: StartService; implicitTls: boolean }[] = [
  { name: 'lmtp', start: startLmtp, implicitTls: false },
  { name: 'imap', start: startImap, implicitTls: false },
  { name: 'imaps', start: startImap, implicitTls: true },
  { name: 'pop3', start: startPop3, implicitTls: false },
  { name: 'pop3s', start: startPop3, implicitTls: true },
  { name: 'managesieve', start: startManageSieve, implicitTls: false },
];

export interface MailstoreOptions {
  guard?: LoginGuard;
  tls?: TlsProvider | null;
  /** Where the connection counts live (a worker of a multi-process mailstore: in the primary); default: here. */
  slotCounts?: SlotCounts;
  /** Run the journal pruner here (default true); a multi-process mailstore runs it once, in the primary. */
  pruneJournal?: boolean;
}

/** Starts LMTP, IMAP, POP3 and ManageSieve on every `[listen]` address of the config (the Dovecot role). */
export async function startMailstore(config: PosternConfig, store: Store, logger: Logger, options: MailstoreOptions = {}): Promise<Mailstore> {
  // A provider passed in is its owner's to watch and close; one made here is this mailstore's.
  const ownTls = options.tls === undefined;
  const context = createContext(config, store, logger, options.guard, ownTls ? undefined : options.tls, options.slotCounts);
  if (ownTls) context.tls?.watch();
  const services: ProtocolService[] = [];
  const retention = options.pruneJournal === false ? null : startJournalRetention(config, store, logger);
  const close = async (): Promise<void> => {
    await retention?.stop();
    await Promise.all(services.splice(0).map((s) => s.close()));
    if (ownTls) context.tls?.close();
  };
  try {
    for (const { name, start, implicitTls } of SERVICES) {
      for (const text of config.listen[name]) {
        if (implicitTls && !context.tls) throw new Error(`listen.${name}: implicit TLS needs [tls] cert and key`);
        const service = await start(context, parseListenAddress(text, { allowUnix: name === 'lmtp' }), { implicitTls });
        services.push(service);
        logger.info({ service: name, listen: text }, `${service.description} listening`);
      }
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { context, services, close };
}

/** The journal pruner (a timer): once per mailstore, in the process that runs it. */
export function startJournalRetention(config: PosternConfig, store: Store, logger: Logger): JournalRetention {
  const retention = new JournalRetention(store, logger.child({ service: 'journal' }), config.imap.journal_retention);
  retention.start();
  return retention;
}

export type { MailstoreContext, LoginResult } from './context.js';
export { CertificateError, installCrashPolicy, loadCertificate, loginGuardFor, removeStaleSocket, TlsProvider, type CertificateFiles } from '@postern/service';
export type { ProtocolService, ServiceOptions, StartService } from './service.js';
export { prepareMessage } from './message/index.js';
export { CommandReader as ManageSieveCommandReader } from './managesieve/index.js';
export { ScriptRefusal, UserScripts, checkScript, validScriptName } from './sieve/scripts.js';
export { MAILSTORE_LIVE_KEYS, reconfigureMailstore } from './reconfigure.js';
export { MailstoreWorkers } from './cluster/supervisor.js';
export { WorkerLink } from './cluster/worker-link.js';
