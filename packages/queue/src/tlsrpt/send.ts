// Sending the day's TLS-RPT reports (RFC 8460 §5): one per policy domain that asks for them, queued like any mail.
import { randomBytes } from 'node:crypto';
import type { PosternConfig } from '@postern/config';
import { DnsError, type Resolver } from '@postern/dns';
import type { TlsResultCount } from '@postern/store';
import { enqueueMessage } from '../enqueue.js';
import { reportPerDomain, type DomainReportOutcome } from '../reporting/per-domain.js';
import type { ReportRun } from '../reporting/report-run.js';
import type { ReportDeps, ReportJob } from '../reporting/scheduler.js';
import { composeTlsReportMail } from './message.js';
import { utcDay } from './recorder.js';
import { buildTlsReport } from './report.js';
import { parseTlsRptRecord } from './rua.js';

/** The report's From: and contact-info (tlsrpt.from / tlsrpt.contact_info, else postmaster@hostname). */
function reportSender(config: PosternConfig): { from: string; contact: string } {
  const fallback = `postmaster@${config.hostname}`;
  return { from: config.tlsrpt.from ?? fallback, contact: config.tlsrpt.contact_info ?? config.tlsrpt.from ?? fallback };
}

/** The domain's _smtp._tls destinations (RFC 8460 §3), or why there are none. */
async function destinationsOf(resolver: Resolver, domain: string): Promise<{ mailto: string[] } | { reason: string; temporary: boolean }> {
  let txts: string[];
  try {
    txts = await resolver.txt(`_smtp._tls.${domain}`);
  } catch (error) {
    if (!(error instanceof DnsError)) throw error;
    if (error.kind === 'NXDOMAIN') return { reason: 'no _smtp._tls record', temporary: false };
    return { reason: `_smtp._tls lookup failed: ${error.message}`, temporary: true };
  }
  const record = parseTlsRptRecord(txts);
  if (record === null) return { reason: 'no valid TLSRPTv1 record', temporary: false };
  // RFC 8460 §5.4 (https: POST) is optional for senders: only mailto: is used.
  if (record.mailto.length === 0) return { reason: `only https: destinations (${record.https.join(', ')}), which Postern does not post to`, temporary: false };
  return { mailto: record.mailto };
}

/** Builds and queues one policy domain's report; a temporary TXT lookup failure keeps its counts for the next run. */
async function sendDomainReport(deps: ReportDeps, day: string, domain: string, rows: TlsResultCount[]): Promise<DomainReportOutcome> {
  const { config, store, logger } = deps;
  const destinations = await destinationsOf(deps.resolver, domain);
  if ('reason' in destinations) return { run: { day, domain, queueId: null, recipients: [], reason: destinations.reason }, keep: destinations.temporary };
  const { from, contact } = reportSender(config);
  const reportId = `${day}.${randomBytes(8).toString('hex')}@${config.hostname}`;
  const report = buildTlsReport(day, domain, rows, { organizationName: config.tlsrpt.organization_name ?? config.hostname, contactInfo: contact, reportId });
  const message = composeTlsReportMail({ submitter: config.hostname, domain, from, to: destinations.mailto, report });
  const entry = await enqueueMessage(store, { from, recipients: destinations.mailto.map((address) => ({ address })), message, tlsReport: true });
  logger.info({ event: 'tlsrpt_sent', queue_id: entry.id, domain, day, to: destinations.mailto, report_id: reportId }, `${entry.id}: TLS report for ${domain} (${day}) to ${destinations.mailto.join(', ')}`);
  return { run: { day, domain, queueId: entry.id, recipients: destinations.mailto }, keep: false };
}

/**
 * Builds and queues the report of each policy domain for `day`, forgetting
 * each domain's counts once its report is queued. A domain whose TXT lookup
 * fails temporarily keeps its counts for the next run; one that publishes no
 * record has them dropped.
 */
export async function sendTlsReportsForDay(deps: ReportDeps, day: string): Promise<ReportRun[]> {
  const rows = await deps.store.listTlsResults(day);
  return reportPerDomain(rows, (domain, domainRows) => sendDomainReport(deps, day, domain, domainRows), (domain) => deps.store.deleteTlsResults(day, domain));
}

/** The daily job: every finished UTC day with counts (today's are still growing). */
export async function sendDueTlsReports(deps: ReportDeps, now = new Date()): Promise<ReportRun[]> {
  const today = utcDay(now);
  const runs: ReportRun[] = [];
  for (const day of await deps.store.listTlsResultDays()) if (day < today) runs.push(...(await sendTlsReportsForDay(deps, day)));
  return runs;
}

/** The TLS-RPT daily job (RFC 8460 §5), idle unless tlsrpt.enabled. */
export const TLS_REPORT_JOB: ReportJob = {
  failureEvent: 'tlsrpt_failed',
  what: 'TLS reports',
  enabled: (config) => config.tlsrpt.enabled,
  sendDue: (deps) => sendDueTlsReports(deps),
};
