// Counting outbound TLS sessions for TLS-RPT (RFC 8460 §4): one store add per session, never in the delivery's way.
import { tlsaText, type TlsaRecord } from '@postern/dns';
import type { Logger } from '@postern/log';
import type { Store, TlsResult } from '@postern/store';
import type { GoverningPolicy } from '../mta-sts/discovery.js';
import { policyStrings } from '../mta-sts/policy.js';
import type { TlsObservation } from './session-result.js';

/** The UTC day a result counts in (RFC 8460 §4.4 date-range: UTC days). */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** The RFC 8460 §4.4 policy-type and policy-string a session is counted under. */
export type ReportedPolicy = Pick<TlsResult, 'policyType' | 'policyString'>;

/** The STS policy a session was under, or no-policy-found. */
export function reportedPolicy(governing: GoverningPolicy | null): ReportedPolicy {
  return governing === null ? { policyType: 'no-policy-found', policyString: [] } : { policyType: 'sts', policyString: policyStrings(governing.text) };
}

/** RFC 8460 §4.4: a DANE policy is reported as type "tlsa" with its TLSA records in presentation form. */
export function tlsaReportedPolicy(records: readonly TlsaRecord[]): ReportedPolicy {
  return { policyType: 'tlsa', policyString: records.map(tlsaText) };
}

/** Writes one session's result; resolves once written; a store failure is logged, never thrown: the delivery goes on. */
export function recordTlsSession(store: Store, logger: Logger, policyDomain: string, policy: ReportedPolicy, observation: Omit<TlsObservation, 'detail'>, now = new Date()): Promise<void> {
  const result: TlsResult = {
    day: utcDay(now),
    policyDomain,
    ...policy,
    mxHost: observation.mxHost,
    resultType: observation.resultType,
    sendingIp: observation.sendingIp,
    receivingIp: observation.receivingIp,
  };
  return store.recordTlsResult(result).catch((error: unknown) => logger.warn({ event: 'tlsrpt_record_failed', domain: policyDomain, err: error }, `could not count a TLS session for ${policyDomain}: ${(error as Error).message}`));
}
