import type { DkimKey } from '@postern/store';
import { dkimRecordLine } from './dkim-keys.js';

/** The records a domain needs for mail to flow and authenticate, as zone-file lines. */
export function recommendedRecords(domain: string, hostname: string, dkimKeys: DkimKey[]): string[] {
  const lines = [
    `${hostname}.  IN A     <this server's IPv4 address>   ; and AAAA for IPv6; a PTR record back to ${hostname}`,
    `${domain}.  IN MX    10 ${hostname}.`,
    // RFC 7208: only the domain's MX hosts may send for it.
    `${domain}.  IN TXT   "v=spf1 mx -all"`,
    // RFC 7489: start with quarantine; reports to postmaster.
    `_dmarc.${domain}.  IN TXT   "v=DMARC1; p=quarantine; rua=mailto:postmaster@${domain}"`,
  ];
  for (const key of dkimKeys.filter((k) => k.active || (k.retireAt && k.retireAt > new Date()))) lines.push(dkimRecordLine(key));
  return lines;
}
