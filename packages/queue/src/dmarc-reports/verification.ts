// RFC 7489 §7.1: verifying that an external destination agreed to receive a domain's reports.
import { DnsError, type Resolver } from '@postern/dns';
import { sameOrganizationalDomain } from '@postern/mail-auth';

export type Verification = 'same-organization' | 'verified' | 'refused' | 'temporary-failure';

/**
 * Whether reports for `policyDomain` may go to an address at `destinationDomain`.
 * RFC 7489 §7.1: when the two Organizational Domains differ, only if
 * "<policy-domain>._report._dmarc.<destination-domain>" has a TXT record
 * beginning "v=DMARC1" (other records there are ignored).
 */
export async function verifyExternalDestination(resolver: Resolver, policyDomain: string, destinationDomain: string): Promise<Verification> {
  if (sameOrganizationalDomain(policyDomain, destinationDomain)) return 'same-organization';
  let txts: string[];
  try {
    txts = await resolver.txt(`${policyDomain}._report._dmarc.${destinationDomain}`);
  } catch (error) {
    if (!(error instanceof DnsError)) throw error;
    return error.kind === 'NXDOMAIN' ? 'refused' : 'temporary-failure';
  }
  return txts.some((txt) => /^v=DMARC1\s*(;|$)/i.test(txt.trim())) ? 'verified' : 'refused';
}
