// What an aggregate report counts of one message (RFC 7489 §7.2, Appendix C RecordType), from its DMARC evaluation.
import type { DKIMResult, SPFResult } from 'mailauth';
import type { DmarcDisposition, DmarcEvaluationResults, DmarcResult } from '@postern/store';
import { appliedPolicy } from './dmarc-action.js';
import type { DmarcRow } from './dmarc-check.js';
import { parseDmarcRecord } from './dmarc-record.js';
import type { InboundFacts, InboundVerdict } from './types.js';

/** One From domain's evaluation, without what the MTA adds (the day, the client address, the recipient domain). */
export type DmarcReportEntry = Pick<DmarcResult, 'policyDomain' | 'headerFrom' | 'published'> & { results: Omit<DmarcEvaluationResults, 'envelopeTo'> };

// RFC 7489 Appendix C DKIMResultType and SPFResultType: RFC 8601 words outside them are reported as the nearest.
const DKIM_RESULTS = new Set(['none', 'pass', 'fail', 'policy', 'neutral', 'temperror', 'permerror']);
const SPF_RESULTS = new Set(['none', 'neutral', 'pass', 'fail', 'softfail', 'temperror', 'permerror']);

/** Appendix C DispositionType: what was done with the message (a tempfail is not counted: the sender tries again). */
function dispositionOf(action: InboundVerdict['action']): DmarcDisposition {
  return action === 'reject' ? 'reject' : action === 'quarantine' ? 'quarantine' : 'none';
}

/**
 * Appendix C PolicyOverrideType for a failure handled more leniently than
 * published: sampled_out when pct= spared it (§6.6.4), local_policy when
 * [inbound] dmarc_reject / dmarc_quarantine did.
 */
function overrideReasons(row: DmarcRow, disposition: DmarcDisposition, applied: InboundVerdict['dmarcPolicy']): string[] {
  if (row.result !== 'fail') return [];
  const requested = appliedPolicy({ policy: row.policy, pct: 100 });
  const reasons: string[] = [];
  if (applied !== null && applied !== requested) reasons.push('sampled_out');
  if (disposition !== (applied ?? requested)) reasons.push('local_policy');
  return reasons;
}

/** The entries of the From domains that publish a DMARC record; none when the message was tempfailed. */
export function dmarcReportEntries(rows: DmarcRow[], deciding: DmarcRow | undefined, verdict: Pick<InboundVerdict, 'action' | 'dmarcPolicy'>, spf: SPFResult, signatures: DKIMResult[], facts: InboundFacts): DmarcReportEntry[] {
  if (verdict.action === 'tempfail') return [];
  const disposition = dispositionOf(verdict.action);
  const dkim = signatures
    .filter((signature) => Boolean(signature.signingDomain))
    .map((signature) => ({ domain: signature.signingDomain.toLowerCase(), selector: signature.selector ?? '', result: DKIM_RESULTS.has(signature.status.result) ? signature.status.result : 'permerror' }));
  const envelopeFrom = facts.sender === '' ? '' : facts.sender.slice(facts.sender.lastIndexOf('@') + 1).toLowerCase();
  // Appendix C SPFDomainScope: MAIL FROM's domain, or the HELO name for the null sender (RFC 7208 §2.4).
  const spfResult = { domain: (spf.domain ?? '').toLowerCase(), scope: facts.sender === '' ? ('helo' as const) : ('mfrom' as const), result: SPF_RESULTS.has(spf.status.result) ? spf.status.result : 'permerror' };
  const entries: DmarcReportEntry[] = [];
  for (const row of rows) {
    if (row.facts === null || row.fromDomain === null || (row.result !== 'pass' && row.result !== 'fail')) continue;
    entries.push({
      policyDomain: row.facts.policyDomain,
      headerFrom: row.fromDomain,
      published: parseDmarcRecord(row.facts.record),
      results: {
        envelopeFrom,
        disposition,
        dkimAligned: row.facts.dkimAligned ? 'pass' : 'fail',
        spfAligned: row.facts.spfAligned ? 'pass' : 'fail',
        reasons: row === deciding ? overrideReasons(row, disposition, verdict.dmarcPolicy) : [],
        dkim,
        spf: spfResult,
      },
    });
  }
  return entries;
}
