import type { Deliver, DeliveryContext, DeliveryRequest, RecipientOutcome } from '../types.js';
import { deliverLmtp } from './lmtp.js';
import { logOutcomes } from './maillog.js';
import { everyone, ownFailure } from './outcome.js';
import { deliverSmtp } from './smtp.js';

export { nextHopFor, nextHopKey, parseNextHop } from './next-hop.js';
export type { NextHop } from './next-hop.js';
export { isLmtpRelay, lmtpRelay } from './lmtp.js';
export { xtext } from './envelope.js';
export { SessionCache } from './session-cache.js';
export { relayTlsWarning } from './tls-policy.js';

/**
 * The delivery agent: local domains over LMTP to the mailstore, everything
 * else over SMTP to transport_maps / relayhost / MX. Every recipient gets an
 * outcome and a maillog line; nothing throws.
 */
export const deliver: Deliver = async (ctx: DeliveryContext, request: DeliveryRequest): Promise<RecipientOutcome[]> => {
  if (request.recipients.length === 0) return [];
  const started = Date.now();
  let outcomes: RecipientOutcome[];
  try {
    outcomes = (await ctx.isLocalDomain(request.domain)) ? await deliverLmtp(ctx, request) : await deliverSmtp(ctx, request);
  } catch (error) {
    // A bug or a store outage must not lose the message: it waits for the next run.
    ctx.logger.error({ event: 'delivery_error', queue_id: request.queueId, err: error }, `${request.queueId}: delivery failed: ${(error as Error).message}`);
    outcomes = everyone(request.recipients, 'deferred', ownFailure('4.3.0', `delivery failed: ${(error as Error).message}`, null));
  }
  logOutcomes(ctx.logger, request.queueId, request.recipients, outcomes, Date.now() - started);
  return outcomes;
};
