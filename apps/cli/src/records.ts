import { reverseName } from '@postern/dns';
import type { DkimKey } from '@postern/store';
import { dkimRecordLine } from './dkim-keys.js';

// The one place that writes the DNS records a domain needs, as zone-file lines:
// `init` and `domain add` print them, `dns check` names them as the fix.

export function addressRecordLine(hostname: string, ip?: string): string {
  if (ip === undefined) return `${hostname}.  IN A     <this server's IPv4 address>   ; and AAAA for IPv6; a PTR record back to ${hostname}`;
  return `${hostname}.  IN ${ip.includes(':') ? 'AAAA ' : 'A    '} ${ip}`;
}

/** Set by whoever owns the address block (the hosting provider's panel), not in the domain's zone. */
export function ptrRecordLine(ip: string, hostname: string): string {
  return `${reverseName(ip)}.  IN PTR   ${hostname}.`;
}

export function mxRecordLine(domain: string, hostname: string): string {
  return `${domain}.  IN MX    10 ${hostname}.`;
}

// RFC 7208: only the domain's MX hosts may send for it.
export const SPF_RECORD = 'v=spf1 mx -all';

export function spfRecordLine(domain: string, value = SPF_RECORD): string {
  return `${domain}.  IN TXT   "${value}"`;
}

// RFC 7489 §6.3: start with quarantine; aggregate reports to postmaster.
export function dmarcRecordLine(domain: string): string {
  return `_dmarc.${domain}.  IN TXT   "v=DMARC1; p=quarantine; rua=mailto:postmaster@${domain}"`;
}

/** RFC 8461 §3.1: id changes whenever the policy does; a UTC timestamp is 1-32 alphanumerics. */
export function mtaStsRecordLine(domain: string, now = new Date()): string {
  const id = now.toISOString().replace(/[^0-9]/g, '').slice(0, 14);
  return `_mta-sts.${domain}.  IN TXT   "v=STSv1; id=${id}"   ; with the policy at https://mta-sts.${domain}/.well-known/mta-sts.txt`;
}

/**
 * The web names the HTTP side answers for: Thunderbird's autoconfig.DOMAIN and
 * RFC 8461 §3.3's mta-sts.DOMAIN (the policy host); both point at the server.
 */
export const WEB_HOST_PREFIXES = ['autoconfig', 'mta-sts'] as const;
export type WebHostPrefix = (typeof WEB_HOST_PREFIXES)[number];

export function webHostRecordLine(prefix: WebHostPrefix, domain: string, hostname: string): string {
  return `${prefix}.${domain}.  IN CNAME ${hostname}.`;
}

/** RFC 8460 §3: where sending servers report TLS failures. */
export function tlsRptRecordLine(domain: string): string {
  return `_smtp._tls.${domain}.  IN TXT   "v=TLSRPTv1; rua=mailto:postmaster@${domain}"`;
}

/** RFC 6186 §3 with the implicit-TLS services of RFC 8314 §5.1: submissions, imaps, pop3s. */
export const MAIL_SRV_SERVICES = ['submissions', 'imaps', 'pop3s'] as const;
export type MailSrvService = (typeof MAIL_SRV_SERVICES)[number];

/** port null: the service is not offered, published as target "." (RFC 6186 §4). */
export function srvRecordLine(domain: string, service: MailSrvService, hostname: string, port: number | null): string {
  return port === null ? `_${service}._tcp.${domain}.  IN SRV   0 0 0 .` : `_${service}._tcp.${domain}.  IN SRV   0 1 ${port} ${hostname}.`;
}

/** DKIM keys that must be in DNS: the signing ones, the pending ones (before they sign) and the rotated ones until they retire. */
export function publishedDkimKeys(dkimKeys: DkimKey[], now = new Date()): DkimKey[] {
  return dkimKeys.filter((k) => k.active || k.activateAt !== null || (k.retireAt && k.retireAt > now));
}

/** The records a domain needs for mail to flow and authenticate, as zone-file lines. */
export function recommendedRecords(domain: string, hostname: string, dkimKeys: DkimKey[]): string[] {
  return [addressRecordLine(hostname), mxRecordLine(domain, hostname), spfRecordLine(domain), dmarcRecordLine(domain), ...publishedDkimKeys(dkimKeys).map(dkimRecordLine)];
}

/** What `init` and `domain add` print: the heading and the records, indented. */
export function recordsToPublish(domain: string, hostname: string, dkimKeys: DkimKey[]): string[] {
  return ['Publish these DNS records:', ...recommendedRecords(domain, hostname, dkimKeys).map((line) => `  ${line}`), `(then check them with: postern dns check ${domain})`];
}
