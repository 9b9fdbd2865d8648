// One line per report a `tlsrpt send` / `dmarc report send` run queued or did not.
import type { ReportRun } from '@postern/queue';

export function reportRunLine(run: ReportRun): string {
  if (run.queueId === null) return `${run.day} ${run.domain}: not sent (${run.reason ?? 'no destination'})`;
  return `${run.day} ${run.domain}: queued as ${run.queueId} to ${run.recipients.join(', ')}${run.reason === undefined ? '' : `; ${run.reason}`}`;
}
