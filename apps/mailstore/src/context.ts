import type { PosternConfig } from '@postern/config';
import type { LoginResult, SenderRewriting } from '@postern/directory';
import type { Logger } from '@postern/log';
import { SessionLimits, loginGuardFor, senderRewritingFor, TlsProvider, type SlotCounts } from '@postern/service';
import type { Store } from '@postern/store';
import { MailboxChanges } from './mailbox-changes.js';

export type { LoginResult };

/** What every protocol service of the mailstore shares. */
export interface MailstoreContext {
  config: PosternConfig;
  store: Store;
  logger: Logger;
  /** Every TLS context (993, 995, STARTTLS on 143, STLS on 110) comes from here; null without a [tls] certificate. */
  tls: TlsProvider | null;
  /** IMAP and POP3 connection limits: per service, per address before login, per user+address after. */
  connections: SessionLimits;
  /** [srs]: LMTP forwards and Sieve redirects leave with an SRS sender, our SRS addresses lead back; null when off. */
  srs: SenderRewriting | null;
  /** Changes made in this process (LMTP deliveries, IMAP sessions), heard by the IMAP notifiers at once (and by the other mailstore processes). */
  mailboxChanges: MailboxChanges;
  /** Checks a login with per-IP throttling; logs failures and bans in one stable form. */
  login(service: string, username: string, password: string, clientIp: string): Promise<LoginResult>;
}

/** `guard` is passed in by `postern start` so the MTA and the mailstore count failures together; `tls` so that one provider serves both. */
export function createContext(
  config: PosternConfig,
  store: Store,
  logger: Logger,
  guard = loginGuardFor(config, store, logger),
  tls: TlsProvider | null = TlsProvider.fromConfig(config, logger),
  slotCounts?: SlotCounts,
): MailstoreContext {
  return {
    config,
    store,
    logger,
    tls,
    connections: new SessionLimits(config.limits, slotCounts),
    srs: senderRewritingFor(config, store, logger),
    mailboxChanges: new MailboxChanges(),
    login: (service, username, password, clientIp) => guard.login(service, username, password, clientIp),
  };
}
