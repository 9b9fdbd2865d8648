import type { Logger } from '@postern/log';
import { countDelivery } from '@postern/metrics';
import type { DeliveryRecipient, RecipientOutcome } from '../types.js';
import { isLmtpRelay } from './lmtp.js';

const STATUS_WORD = { delivered: 'sent', deferred: 'deferred', bounced: 'bounced' } as const;

/** Postfix's delay= precision: two decimals under 10 s, one under 100 s, whole seconds beyond. */
function formatDelay(seconds: number): string {
  return seconds < 10 ? seconds.toFixed(2) : seconds < 100 ? seconds.toFixed(1) : seconds.toFixed(0);
}

/**
 * One maillog line per recipient, as Postfix's smtp(8)/lmtp(8) write it:
 * "QUEUEID: to=<bob@example.net>, orig_to=<alias@example.net>, relay=mx[…]:25, policy=mta-sts:enforce, delay=0.42, dsn=2.0.0, status=sent (250 2.0.0 Ok)"
 * (policy= is ours: the MTA-STS mode or TLS level the delivery went under).
 */
export function logOutcomes(logger: Logger, queueId: string, recipients: readonly DeliveryRecipient[], outcomes: readonly RecipientOutcome[], delayMs: number): void {
  const delay = formatDelay(delayMs / 1000);
  const origins = new Map(recipients.map((recipient) => [recipient.address.toLowerCase(), recipient.origTo ?? null]));
  for (const outcome of outcomes) {
    const status = STATUS_WORD[outcome.status];
    const relay = outcome.relay ?? 'none';
    const origTo = origins.get(outcome.address.toLowerCase()) ?? null;
    const orig = origTo === null ? '' : `, orig_to=<${origTo}>`;
    const policy = outcome.policy === undefined ? '' : `, policy=${outcome.policy}`;
    countDelivery(isLmtpRelay(outcome.relay) ? 'lmtp' : 'smtp', status, outcome.dsn);
    logger.info(
      { event: 'delivery', queue_id: queueId, to: outcome.address, ...(origTo === null ? {} : { orig_to: origTo }), relay, delay: Number(delay), dsn: outcome.dsn, status, ...(outcome.policy === undefined ? {} : { policy: outcome.policy }), reply: outcome.response },
      `${queueId}: to=<${outcome.address}>${orig}, relay=${relay}${policy}, delay=${delay}, dsn=${outcome.dsn}, status=${status} (${outcome.response})`,
    );
  }
}
