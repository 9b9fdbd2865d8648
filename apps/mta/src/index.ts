import { parseListenAddress, type PosternConfig } from '@postern/config';
import type { LoginGuard } from '@postern/directory';
import type { TlsProvider } from '@postern/service';
import type { Logger } from '@postern/log';
import { lmtpRelay, relayTlsWarning } from '@postern/queue';
import type { Store } from '@postern/store';
import { createContext, type MtaContext } from './context.js';
import { startListener, type SmtpListener } from './listeners.js';
import { watchPickup } from './pickup.js';
import type { SmtpService } from './session.js';
import { lmtpDestination } from './virtual-transport.js';

export interface Mta {
  context: MtaContext;
  listeners: SmtpListener[];
  /** SIGTERM: stop accepting, let messages in DATA finish (their commit to the queue included), close every session. */
  close(): Promise<void>;
}

const SERVICES: SmtpService[] = ['smtp', 'submission', 'submissions'];

/**
 * Starts the SMTP listeners of the config (the Postfix role): `smtp` (25),
 * `submission` (587, STARTTLS) and `submissions` (465, implicit TLS). Every
 * message is committed to the queue, whose runner starts here too and
 * delivers it at once: local mail over LMTP to virtual_transport or the first
 * listen.lmtp address, other mail over SMTP.
 * Throws ConfigError for a bad restriction list (naming the key).
 */
export async function startMta(config: PosternConfig, store: Store, logger: Logger, options: { guard?: LoginGuard; tls?: TlsProvider | null } = {}): Promise<Mta> {
  // A provider passed in is its owner's to watch and close; one made here is this MTA's.
  const ownTls = options.tls === undefined;
  const context = createContext(config, store, logger, options.guard, ownTls ? undefined : options.tls);
  if (ownTls) context.tls?.watch();
  if (context.tls === null && config.listen.submission.length > 0 && config.smtpd.tls_auth_only) {
    logger.warn({ service: 'submission' }, 'no [tls] certificate: submission cannot offer AUTH (smtpd.tls_auth_only), so it accepts no mail');
  }
  if (!config.smtpd.helo_required || !config.smtpd.strict_rfc821_envelopes) {
    logger.warn('smtpd.helo_required = false and smtpd.strict_rfc821_envelopes = false are not supported: HELO/EHLO and <bracketed> addresses are always required');
  }
  if (config.smtpd.in_flight_bytes_limit < config.smtpd.message_size_limit) {
    logger.warn(
      { event: 'in_flight_bytes_limit' },
      `smtpd.in_flight_bytes_limit (${config.smtpd.in_flight_bytes_limit}) is below smtpd.message_size_limit (${config.smtpd.message_size_limit}): larger messages always get 452 4.3.1`,
    );
  }
  const relayTls = relayTlsWarning(config);
  if (relayTls !== null) logger.warn({ event: 'relay_tls_unverified' }, relayTls);
  const { tls_security_level: level, relayhost_tls_security_level: relayLevel } = config.smtp;
  // RFC 7672 §2.1: DANE needs a validating resolver whose AD bit can be believed; without one every MX falls back to "may".
  if ((level === 'dane' || relayLevel === 'dane') && !context.env.resolver.dnssec.validating) {
    logger.warn({ event: 'dane_no_validating_resolver' }, 'smtp.tls_security_level = "dane", but no DNS resolver is trusted to validate DNSSEC (dns.dnssec_trusted is empty and dns.servers has no loopback address): every delivery falls back to "may"; run a validating resolver such as unbound on 127.0.0.1 and list it');
  }
  const listeners: SmtpListener[] = [];
  let unwatchPickup = (): void => {};
  const close = async (): Promise<void> => {
    unwatchPickup();
    await Promise.all(listeners.splice(0).map((listener) => listener.close()));
    await context.queue.stop();
    await context.spoolDirectory.remove();
    if (ownTls) context.tls?.close();
  };
  try {
    await context.spoolDirectory.prepare();
    for (const service of SERVICES) {
      for (const text of config.listen[service]) {
        const address = parseListenAddress(text, { allowUnix: false });
        if (address.kind !== 'tcp') throw new Error(`listen.${service}: ${text} is not a TCP address`);
        const listener = await startListener(context, service, address);
        listeners.push(listener);
        logger.info({ service, listen: text }, `${listener.description} listening`);
      }
    }
  } catch (err) {
    await close();
    throw err;
  }
  const relay = lmtpRelay(lmtpDestination(config));
  logger.info({ relay }, `local delivery from the queue over LMTP to ${relay}`);
  context.queue.start();
  unwatchPickup = watchPickup(config.data_dir, logger, () => context.queue.wake());
  return { context, listeners, close };
}

export type { MtaContext } from './context.js';
export type { SmtpListener } from './listeners.js';
export { installCrashPolicy, loginGuardFor } from '@postern/service';
export { lmtpDestination } from './virtual-transport.js';
export { checkMtaConfig } from './check-config.js';
export { MTA_LIVE_KEYS, reconfigureMta } from './reconfigure.js';
export { notifyPickup } from './pickup.js';
export { checkSubmittedContent, type SubmittedContent } from './cleanup/submitted-content.js';
