// Sending the day's DMARC aggregate reports (RFC 7489 §7.2): one per policy domain whose record asks for them, queued like any mail.
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { PosternConfig } from '@postern/config';
import { myOrigin } from '@postern/directory';
import { signMessage } from '@postern/mail-auth';
import { domainOf, type DmarcResultCount, type Store } from '@postern/store';
import { enqueueMessage } from '../enqueue.js';
import { composeReportMail } from '../reporting/report-mail.js';
import { reportPerDomain, type DomainReportOutcome } from '../reporting/per-domain.js';
import type { ReportRun } from '../reporting/report-run.js';
import type { ReportDeps, ReportJob } from '../reporting/scheduler.js';
import { utcDay } from '../tlsrpt/recorder.js';
import { reportDestinations, type ReportDestination } from './destinations.js';
import { buildFeedback, feedbackDateRange } from './feedback.js';
import { verifyExternalDestination } from './verification.js';

/**
 * The reports' From: dmarc_reports.from, else postmaster@ the hostname's
 * nearest local domain: RFC 7489 §7.2.1.1 wants report mail to pass DMARC
 * itself, and that domain's DKIM key signs it where the hostname has none.
 */
async function reportSender(store: Store, config: PosternConfig): Promise<string> {
  return config.dmarc_reports.from ?? `postmaster@${await myOrigin(store, config)}`;
}

/** The destinations that agreed to receive the domain's reports (§7.1), or a reason and whether to try again later. */
async function acceptedDestinations(deps: ReportDeps, domain: string, destinations: ReportDestination[]): Promise<{ accepted: ReportDestination[]; refused: string[]; retry: boolean }> {
  const accepted: ReportDestination[] = [];
  const refused: string[] = [];
  let retry = false;
  for (const destination of destinations) {
    const destinationDomain = domainOf(destination.address);
    const verification = await verifyExternalDestination(deps.resolver, domain, destinationDomain);
    if (verification === 'same-organization' || verification === 'verified') accepted.push(destination);
    else if (verification === 'temporary-failure') retry = true;
    else refused.push(`${destination.address} (no v=DMARC1 record at ${domain}._report._dmarc.${destinationDomain})`);
  }
  return { accepted, refused, retry };
}

/** Builds and queues one domain's report; returns the run and whether its counts must be kept for a later run. */
async function sendDomainReport(deps: ReportDeps, day: string, domain: string, rows: DmarcResultCount[], from: string): Promise<DomainReportOutcome> {
  const { config, store, logger } = deps;
  const destinations = reportDestinations(rows[0]!.published.rua);
  if (destinations.length === 0) return { run: { day, domain, queueId: null, recipients: [], reason: 'no rua=mailto: in its DMARC record' }, keep: false };
  const { accepted, refused, retry } = await acceptedDestinations(deps, domain, destinations);
  const reportId = `${day}.${randomBytes(8).toString('hex')}@${config.hostname}`;
  const range = feedbackDateRange(day);
  const xml = buildFeedback(day, domain, rows, { orgName: config.dmarc_reports.org_name ?? config.hostname, email: from, reportId });
  const attachment = { contentType: 'application/gzip', filename: `${config.hostname}!${domain}!${range.begin}!${range.end}.xml.gz`, data: gzipSync(Buffer.from(xml, 'utf8')) };
  const compose = async (to: ReportDestination[]): Promise<Buffer> => {
    const composed = composeReportMail({
      from,
      to: to.map((destination) => destination.address),
      // RFC 7489 §7.2.1.1: the Subject names the policy domain, the submitter and the report id.
      subject: `Report Domain: ${domain} Submitter: ${config.hostname} Report-ID: <${reportId}>`,
      messageId: reportId,
      fields: [],
      multipart: 'multipart/mixed',
      text: `This is a DMARC aggregate report from ${config.hostname} for ${domain}, ${day} (UTC) (RFC 7489).`,
      // §7.2.1.1: gzip as application/gzip, named receiver!policy-domain!begin!end.xml.gz.
      attachment,
    });
    // §7.2.1.1: report mail must itself pass DMARC: signed with the From domain's key.
    return (await signMessage(composed, { store, config, sender: from })).message;
  };
  const message = await compose(accepted);
  // §6.2: a destination's "!size" limit and our own max_report_size; a report over one is not sent there.
  const fits = accepted.filter((destination) => message.length <= Math.min(config.dmarc_reports.max_report_size, destination.maxBytes ?? Infinity));
  const tooLarge = accepted.filter((destination) => !fits.includes(destination)).map((destination) => `${destination.address} (report of ${message.length} octets over its limit)`);
  const notSent = [...refused, ...tooLarge];
  if (fits.length === 0) return { run: { day, domain, queueId: null, recipients: [], reason: notSent.length > 0 ? `not sent to ${notSent.join(', ')}` : 'destination check failed temporarily' }, keep: retry };
  // To: lists only the destinations the report goes to.
  const final = fits.length === accepted.length ? message : await compose(fits);
  const entry = await enqueueMessage(store, { from, recipients: fits.map((destination) => ({ address: destination.address })), message: final });
  logger.info({ event: 'dmarc_report_sent', queue_id: entry.id, domain, day, to: fits.map((d) => d.address), report_id: reportId, size: message.length }, `${entry.id}: DMARC report for ${domain} (${day}) to ${fits.map((d) => d.address).join(', ')}`);
  return { run: { day, domain, queueId: entry.id, recipients: fits.map((d) => d.address), ...(notSent.length > 0 ? { reason: `not sent to ${notSent.join(', ')}` } : {}) }, keep: false };
}

/**
 * Builds and queues the report of each policy domain with counts for `day`,
 * then forgets that domain's counts. A domain whose destination check failed
 * temporarily keeps them for the next run.
 */
export async function sendDmarcReportsForDay(deps: ReportDeps, day: string): Promise<ReportRun[]> {
  const rows = await deps.store.listDmarcResults(day);
  const from = await reportSender(deps.store, deps.config);
  return reportPerDomain(
    rows,
    async (domain, domainRows) => {
      const outcome = await sendDomainReport(deps, day, domain, domainRows, from);
      const { run } = outcome;
      if (run.queueId === null) deps.logger.info({ event: 'dmarc_report_not_sent', domain, day, reason: run.reason }, `DMARC report for ${domain} (${day}) not sent: ${run.reason ?? ''}`);
      return outcome;
    },
    (domain) => deps.store.deleteDmarcResults(day, domain),
  );
}

/**
 * The daily job: every finished UTC day with counts, yesterday's from
 * dmarc_reports.send_hour on (RFC 7489 §7.2: reports cover whole days).
 */
export async function sendDueDmarcReports(deps: ReportDeps, now = new Date()): Promise<ReportRun[]> {
  const today = utcDay(now);
  const yesterday = utcDay(new Date(now.getTime() - 86_400_000));
  const runs: ReportRun[] = [];
  for (const day of await deps.store.listDmarcResultDays()) {
    if (day >= today || (day === yesterday && now.getUTCHours() < deps.config.dmarc_reports.send_hour)) continue;
    runs.push(...(await sendDmarcReportsForDay(deps, day)));
  }
  return runs;
}

/** The DMARC aggregate report daily job (RFC 7489 §7.2), idle unless dmarc_reports.enabled. */
export const DMARC_REPORT_JOB: ReportJob = {
  failureEvent: 'dmarc_reports_failed',
  what: 'DMARC aggregate reports',
  enabled: (config) => config.dmarc_reports.enabled,
  sendDue: (deps) => sendDueDmarcReports(deps),
};
