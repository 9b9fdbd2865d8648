import { parseDomain } from '@postern/address';
import { dmarc } from 'mailauth';
import type { ARCResult, DKIMResult, DMARCResult, DNSResolver, SPFResult } from 'mailauth';
import { dmarcAction, type DmarcEvaluation, type DmarcSwitches } from './dmarc-action.js';
import type { InboundVerdict } from './types.js';

/** Where the DMARC record that applied was found, and what the message came to under it (for aggregate reports). */
export interface DmarcRecordFacts {
  /** The domain whose _dmarc TXT record applied: the From domain or its organizational domain (RFC 7489 §6.6.3). */
  policyDomain: string;
  record: string;
  /** An SPF or DKIM pass aligned with the From domain (RFC 7489 §3.1). */
  dkimAligned: boolean;
  spfAligned: boolean;
}

export type DmarcRow = DmarcEvaluation & { info: string; facts: DmarcRecordFacts | null };
export type DmarcDecision = { row: DmarcRow; decision: ReturnType<typeof dmarcAction> };

/**
 * DMARC (RFC 7489) for the message: each From domain's result with its
 * Authentication-Results entry, and the one decision that stands.
 */
export async function checkDmarc(
  headerFrom: string[],
  spfResult: SPFResult,
  signatures: DKIMResult[],
  arcResult: ARCResult,
  resolver: DNSResolver,
  switches: DmarcSwitches,
): Promise<{ rows: DmarcRow[]; deciding: DmarcDecision | undefined }> {
  const rows = await evaluateDmarc(headerFrom, spfResult, signatures, arcResult, resolver);
  return { rows, deciding: mostSevere(rows.map((row) => ({ row, decision: dmarcAction(row, switches) }))) };
}

const ACTION_SEVERITY: Record<InboundVerdict['action'], number> = { reject: 3, tempfail: 2, quarantine: 1, accept: 0 };
const RESULT_RANK: Record<string, number> = { fail: 2, temperror: 1 };

/** With several From domains the harshest outcome stands; among equals, a failure is the one to report. */
function mostSevere(decisions: DmarcDecision[]): DmarcDecision | undefined {
  const weight = ({ row, decision }: DmarcDecision) => ACTION_SEVERITY[decision.action] * 10 + (RESULT_RANK[row.result] ?? 0);
  return decisions.reduce<DmarcDecision | undefined>((best, next) => (best === undefined || weight(next) > weight(best) ? next : best), undefined);
}

/**
 * DMARC for each distinct domain in From (RFC 7489 §6.6.1: a message with
 * several authors is checked for each, so a second From cannot dodge a policy).
 */
async function evaluateDmarc(
  headerFrom: string[],
  spfResult: SPFResult,
  signatures: DKIMResult[],
  arcResult: ARCResult,
  resolver: DNSResolver,
): Promise<DmarcRow[]> {
  const byDomain = new Map<string, string>();
  for (const address of headerFrom) {
    const domain = asciiDomain(address.slice(address.lastIndexOf('@') + 1));
    if (domain !== null && !byDomain.has(domain)) byDomain.set(domain, address);
  }

  const dkimDomains = (result: string) =>
    signatures
      .filter((s) => s.status.result === result && Boolean(s.signingDomain))
      .map((s) => ({ id: s.id, domain: s.signingDomain, aligned: s.status.aligned, underSized: s.status.underSized }));
  const spfDomains = spfResult.status.result === 'pass' ? [spfResult.domain] : [];

  const rows: DmarcRow[] = [];
  for (const [domain, address] of byDomain) {
    const watched = watchDmarcRecord(resolver);
    const result = await dmarc({ headerFrom: address, spfDomains, dkimDomains: dkimDomains('pass'), arcResult, resolver: watched.resolver });
    if (result === false) continue;
    const policyDomain = watched.found();
    const identicalPass = spfDomains.some((d) => asciiDomain(d) === domain) || dkimDomains('pass').some((d) => asciiDomain(d.domain) === domain);
    rows.push({
      result: result.status.result,
      fromDomain: domain,
      policy: result.policy,
      pct: result.pct,
      temperrorCouldPass: result.status.result === 'fail' && (await temperrorCouldPass(address, spfResult, spfDomains, dkimDomains, arcResult, resolver)),
      identicalPass,
      info: result.info,
      facts:
        policyDomain === null || result.rr === undefined
          ? null
          : { policyDomain, record: result.rr, dkimAligned: Boolean(result.alignment?.dkim?.result), spfAligned: Boolean(result.alignment?.spf?.result) },
    });
  }
  return rows;
}

/**
 * The resolver with a note of the last _dmarc name that answered with a
 * DMARC1 record: mailauth looks at the From domain, then at its
 * organizational domain (RFC 7489 §6.6.3), and does not say which answered.
 */
function watchDmarcRecord(resolver: DNSResolver): { resolver: DNSResolver; found: () => string | null } {
  let found: string | null = null;
  const watching: DNSResolver = async (name, rrtype) => {
    const answer = await resolver(name, rrtype);
    const texts = (answer as (string | string[])[]).map((row) => (Array.isArray(row) ? row.join('') : row).trim());
    if (rrtype === 'TXT' && name.toLowerCase().startsWith('_dmarc.') && texts.some((text) => /^v=DMARC1\b/i.test(text))) found = name.slice('_dmarc.'.length).toLowerCase();
    return answer;
  };
  return { resolver: watching, found: () => found };
}

/**
 * Whether SPF or DKIM answers lost to DNS trouble decide DMARC: DMARC run
 * again as if every temperror had passed (mailauth's own alignment rules).
 */
async function temperrorCouldPass(
  address: string,
  spfResult: SPFResult,
  spfDomains: string[],
  dkimDomains: (result: string) => { id?: string; domain: string }[],
  arcResult: ARCResult,
  resolver: DNSResolver,
): Promise<boolean> {
  const spfTemperror = spfResult.status.result === 'temperror' ? [spfResult.domain] : [];
  const dkimTemperror = dkimDomains('temperror');
  if (spfTemperror.length === 0 && dkimTemperror.length === 0) return false;
  const hypothetical: DMARCResult | false = await dmarc({
    headerFrom: address,
    spfDomains: [...spfDomains, ...spfTemperror],
    dkimDomains: [...dkimDomains('pass'), ...dkimTemperror],
    arcResult,
    resolver,
  });
  return hypothetical !== false && hypothetical.status.result === 'pass';
}

function asciiDomain(domain: string): string | null {
  try {
    return parseDomain(domain);
  } catch {
    return null;
  }
}
