import type { PosternConfig } from '@postern/config';
import { createResolver, type Resolver } from '@postern/dns';
import { authenticateInbound } from '@postern/mail-auth';
import type { Store } from '@postern/store';
import { dkimRecordLine } from '../dkim-keys.js';
import { addressRecordLine, dmarcRecordLine, publishedDkimKeys, spfRecordLine } from '../records.js';
import { finding, type DoctorFinding } from './finding.js';
import { sendSelfMessage } from './self-message.js';

/** The address a receiver sees us connect from: the hostname's A, else its AAAA (RFC 5321 §5: the MX host sends too). */
async function publicAddress(resolver: Resolver, hostname: string): Promise<string | null> {
  for (const lookup of [() => resolver.a(hostname), () => resolver.aaaa(hostname)]) {
    const [first] = await lookup().catch(() => []);
    if (first !== undefined) return first;
  }
  return null;
}

/** The domain whose mail is checked: the first local domain with a DKIM key to sign with. */
async function domainToCheck(store: Store, domains: string[]): Promise<string> {
  for (const domain of domains) {
    if ((await store.listDkimKeys(domain)).some((key) => key.active)) return domain;
  }
  return domains[0]!;
}

/**
 * A self-addressed message through submission → queue → LMTP, judged as a
 * receiving server judges it ("show original" in a webmail): SPF (RFC 7208)
 * for MAIL FROM from our public address with HELO = hostname, the DKIM
 * signature our MTA added (RFC 6376), DMARC alignment (RFC 7489 §3.1).
 */
export async function checkAuthenticationResults(store: Store, config: PosternConfig, domains: string[]): Promise<DoctorFinding[]> {
  const domain = await domainToCheck(store, domains);
  const sent = await sendSelfMessage(store, config, domain);
  if ('notRun' in sent) return [finding('auth', domain, 'warn', `self-addressed message not sent: ${sent.notRun}`, 'configure listen.submission or listen.submissions')];
  if ('failed' in sent) return [finding('auth', domain, 'fail', `self-addressed message: ${sent.failed}`, sent.fix)];

  // [dns] servers, uncached: a record just published is seen at once.
  const resolver = createResolver({ servers: config.dns.servers, timeoutMs: config.dns.timeout_ms, dnssecTrusted: config.dns.dnssec_trusted, cache: false });
  const ip = await publicAddress(resolver, config.hostname);
  if (ip === null) return [finding('auth', `SPF ${domain}`, 'fail', `${config.hostname} has no A or AAAA record: receivers cannot tell which address is ours`, addressRecordLine(config.hostname))];
  const verdict = await authenticateInbound(sent.raw, { ip, helo: config.hostname, sender: sent.address, hostname: config.hostname, queueId: 'doctor' }, { resolver, config });
  // RFC 5322 §2.2.3: unfold, then the Authentication-Results field (RFC 8601 §2.2) as "show original" shows it.
  const results = verdict.headers.replace(/\r\n[ \t]+/g, ' ').split('\r\n').find((line) => line.startsWith('Authentication-Results:')) ?? '';
  const row = (method: string): string => new RegExp(`\\b${method}=[^;]*`).exec(results)?.[0].trim() ?? `${method}=${method === 'spf' ? verdict.spf : method === 'dkim' ? verdict.dkim : verdict.dmarc}`;
  const keys = publishedDkimKeys(await store.listDkimKeys(domain));
  const signed = /^DKIM-Signature:/im.test(sent.raw.toString('latin1').split(/\r?\n\r?\n/, 1)[0] ?? '');

  return [
    verdict.spf === 'pass'
      ? finding('auth', `SPF ${domain}`, 'ok', row('spf'))
      : finding('auth', `SPF ${domain}`, 'fail', `${row('spf')} (as a receiver sees mail from ${ip}, HELO ${config.hostname})`, `publish ${spfRecordLine(domain)} (with ${config.hostname} as MX, or ip${ip.includes(':') ? 6 : 4}:${ip} in it)`),
    !signed
      ? finding('auth', `DKIM ${domain}`, 'fail', 'the MTA did not sign the message', `postern dkim generate ${domain}, then publish its record`)
      : verdict.dkim === 'pass'
        ? finding('auth', `DKIM ${domain}`, 'ok', row('dkim'))
        : finding('auth', `DKIM ${domain}`, 'fail', row('dkim'), keys.length > 0 ? `publish ${keys.map(dkimRecordLine).join(' and ')}` : `postern dkim generate ${domain}`),
    verdict.dmarc === 'pass'
      ? finding('auth', `DMARC ${domain}`, 'ok', row('dmarc'))
      : finding('auth', `DMARC ${domain}`, 'fail', row('dmarc'), verdict.dmarc === 'none' ? `publish ${dmarcRecordLine(domain)}` : 'make SPF or DKIM above pass for this domain (DMARC needs one of them aligned with From)'),
  ];
}
