// The DMARC record's tags as a report's policy_published gives them (RFC 7489 §6.3, Appendix C).
import type { DmarcDisposition, DmarcPublishedPolicy } from '@postern/store';

function disposition(value: string | undefined): DmarcDisposition | null {
  const policy = value?.trim().toLowerCase();
  return policy === 'none' || policy === 'quarantine' || policy === 'reject' ? policy : null;
}

function alignment(value: string | undefined): 'r' | 's' {
  // RFC 7489 §6.3 adkim/aspf: "r" unless "s".
  return value?.trim().toLowerCase() === 's' ? 's' : 'r';
}

/**
 * The tags of a "v=DMARC1; ..." record with the RFC's defaults filled in
 * (§6.3: sp defaults to p, pct to 100, adkim/aspf to r, fo to 0); an unknown
 * p= counts as none (§6.6.3). rua keeps each URI as published, "!size" too.
 */
export function parseDmarcRecord(record: string): DmarcPublishedPolicy {
  const tags = new Map<string, string>();
  for (const part of record.split(';')) {
    const at = part.indexOf('=');
    if (at > 0) tags.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  const p = disposition(tags.get('p')) ?? 'none';
  const pct = Number.parseInt(tags.get('pct') ?? '', 10);
  return {
    p,
    sp: disposition(tags.get('sp')) ?? p,
    pct: Number.isFinite(pct) ? Math.min(100, Math.max(0, pct)) : 100,
    adkim: alignment(tags.get('adkim')),
    aspf: alignment(tags.get('aspf')),
    fo: tags.get('fo') ?? '0',
    // §6.4: rua is a comma-separated list of DMARC URIs (a literal comma in one is %-encoded).
    rua: (tags.get('rua') ?? '')
      .split(',')
      .map((uri) => uri.trim())
      .filter((uri) => uri !== ''),
  };
}
