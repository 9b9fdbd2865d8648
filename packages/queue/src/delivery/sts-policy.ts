// MTA-STS on the sending side (RFC 8461 §4, §5): which MX hosts may be used and what TLS they must offer.
import { discoverPolicy, type GoverningPolicy } from '../mta-sts/discovery.js';
import { mxMatches } from '../mta-sts/policy.js';
import type { DaneFallback } from './dane-policy.js';
import type { DeliveryContext } from '../types.js';
import type { NextHop } from './next-hop.js';
import type { Route } from './routes.js';
import { atLeast, type TlsPolicy } from './tls-policy.js';

/** The policy a delivery went under, as the maillog and `queue show` print it: "mta-sts:enforce", "dane", "dane-fallback:no-tlsa", "tls:verify", "plain". */
export type DeliveryPolicyName = 'mta-sts:enforce' | 'mta-sts:testing' | 'dane' | `dane-fallback:${DaneFallback}` | `tls:${TlsPolicy['level']}` | 'plain';

/** How MTA-STS shapes one delivery: the policy found (if any) and the TLS it asks of each route. */
export interface StsDecision {
  governing: GoverningPolicy | null;
  /** A fetch or validation failure TLS-RPT reports (no policy was usable). */
  failure: { resultType: 'sts-policy-fetch-error' | 'sts-webpki-invalid' | 'sts-policy-invalid'; detail: string } | null;
}

export const NO_POLICY: StsDecision = { governing: null, failure: null };

/** RFC 8461 applies to delivery to a domain's MX hosts; a relay host or transport_maps next hop is the operator's choice. */
export async function stsDecision(ctx: DeliveryContext, hop: NextHop, ca: Buffer | undefined): Promise<StsDecision> {
  const { config, store } = ctx;
  if (!config.smtp.mta_sts || hop.source !== 'domain' || store === undefined) return NO_POLICY;
  const discovery = await discoverPolicy(hop.host, {
    store,
    resolver: ctx.resolver,
    logger: ctx.logger,
    fetch: { resolver: ctx.resolver, ca, timeoutMs: config.smtp.connect_timeout, port: config.smtp.mta_sts_port },
  });
  if (discovery.kind === 'none') return { governing: null, failure: discovery.failure ?? null };
  // RFC 8461 §5: mode "none" is as if the domain had no policy.
  return discovery.governing.policy.mode === 'none' ? NO_POLICY : { governing: discovery.governing, failure: null };
}

/** The name recorded per delivery: the MTA-STS mode when a policy governs, else the TLS level ("plain" for none). */
export function policyName(decision: StsDecision, tls: TlsPolicy): DeliveryPolicyName {
  const mode = decision.governing?.policy.mode;
  if (mode === 'enforce' || mode === 'testing') return `mta-sts:${mode}`;
  return tls.level === 'none' ? 'plain' : `tls:${tls.level}`;
}

/**
 * RFC 8461 §4.2/§5: in "enforce" the MX host must match the policy and offer
 * TLS with a certificate that chains to a trusted CA and names the MX host —
 * Postfix's "verify" level, never a fallback to plaintext. Other modes leave
 * the configured level.
 */
export function stsTlsPolicy(decision: StsDecision, tls: TlsPolicy): TlsPolicy {
  const governing = decision.governing;
  if (governing?.policy.mode !== 'enforce') return tls;
  if (atLeast(tls.level, 'verify')) return { ...tls, requiredBy: `under the MTA-STS policy of ${governing.domain} (mode enforce)` };
  return { ...tls, level: 'verify', requiredBy: `under the MTA-STS policy of ${governing.domain} (mode enforce)` };
}

/** The routes whose MX host the policy lists (RFC 8461 §4.1), and those it does not. */
export function splitRoutes(decision: StsDecision, routes: readonly Route[]): { listed: Route[]; unlisted: Route[] } {
  const policy = decision.governing?.policy;
  if (policy === undefined) return { listed: [...routes], unlisted: [] };
  const listed = routes.filter((route) => mxMatches(policy, route.name));
  return { listed, unlisted: routes.filter((route) => !listed.includes(route)) };
}
