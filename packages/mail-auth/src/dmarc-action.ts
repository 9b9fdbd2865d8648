import type { InboundVerdict } from './types.js';

export type DmarcPolicy = 'reject' | 'quarantine' | 'none';

export interface DmarcEvaluation {
  /** The DMARC result: pass, fail, none, temperror, permerror. */
  result: string;
  /** The RFC 5322.From domain DMARC was evaluated for. */
  fromDomain: string | null;
  /** The p= (or, for a subdomain under an organisational record, sp=) value as published. */
  policy: string | undefined;
  pct: number | undefined;
  /** An SPF or DKIM temperror that, had it passed, would have made DMARC pass. */
  temperrorCouldPass: boolean;
  /** SPF or DKIM passed for exactly the From domain: aligned under any adkim/aspf, so DMARC cannot fail. */
  identicalPass: boolean;
}

export interface DmarcSwitches {
  dmarc_reject: boolean;
  dmarc_quarantine: boolean;
}

type Decision = Pick<InboundVerdict, 'dmarcPolicy' | 'action' | 'reply'>;

const ACCEPT: Decision = { dmarcPolicy: null, action: 'accept', reply: null };

/**
 * What to do with a message after DMARC (RFC 7489 §6.6.4 and §10.3, as
 * OpenDMARC's RejectFailures does it): reject or quarantine a failure as the
 * domain asks, but answer 4xx rather than act on a result that DNS trouble
 * may have caused.
 */
export function dmarcAction(dmarc: DmarcEvaluation, switches: DmarcSwitches, sample: () => number = Math.random): Decision {
  const domain = dmarc.fromDomain ?? 'the From domain';
  if (dmarc.result === 'temperror') {
    // The record could not be fetched: a failure cannot be ruled out unless nothing would come of it.
    if (!switches.dmarc_reject && !switches.dmarc_quarantine) return ACCEPT;
    if (dmarc.identicalPass) return ACCEPT;
    return tempfail(domain);
  }
  if (dmarc.result !== 'fail') return ACCEPT;

  const dmarcPolicy = appliedPolicy(dmarc, sample);
  const action = enforce(dmarcPolicy, switches);
  if (action !== 'accept' && dmarc.temperrorCouldPass) return { ...tempfail(domain), dmarcPolicy };
  if (action === 'reject') {
    return { dmarcPolicy, action, reply: { code: 550, enhanced: '5.7.1', text: `Email rejected per DMARC policy for ${domain}` } };
  }
  return { dmarcPolicy, action, reply: null };
}

/**
 * The policy for this failure: p=/sp= as published (RFC 7489 §6.3; anything
 * else counts as none, §6.6.3), applied to pct= percent of failures; the rest
 * get the next policy down (§6.6.4: reject → quarantine → none).
 */
export function appliedPolicy(dmarc: Pick<DmarcEvaluation, 'policy' | 'pct'>, sample: () => number = Math.random): DmarcPolicy {
  const published = (dmarc.policy ?? '').trim().toLowerCase();
  const policy: DmarcPolicy = published === 'reject' || published === 'quarantine' ? published : 'none';
  const pct = dmarc.pct === undefined || !Number.isFinite(dmarc.pct) ? 100 : Math.min(100, Math.max(0, dmarc.pct));
  if (policy === 'none' || sample() * 100 < pct) return policy;
  return policy === 'reject' ? 'quarantine' : 'none';
}

/** [inbound] dmarc_reject = false delivers p=reject failures as a quarantine would (marked, into Junk). */
function enforce(policy: DmarcPolicy, switches: DmarcSwitches): InboundVerdict['action'] {
  if (policy === 'reject' && switches.dmarc_reject) return 'reject';
  if (policy !== 'none' && switches.dmarc_quarantine) return 'quarantine';
  return 'accept';
}

function tempfail(domain: string): Decision {
  return {
    dmarcPolicy: null,
    action: 'tempfail',
    reply: { code: 451, enhanced: '4.7.5', text: `DMARC policy for ${domain} could not be checked (temporary DNS failure), try again later` },
  };
}
