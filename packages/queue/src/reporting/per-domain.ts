// The loop both daily report jobs share (TLS-RPT RFC 8460 §5, DMARC RFC 7489 §7.2): one report per policy domain of a day.
import type { ReportRun } from './report-run.js';

/** What sending one domain's report did, and whether its counts must wait for a later run (a temporary failure). */
export interface DomainReportOutcome {
  run: ReportRun;
  keep: boolean;
}

/**
 * Groups the day's counts by policy domain and sends each domain's report in
 * turn, forgetting that domain's counts as soon as its report is queued (or
 * will never be sent). A domain that fails, even by throwing, leaves only its
 * own counts for the next run: the domains already reported are not sent twice.
 */
export async function reportPerDomain<Row extends { policyDomain: string }>(
  rows: Row[],
  send: (domain: string, rows: Row[]) => Promise<DomainReportOutcome>,
  forget: (domain: string) => Promise<unknown>,
): Promise<ReportRun[]> {
  const byDomain = new Map<string, Row[]>();
  for (const row of rows) byDomain.set(row.policyDomain, [...(byDomain.get(row.policyDomain) ?? []), row]);
  const runs: ReportRun[] = [];
  for (const [domain, domainRows] of byDomain) {
    const { run, keep } = await send(domain, domainRows);
    if (!keep) await forget(domain);
    runs.push(run);
  }
  return runs;
}
