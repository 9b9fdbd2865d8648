import type { DeliveryContext, DeliveryRequest, RecipientOutcome } from '../types.js';
import { attemptRoute, type AttemptPlan } from './attempt.js';
import { relayCredentials, type Credentials } from './credentials.js';
import { nextHopFor } from './next-hop.js';
import { everyone, ownFailure, type HostFailure } from './outcome.js';
import { resolveRoutes } from './routes.js';
import { tlsPolicyFor, trustedCas } from './tls-policy.js';

/**
 * Delivery to a remote domain (Postfix smtp(8)): the next hop from
 * transport_maps, relayhost or the domain's MX; each address in turn until
 * one server decides the recipients; when none does, every recipient is
 * deferred with the last server's reason.
 */
export async function deliverSmtp(ctx: DeliveryContext, request: DeliveryRequest): Promise<RecipientOutcome[]> {
  const { config } = ctx;
  const hop = nextHopFor(config, request.domain);

  let credentials: Credentials | null = null;
  if (hop.source === 'relayhost') {
    try {
      credentials = await relayCredentials(config);
    } catch (error) {
      // RFC 3463 X.3.5: our own configuration is wrong; the mail waits for it to be fixed.
      return everyone(request.recipients, 'deferred', ownFailure('4.3.5', (error as Error).message, null));
    }
  }

  const tls = tlsPolicyFor(config, hop, credentials !== null);
  let ca: Buffer | undefined;
  try {
    ca = tls.level === 'none' ? undefined : await trustedCas(config);
  } catch (error) {
    return everyone(request.recipients, 'deferred', ownFailure('4.3.5', (error as Error).message, null));
  }

  const routing = await resolveRoutes(config, ctx.resolver, hop);
  if (routing.kind === 'failed') return everyone(request.recipients, routing.status, routing.failure);

  const plan: AttemptPlan = {
    protocol: 'smtp',
    heloName: config.smtp.helo_name ?? config.hostname,
    tls,
    ca,
    credentials,
    connectTimeoutMs: config.smtp.connect_timeout,
    replyTimeoutMs: config.smtp.timeout,
    localAddress: config.smtp.bind_address,
  };
  let last: HostFailure | null = null;
  for (const route of routing.routes) {
    let result = await attemptRoute(request, route, plan);
    if (result.kind === 'failed' && result.retryPlaintext === true) {
      ctx.logger.info({ event: 'tls_fallback', queue_id: request.queueId, relay: route.relay, reason: result.failure.response }, `${request.queueId}: ${result.failure.response}; trying ${route.relay} again without TLS`);
      result = await attemptRoute(request, route, plan, false);
    }
    if (result.kind === 'done') return result.outcomes;
    last = result.failure;
    ctx.logger.debug({ event: 'host_failed', queue_id: request.queueId, relay: route.relay, reason: last.response }, `${request.queueId}: ${last.response}`);
  }
  return everyone(request.recipients, 'deferred', last ?? ownFailure('4.4.1', `no server for ${request.domain} answered`, null));
}
