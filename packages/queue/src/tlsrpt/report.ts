// The TLS-RPT aggregate report (RFC 8460 §4): one policy domain, one UTC day.
import type { TlsResultCount } from '@postern/store';
import { parseStsPolicy } from '../mta-sts/policy.js';

export interface TlsReportPolicy {
  policy: { 'policy-type': string; 'policy-string': string[]; 'policy-domain': string; 'mx-host'?: string[] };
  summary: { 'total-successful-session-count': number; 'total-failure-session-count': number };
  'failure-details': {
    'result-type': string;
    'sending-mta-ip'?: string;
    'receiving-mx-hostname'?: string;
    'receiving-ip'?: string;
    'failed-session-count': number;
  }[];
}

/** RFC 8460 §4.4's JSON fields, in its names. */
export interface TlsReport {
  'organization-name': string;
  'date-range': { 'start-datetime': string; 'end-datetime': string };
  'contact-info': string;
  'report-id': string;
  policies: TlsReportPolicy[];
}

export interface ReportIdentity {
  organizationName: string;
  contactInfo: string;
  reportId: string;
}

/** The UTC day as RFC 8460 §4.4 date-range: from its first to its last second (RFC 3339 date-time). */
export function dateRange(day: string): TlsReport['date-range'] {
  return { 'start-datetime': `${day}T00:00:00Z`, 'end-datetime': `${day}T23:59:59Z` };
}

/** Builds the report of one domain's counts of one day, one entry per policy the sessions were under. */
export function buildTlsReport(day: string, domain: string, rows: readonly TlsResultCount[], identity: ReportIdentity): TlsReport {
  const byPolicy = new Map<string, TlsResultCount[]>();
  for (const row of rows) {
    const key = JSON.stringify([row.policyType, row.policyString]);
    byPolicy.set(key, [...(byPolicy.get(key) ?? []), row]);
  }
  const policies = [...byPolicy.values()].map((group): TlsReportPolicy => {
    const { policyType, policyString } = group[0]!;
    const parsed = policyType === 'sts' ? parseStsPolicy(policyString.join('\r\n')) : null;
    const failures = group.filter((row) => row.resultType !== 'success');
    const failureCounts = new Map<string, TlsReportPolicy['failure-details'][number]>();
    for (const row of failures) {
      const key = JSON.stringify([row.resultType, row.sendingIp, row.mxHost, row.receivingIp]);
      const known = failureCounts.get(key);
      if (known) known['failed-session-count'] += row.count;
      // RFC 8460 §4.4: the host fields are there when known (a policy fetch error reached no MX).
      else
        failureCounts.set(key, {
          'result-type': row.resultType,
          ...(row.sendingIp === '' ? {} : { 'sending-mta-ip': row.sendingIp }),
          ...(row.mxHost === '' ? {} : { 'receiving-mx-hostname': row.mxHost }),
          ...(row.receivingIp === '' ? {} : { 'receiving-ip': row.receivingIp }),
          'failed-session-count': row.count,
        });
    }
    return {
      policy: {
        'policy-type': policyType,
        'policy-string': policyString,
        'policy-domain': domain,
        // RFC 8460 §4.4 mx-host: the MX patterns of an STS policy.
        ...(parsed !== null && typeof parsed !== 'string' ? { 'mx-host': parsed.mx } : {}),
      },
      summary: {
        'total-successful-session-count': group.filter((row) => row.resultType === 'success').reduce((sum, row) => sum + row.count, 0),
        'total-failure-session-count': failures.reduce((sum, row) => sum + row.count, 0),
      },
      'failure-details': [...failureCounts.values()],
    };
  });
  return { 'organization-name': identity.organizationName, 'date-range': dateRange(day), 'contact-info': identity.contactInfo, 'report-id': identity.reportId, policies };
}
