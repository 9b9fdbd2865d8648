// RFC 7489 §3.2 Organizational Domains, through the public suffix list mailauth's DMARC alignment uses.
import { getAlignment } from 'mailauth/lib/tools.js';

/** Whether two domains have the same Organizational Domain (relaxed alignment, RFC 7489 §3.1). */
export function sameOrganizationalDomain(a: string, b: string): boolean {
  return getAlignment(a, [b], { strict: false }) !== false;
}
