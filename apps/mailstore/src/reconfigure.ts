import type { PosternConfig } from '@postern/config';
import type { MailstoreContext } from './context.js';

/** The keys reconfigureMailstore applies; the rest of what the mailstore reads is fixed at start. */
export const MAILSTORE_LIVE_KEYS: readonly string[] = ['limits.max_connections_per_ip', 'limits.mail_max_userip_connections', 'limits.max_connections_per_service', 'sieve.', 'managesieve.'];

/** A reload (SIGHUP): open IMAP and POP3 sessions keep their slots; new connections and logins count against the new [limits]. */
export function reconfigureMailstore(context: MailstoreContext, config: PosternConfig): void {
  context.connections.reconfigure(config.limits);
  context.config = config;
}
