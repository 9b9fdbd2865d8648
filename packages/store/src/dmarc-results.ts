// The identity of a DMARC count's results, the same on every backend.
import type { DmarcEvaluationResults } from './types.js';

/** The results as JSON with the fields in a fixed order: equal results give equal keys. */
export function dmarcResultsKey(results: DmarcEvaluationResults): string {
  const { envelopeFrom, envelopeTo, disposition, dkimAligned, spfAligned, reasons, dkim, spf } = results;
  return JSON.stringify({
    envelopeFrom: envelopeFrom.toLowerCase(),
    envelopeTo: envelopeTo.toLowerCase(),
    disposition,
    dkimAligned,
    spfAligned,
    reasons: [...reasons].sort(),
    dkim: dkim.map(({ domain, selector, result }) => ({ domain: domain.toLowerCase(), selector, result })),
    spf: { domain: spf.domain.toLowerCase(), scope: spf.scope, result: spf.result },
  });
}
