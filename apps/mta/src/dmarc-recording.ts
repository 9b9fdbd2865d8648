// Counting each DMARC evaluation for the daily aggregate reports (RFC 7489 §7.2), when dmarc_reports.enabled.
import { plainClientIp } from '@postern/config';
import type { DmarcReportEntry } from '@postern/mail-auth';
import { utcDay } from '@postern/queue';
import type { SMTPServerSession } from 'smtp-server';
import type { MtaContext } from './context.js';
import type { Transaction } from './session.js';

/** Adds the message to the day's counts; a store failure is logged, never in the mail's way. */
export async function recordDmarcEvaluations(ctx: MtaContext, session: SMTPServerSession, transaction: Transaction, entries: DmarcReportEntry[], now = new Date()): Promise<void> {
  if (!ctx.config.dmarc_reports.enabled || entries.length === 0) return;
  const first = [...transaction.recipients.values()][0]?.address ?? '';
  const envelopeTo = first.slice(first.lastIndexOf('@') + 1).toLowerCase();
  for (const entry of entries) {
    try {
      await ctx.store.recordDmarcResult({ ...entry, day: utcDay(now), sourceIp: plainClientIp(session.remoteAddress), results: { ...entry.results, envelopeTo } });
    } catch (error) {
      ctx.logger.warn({ event: 'dmarc_record_failed', queue_id: transaction.queueId, domain: entry.policyDomain, err: error }, `${transaction.queueId}: could not count the DMARC result for ${entry.policyDomain}: ${(error as Error).message}`);
    }
  }
}
