// Policy discovery for a recipient domain with the store as cache (RFC 8461 §5.1).
import { DnsError, type Resolver } from '@postern/dns';
import type { Logger } from '@postern/log';
import type { MtaStsCacheEntry, Store } from '@postern/store';
import { fetchStsPolicy, PolicyFetchError, type PolicyFetchOptions } from './fetch.js';
import { parseStsPolicy, type StsPolicy } from './policy.js';
import { parseStsRecord } from './record.js';

/** The policy that governs delivery to a domain, with what TLS-RPT needs to report it. */
export interface GoverningPolicy {
  domain: string;
  id: string;
  policy: StsPolicy;
  /** The policy text (RFC 8460 §4.4 policy-string). */
  text: string;
}

/** What discovery found: a policy, or none (and why, when the reason is a failure TLS-RPT reports). */
export type Discovery =
  | { kind: 'policy'; governing: GoverningPolicy }
  | { kind: 'none'; failure?: { resultType: PolicyFetchError['resultType'] | 'sts-policy-invalid'; detail: string } };

export interface DiscoveryDeps {
  store: Store;
  resolver: Resolver;
  logger: Logger;
  fetch: PolicyFetchOptions;
  now?: () => Date;
}

// RFC 8461 §5.1: senders SHOULD refresh a cached policy before it expires; we do once less than a day (or half its max_age) is left.
const REFRESH_AHEAD_MS = 86_400_000;

/** Refreshes in flight, one per domain, so that a burst of deliveries starts one fetch. */
const refreshing = new Map<string, Promise<Discovery>>();

function usable(entry: MtaStsCacheEntry | null, now: Date): GoverningPolicy | null {
  if (entry === null || entry.expiresAt <= now) return null;
  const policy = parseStsPolicy(entry.policy);
  return typeof policy === 'string' ? null : { domain: entry.domain, id: entry.id, policy, text: entry.policy };
}

const found = (governing: GoverningPolicy | null): Discovery => (governing === null ? { kind: 'none' } : { kind: 'policy', governing });

/**
 * The policy for `domain`: the _mta-sts TXT record through the resolver; the
 * cached policy while its id matches and it has not expired (refreshed in the
 * background as expiry nears); otherwise a fetch, cached for max_age. A
 * failed lookup or fetch falls back to a cached unexpired policy (§5.1), or to
 * no policy. A policy in mode "none" governs nothing (§5).
 */
export async function discoverPolicy(domain: string, deps: DiscoveryDeps): Promise<Discovery> {
  const now = deps.now?.() ?? new Date();
  const name = domain.toLowerCase();
  const cached = await deps.store.getMtaStsPolicy(name);
  const current = usable(cached, now);
  let txts: string[];
  try {
    txts = await deps.resolver.txt(`_mta-sts.${name}`);
  } catch (error) {
    if (!(error instanceof DnsError)) throw error;
    // §5.1: the TXT record could not be looked up: a cached policy still holds; else none.
    return found(current);
  }
  const record = parseStsRecord(txts);
  // §3.1/§8.3: no record, but an unexpired cached policy: it is still used until max_age runs out.
  if (record === null) return found(current);
  if (current !== null && cached!.id === record.id) {
    const left = cached!.expiresAt.getTime() - now.getTime();
    if (left < Math.min(REFRESH_AHEAD_MS, (current.policy.maxAge * 1000) / 2)) void refresh(name, record.id, deps, current).catch(() => undefined);
    return found(current);
  }
  return refresh(name, record.id, deps, current);
}

/** Fetches and caches the policy published under `id`; on failure the cached one (or none, with the failure). */
function refresh(domain: string, id: string, deps: DiscoveryDeps, current: GoverningPolicy | null): Promise<Discovery> {
  const key = `${domain} ${id}`;
  const pending = refreshing.get(key);
  if (pending !== undefined) return pending;
  const run = (async (): Promise<Discovery> => {
    let text: string;
    try {
      text = await fetchStsPolicy(domain, deps.fetch);
    } catch (error) {
      if (!(error instanceof PolicyFetchError)) throw error;
      deps.logger.warn({ event: 'mta_sts_fetch_failed', domain, id, reason: error.message }, `MTA-STS policy of ${domain}: ${error.message}${current === null ? '' : '; using the cached policy'}`);
      return current === null ? { kind: 'none', failure: { resultType: error.resultType, detail: error.message } } : found(current);
    }
    const policy = parseStsPolicy(text);
    if (typeof policy === 'string') {
      deps.logger.warn({ event: 'mta_sts_policy_invalid', domain, id, reason: policy }, `MTA-STS policy of ${domain} is invalid: ${policy}`);
      return current === null ? { kind: 'none', failure: { resultType: 'sts-policy-invalid', detail: policy } } : found(current);
    }
    const fetchedAt = deps.now?.() ?? new Date();
    await deps.store.putMtaStsPolicy({ domain, id, policy: text, fetchedAt, expiresAt: new Date(fetchedAt.getTime() + policy.maxAge * 1000) });
    deps.logger.info({ event: 'mta_sts_policy', domain, id, mode: policy.mode, mx: policy.mx, max_age: policy.maxAge }, `MTA-STS policy of ${domain}: id ${id}, mode ${policy.mode}, mx ${policy.mx.join(' ')}, max_age ${policy.maxAge}`);
    return { kind: 'policy', governing: { domain, id, policy, text } };
  })().finally(() => refreshing.delete(key));
  refreshing.set(key, run);
  return run;
}
