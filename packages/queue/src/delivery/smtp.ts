import type { DeliveryContext, DeliveryRequest, RecipientOutcome } from '../types.js';
import { recordTlsSession, reportedPolicy, tlsaReportedPolicy, type ReportedPolicy } from '../tlsrpt/recorder.js';
import type { TlsObservation } from '../tlsrpt/session-result.js';
import { attemptRoute, type AttemptPlan } from './attempt.js';
import { relayCredentials, type Credentials } from './credentials.js';
import { cacheScope } from './cache-scope.js';
import { daneDecision, daneGoverns, danePolicyName, daneTlsPolicy } from './dane-policy.js';
import { nextHopFor, nextHopKey } from './next-hop.js';
import { everyone, ownFailure, type HostFailure } from './outcome.js';
import { resolveRoutes } from './routes.js';
import { NO_POLICY, policyName, splitRoutes, stsDecision, stsTlsPolicy, type DeliveryPolicyName } from './sts-policy.js';
import { tlsPolicyFor, trustedCas, type TlsPolicy } from './tls-policy.js';

/**
 * Delivery to a remote domain (Postfix smtp(8)): the next hop from
 * transport_maps, relayhost or the domain's MX; each address in turn until
 * one server decides the recipients; when none does, every recipient is
 * deferred with the last server's reason. A recipient domain's MTA-STS policy
 * (RFC 8461) narrows the MX hosts and raises the TLS level; at
 * smtp.tls_security_level = "dane" an MX host's DNSSEC-validated TLSA records
 * (RFC 7672) decide its TLS and take precedence over MTA-STS; every outcome
 * names the policy it went under.
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

  const configured = tlsPolicyFor(config, hop, credentials !== null);
  const named = (outcomes: RecipientOutcome[], policy: DeliveryPolicyName) => outcomes.map((outcome) => ({ ...outcome, policy }));
  let ca: Buffer | undefined;
  try {
    ca = configured.level === 'none' && !config.smtp.mta_sts ? undefined : await trustedCas(config);
  } catch (error) {
    return everyone(request.recipients, 'deferred', ownFailure('4.3.5', (error as Error).message, null));
  }

  // RFC 8460 §5.3: a report is delivered despite TLS-related failures, so that it can tell of them.
  const underDane = configured.level === 'dane' && request.tlsReport !== true;
  const base: TlsPolicy = configured.level === 'dane' && !underDane ? { ...configured, level: 'may' } : configured;
  let sts = request.tlsReport === true || underDane ? NO_POLICY : await stsDecision(ctx, hop, ca);

  // RFC 8460 §5.3: the report's own sessions are not counted in the next report.
  const reporting = config.tlsrpt.enabled && ctx.store !== undefined && hop.source === 'domain' && request.tlsReport !== true;
  const counted: Promise<void>[] = [];
  const countUnder = (reported: ReportedPolicy) => (observation: Omit<TlsObservation, 'detail'>) => {
    if (reporting) counted.push(recordTlsSession(ctx.store!, ctx.logger, request.domain, reported, observation));
  };

  try {
    const routing = await resolveRoutes(config, ctx.resolver, hop);
    if (routing.kind === 'failed') return named(everyone(request.recipients, routing.status, routing.failure), policyName(sts, stsTlsPolicy(sts, base)));

    const dane = underDane ? await daneDecision(ctx.resolver, hop, routing.routes) : null;
    // RFC 8461 §2: where DANE TLSA records are published, DANE and not MTA-STS decides.
    if (underDane && !daneGoverns(dane)) sts = await stsDecision(ctx, hop, ca);
    const tls = stsTlsPolicy(sts, dane === null ? base : { ...base, level: 'may' });
    const count = countUnder(reportedPolicy(sts.governing));
    // RFC 8460 §4.3.2: a policy that could not be fetched or was invalid is a failure of its own.
    if (sts.failure !== null) count({ resultType: sts.failure.resultType, mxHost: '', receivingIp: '', sendingIp: '' });

    const { listed, unlisted } = splitRoutes(sts, routing.routes);
    for (const route of unlisted) {
      // RFC 8461 §4.1: an MX host the policy does not list fails validation; "testing" only reports it (§5).
      count({ resultType: 'validation-failure', mxHost: route.name, receivingIp: 'host' in route.endpoint ? route.endpoint.host : '', sendingIp: '' });
      ctx.logger.info({ event: 'mta_sts_mx_mismatch', queue_id: request.queueId, relay: route.relay, mode: sts.governing?.policy.mode }, `${request.queueId}: MX host ${route.name} is not listed in the MTA-STS policy of ${request.domain} (mode ${sts.governing?.policy.mode ?? 'none'})`);
    }
    const enforce = sts.governing?.policy.mode === 'enforce';
    const routes = enforce ? listed : routing.routes;
    if (routes.length === 0) {
      const patterns = sts.governing?.policy.mx.join(', ') ?? '';
      return named(everyone(request.recipients, 'deferred', ownFailure('4.7.5', `no MX host of ${request.domain} is listed in its MTA-STS policy (mode enforce; mx: ${patterns})`, null)), policyName(sts, tls));
    }

    const plan: AttemptPlan = {
      protocol: 'smtp',
      heloName: config.smtp.helo_name ?? config.hostname,
      tls,
      ca,
      credentials,
      connectTimeoutMs: config.smtp.connect_timeout,
      replyTimeoutMs: config.smtp.timeout,
      localAddress: config.smtp.bind_address,
      observeTls: reporting ? count : undefined,
      cache: ctx.smtpSessions === undefined ? undefined : {
        sessions: ctx.smtpSessions,
        scope: cacheScope(tls, credentials),
        // Postfix smtp_connection_cache_on_demand: a session waits for the next message only while the next hop has a backlog.
        wanted: () => config.smtp.connection_cache_on_demand && (ctx.backlog?.(nextHopKey(config, request.domain)) ?? false),
      },
    };
    let last: { failure: HostFailure; policy: DeliveryPolicyName } | null = null;
    for (const route of routes) {
      const host = dane?.get(route.name);
      // "testing" still tries an unlisted MX host: its session was counted as the validation failure above.
      let routePlan = unlisted.includes(route) ? { ...plan, observeTls: undefined } : plan;
      let policy = policyName(sts, tls);
      if (host !== undefined && (host.kind !== 'fallback' || daneGoverns(dane))) {
        policy = danePolicyName(host);
        if (host.kind === 'failed') {
          countUnder(tlsaReportedPolicy([]))({ resultType: 'dnssec-invalid', mxHost: route.name, receivingIp: 'host' in route.endpoint ? route.endpoint.host : '', sendingIp: '' });
          last = { failure: { ...host.failure, relay: route.relay }, policy };
          continue;
        }
        const observe = countUnder(host.published.length > 0 ? tlsaReportedPolicy(host.published) : reportedPolicy(null));
        const daneTls = daneTlsPolicy(host, base);
        routePlan = {
          ...routePlan,
          tls: daneTls,
          observeTls: reporting ? observe : undefined,
          // A session held to this host's TLSA records is cached apart from the opportunistic ones to the same host.
          cache: routePlan.cache && { ...routePlan.cache, scope: cacheScope(daneTls, credentials) },
        };
      } else if (host !== undefined) {
        // No TLSA anywhere: opportunistic TLS (RFC 7672 §2.2), under MTA-STS when the domain has a policy.
        policy = sts.governing === null ? danePolicyName(host) : policy;
      }
      let result = await attemptRoute(request, route, routePlan);
      if (result.kind === 'failed' && result.retryPlaintext === true) {
        ctx.logger.info({ event: 'tls_fallback', queue_id: request.queueId, relay: route.relay, reason: result.failure.response }, `${request.queueId}: ${result.failure.response}; trying ${route.relay} again without TLS`);
        result = await attemptRoute(request, route, routePlan, false);
      }
      if (result.kind === 'done') return named(result.outcomes, policy);
      last = { failure: result.failure, policy };
      ctx.logger.debug({ event: 'host_failed', queue_id: request.queueId, relay: route.relay, reason: last.failure.response, policy }, `${request.queueId}: ${last.failure.response}`);
    }
    return named(everyone(request.recipients, 'deferred', last?.failure ?? ownFailure('4.4.1', `no server for ${request.domain} answered`, null)), last?.policy ?? policyName(sts, tls));
  } finally {
    await Promise.all(counted);
  }
}
