import { spf } from 'mailauth/lib/spf/index.js';
import type { Resolver } from '@postern/dns';
import { isPendingDkimKey } from '@postern/mail-auth';
import type { DkimKey } from '@postern/store';
import { dkimRecordLine } from '../dkim-keys.js';
import {
  addressRecordLine,
  dmarcRecordLine,
  MAIL_SRV_SERVICES,
  mtaStsRecordLine,
  mxRecordLine,
  ptrRecordLine,
  publishedDkimKeys,
  SPF_RECORD,
  spfRecordLine,
  srvRecordLine,
  tlsRptRecordLine,
  type MailSrvService,
  WEB_HOST_PREFIXES,
  webHostRecordLine,
  type WebHostPrefix,
} from '../records.js';
import { published, type Finding } from './finding.js';
import { countSpfLookups, parseSpf, SPF_LOOKUP_LIMIT, spfRecords } from './spf.js';
import { parseTagList, versioned } from './tags.js';

export interface DnsCheckInput {
  domain: string;
  /** The server's name (config `hostname`): the MX target, the HELO name, the PTR name. */
  hostname: string;
  dkimKeys: DkimKey[];
  /** The port each RFC 6186 service listens on; null when it is not configured. */
  srvPorts: Record<MailSrvService, number | null>;
  resolver: Resolver;
  now?: Date;
}

const sameName = (a: string, b: string): boolean => a.toLowerCase().replace(/\.$/, '') === b.toLowerCase().replace(/\.$/, '');

/** Every finding for one domain, in the order a postmaster publishes the records. */
export async function checkDomainDns(input: DnsCheckInput): Promise<Finding[]> {
  const { addresses, findings: addressFindings } = await checkAddresses(input);
  const findings = [...addressFindings, await checkMx(input)];
  findings.push(await checkSpf(input, addresses));
  findings.push(...(await checkDkim(input)));
  findings.push(await checkDmarc(input));
  findings.push(await checkMtaSts(input), await checkTlsRpt(input));
  findings.push(...(await Promise.all(WEB_HOST_PREFIXES.map((prefix) => checkWebHost(input, prefix, addresses)))));
  findings.push(...(await Promise.all(MAIL_SRV_SERVICES.map((service) => checkSrv(input, service)))));
  return findings;
}

/** A/AAAA of the hostname, then the PTR of each address. */
async function checkAddresses({ hostname, resolver }: DnsCheckInput): Promise<{ addresses: string[]; findings: Finding[] }> {
  const [a, aaaa] = await Promise.all([published(() => resolver.a(hostname)), published(() => resolver.aaaa(hostname))]);
  const addresses = [...('records' in a ? a.records : []), ...('records' in aaaa ? aaaa.records : [])];
  const error = 'error' in a ? a.error : 'error' in aaaa && addresses.length === 0 ? aaaa.error : null;
  const address: Finding = {
    check: 'A',
    name: hostname,
    required: true,
    status: addresses.length > 0 ? 'ok' : error ? 'error' : 'missing',
    published: addresses,
    problem: addresses.length > 0 ? null : error ?? `${hostname} has no A or AAAA record: no one can connect to it`,
    fix: addresses.length > 0 ? [] : [addressRecordLine(hostname)],
  };
  const ptrs = await Promise.all(addresses.map((ip) => checkPtr(resolver, hostname, ip)));
  return { addresses, findings: [address, ...ptrs] };
}

async function checkPtr(resolver: Resolver, hostname: string, ip: string): Promise<Finding> {
  const base = { check: 'PTR', name: ip, required: false, fix: [ptrRecordLine(ip, hostname)] };
  const names = await published(() => resolver.ptr(ip));
  if ('error' in names) return { ...base, status: 'error', published: [], problem: names.error };
  if (names.records.length === 0) {
    return { ...base, status: 'missing', published: [], problem: `${ip} has no PTR record; many receivers refuse mail from such addresses (ask the provider of the address to set it)` };
  }
  // The hostname's own addresses are the ones checked, so a PTR naming it is forward-confirmed.
  if (names.records.some((name) => sameName(name, hostname))) return { ...base, status: 'ok', published: names.records, problem: null, fix: [] };
  // FCrDNS (RFC 8601 §3's iprev): does the name the PTR gives resolve back to the address?
  const confirmed = await Promise.all(
    names.records.map(async (name) => {
      const forward = await published(() => (ip.includes(':') ? resolver.aaaa(name) : resolver.a(name)));
      return 'records' in forward && forward.records.includes(ip);
    }),
  );
  const how = confirmed.some(Boolean) ? 'forward-confirmed' : `which does not resolve back to ${ip}`;
  return { ...base, status: 'wrong', published: names.records, problem: `${ip} points to ${names.records.join(', ')} (${how}), not to ${hostname}, the name the server says HELO with` };
}

async function checkMx({ domain, hostname, resolver }: DnsCheckInput): Promise<Finding> {
  const base = { check: 'MX', name: domain, required: true, fix: [mxRecordLine(domain, hostname)] };
  const mx = await published(() => resolver.mx(domain));
  if ('error' in mx) return { ...base, status: 'error', published: [], problem: mx.error };
  const shown = mx.records.map((r) => `${r.priority} ${r.exchange || '.'}`);
  if (mx.records.length === 0) return { ...base, status: 'missing', published: [], problem: `${domain} has no MX record: mail for it goes to its A record, if any` };
  if (mx.records.some((r) => sameName(r.exchange, hostname))) return { ...base, status: 'ok', published: shown, problem: null, fix: [] };
  return { ...base, status: 'wrong', published: shown, problem: `no MX of ${domain} points at ${hostname}` };
}

async function checkSpf({ domain, hostname, resolver }: DnsCheckInput, addresses: string[]): Promise<Finding> {
  const base = { check: 'SPF', name: domain, required: true, fix: [spfRecordLine(domain)] };
  const txt = await published(() => resolver.txt(domain));
  if ('error' in txt) return { ...base, status: 'error', published: [], problem: txt.error };
  const records = spfRecords(txt.records);
  if (records.length === 0) return { ...base, status: 'missing', published: [], problem: `${domain} has no SPF record (TXT "v=spf1 …")` };
  // RFC 7208 §4.5: more than one SPF record is a permerror.
  if (records.length > 1) return { ...base, status: 'wrong', published: records, problem: `${domain} has ${records.length} SPF records; RFC 7208 §4.5 allows one (merge them)` };
  const record = records[0]!;
  const terms = parseSpf(record);
  const problems: string[] = [];
  // RFC 7208 §5.1: "+all" (or a bare "all") lets every host on the internet send as the domain.
  if (terms.some((t) => t.kind === 'mechanism' && t.name === 'all' && t.qualifier === '+')) problems.push('"+all" authorizes every address on the internet');
  const tooManyLookups = (await countSpfLookups(resolver, terms, new Set([domain.toLowerCase()]))) > SPF_LOOKUP_LIMIT;
  if (tooManyLookups) problems.push(`more than ${SPF_LOOKUP_LIMIT} DNS-querying mechanisms (include, a, mx, ptr, exists, redirect): receivers return permerror (RFC 7208 §4.6.4)`);
  else {
    const refused: string[] = [];
    for (const ip of addresses) {
      const result = await spf({ sender: `postmaster@${domain}`, ip, helo: hostname, mta: hostname, resolver: resolver.mailauthResolver() as Parameters<typeof spf>[0]['resolver'] });
      if (result.status.result !== 'pass') refused.push(`${ip} (${result.status.result})`);
    }
    if (refused.length > 0) problems.push(`does not authorize ${refused.join(', ')}`);
  }
  if (problems.length === 0) return { ...base, status: 'ok', published: records, problem: null, fix: [] };
  return { ...base, status: 'wrong', published: records, problem: problems.join('; '), fix: [spfRecordLine(domain, tooManyLookups ? SPF_RECORD : fixedSpf(record))] };
}

/** The published record with "mx" put first and "+all" turned into "-all". */
function fixedSpf(record: string): string {
  const rest = record
    .split(' ')
    .slice(1)
    .filter((t) => t !== '' && t.toLowerCase() !== 'mx' && t.toLowerCase() !== '+mx')
    .map((t) => (/^\+?all$/i.test(t) ? '-all' : t));
  return ['v=spf1', 'mx', ...rest].join(' ');
}

/** Each key that must be published: the TXT at selector._domainkey holds our public key (RFC 6376 §3.6.1). */
async function checkDkim({ domain, dkimKeys, resolver, now }: DnsCheckInput): Promise<Finding[]> {
  const keys = publishedDkimKeys(dkimKeys, now);
  if (keys.length === 0) {
    return [{ check: 'DKIM', name: `*._domainkey.${domain}`, required: true, status: 'missing', published: [], problem: `${domain} has no DKIM key to sign with (make one: postern dkim generate ${domain})`, fix: [] }];
  }
  return Promise.all(keys.map((key) => checkDkimKey(domain, key, resolver)));
}

/** One key's TXT record at selector._domainkey.domain: published with our public key, missing or wrong. */
export async function checkDkimKey(domain: string, key: DkimKey, resolver: Resolver): Promise<Finding> {
  const name = `${key.selector}._domainkey.${domain}`;
  // A retiring key only has to stay until its retireAt; the signing and the pending ones are required.
  const pending = isPendingDkimKey(key);
  const base = { check: 'DKIM', name, required: key.active || pending, fix: [dkimRecordLine(key)] };
  const txt = await published(() => resolver.txt(name));
  if ('error' in txt) return { ...base, status: 'error', published: [], problem: txt.error };
  if (txt.records.length === 0) {
    const problem = pending
      ? `no DKIM record for the pending selector ${key.selector}: publish it; Postern signs with it once it is seen here${key.activateAt ? ` (or from ${key.activateAt.toISOString()} regardless)` : ''}`
      : `no DKIM record for selector ${key.selector}: receivers cannot verify mail signed with it`;
    return { ...base, status: 'missing', published: [], problem };
  }
  const matching = txt.records.some((text) => {
    const tags = parseTagList(text);
    // RFC 6376 §3.6.1: k= defaults to rsa; p= may be split by whitespace.
    return (tags.get('k') ?? 'rsa').toLowerCase() === key.algorithm && (tags.get('p') ?? '').replace(/\s+/g, '') === key.publicKey;
  });
  if (matching) return { ...base, status: 'ok', published: txt.records, problem: null, fix: [] };
  const revoked = txt.records.some((text) => parseTagList(text).get('p') === '');
  return { ...base, status: 'wrong', published: txt.records, problem: revoked ? `selector ${key.selector} is published revoked (empty p=)` : `the published key of selector ${key.selector} is not the one Postern signs with` };
}

const DMARC_POLICIES = new Set(['none', 'quarantine', 'reject']);

async function checkDmarc({ domain, resolver }: DnsCheckInput): Promise<Finding> {
  const name = `_dmarc.${domain}`;
  const base = { check: 'DMARC', name, required: true, fix: [dmarcRecordLine(domain)] };
  const txt = await published(() => resolver.txt(name));
  if ('error' in txt) return { ...base, status: 'error', published: [], problem: txt.error };
  // RFC 7489 §6.6.3: records that do not start with v=DMARC1 are ignored; more than one means none.
  const records = versioned(txt.records, 'v=DMARC1');
  if (records.length === 0) return { ...base, status: 'missing', published: txt.records, problem: `${domain} has no DMARC record` };
  if (records.length > 1) return { ...base, status: 'wrong', published: records, problem: `${records.length} DMARC records: receivers apply none of them (RFC 7489 §6.6.3)` };
  const tags = parseTagList(records[0]!);
  // RFC 7489 §6.3: p= is required, one of none, quarantine, reject.
  const policy = tags.get('p')?.toLowerCase();
  if (policy === undefined || !DMARC_POLICIES.has(policy)) {
    return { ...base, status: 'wrong', published: records, problem: policy === undefined ? 'no p= tag (RFC 7489 §6.3 requires it)' : `p=${policy} is not none, quarantine or reject` };
  }
  const remarks: string[] = [];
  if (policy === 'none') remarks.push('p=none only monitors: receivers do not act on failures');
  // RFC 7489 §6.3: rua= is a comma-separated list of URIs; aggregate reports go to mailto: ones.
  const rua = tags.get('rua');
  if (rua === undefined || rua === '') remarks.push('no rua=: no aggregate reports come back');
  else if (!rua.split(',').every((uri) => /^mailto:[^@\s]+@[^@\s]+$/i.test(uri.trim().replace(/!\d+[kmgt]?$/i, '')))) remarks.push(`rua=${rua} is not a list of mailto: addresses`);
  return { ...base, status: 'ok', published: records, problem: remarks.length > 0 ? remarks.join('; ') : null, fix: [] };
}

/** RFC 8461 §3.1: "v=STSv1; id=…" at _mta-sts, id 1-32 letters and digits. The policy file itself is served over HTTPS. */
async function checkMtaSts({ domain, resolver, now }: DnsCheckInput): Promise<Finding> {
  const name = `_mta-sts.${domain}`;
  const base = { check: 'MTA-STS', name, required: false, fix: [mtaStsRecordLine(domain, now)] };
  const txt = await published(() => resolver.txt(name));
  if ('error' in txt) return { ...base, status: 'error', published: [], problem: txt.error };
  const records = versioned(txt.records, 'v=STSv1');
  if (records.length === 0) return { ...base, status: 'missing', published: txt.records, problem: 'no MTA-STS record: senders may deliver without TLS' };
  // RFC 8461 §3.1: more than one record means the domain has no policy.
  if (records.length > 1) return { ...base, status: 'wrong', published: records, problem: `${records.length} MTA-STS records: senders treat that as no policy` };
  const id = parseTagList(records[0]!).get('id');
  if (id === undefined || !/^[A-Za-z0-9]{1,32}$/.test(id)) return { ...base, status: 'wrong', published: records, problem: 'id= must be 1 to 32 letters and digits' };
  return { ...base, status: 'ok', published: records, problem: null, fix: [] };
}

/** RFC 8460 §3: "v=TLSRPTv1; rua=…" at _smtp._tls. */
async function checkTlsRpt({ domain, resolver }: DnsCheckInput): Promise<Finding> {
  const name = `_smtp._tls.${domain}`;
  const base = { check: 'TLS-RPT', name, required: false, fix: [tlsRptRecordLine(domain)] };
  const txt = await published(() => resolver.txt(name));
  if ('error' in txt) return { ...base, status: 'error', published: [], problem: txt.error };
  const records = versioned(txt.records, 'v=TLSRPTv1');
  if (records.length === 0) return { ...base, status: 'missing', published: txt.records, problem: 'no TLS-RPT record: no reports of failed TLS deliveries come back' };
  if (records.length > 1) return { ...base, status: 'wrong', published: records, problem: `${records.length} TLS-RPT records: senders use none (RFC 8460 §3)` };
  const rua = parseTagList(records[0]!).get('rua');
  if (rua === undefined || !rua.split(',').every((uri) => /^(mailto:|https:)/i.test(uri.trim()))) return { ...base, status: 'wrong', published: records, problem: 'rua= must be mailto: or https: URIs' };
  return { ...base, status: 'ok', published: records, problem: null, fix: [] };
}

const WEB_HOST_USE: Record<WebHostPrefix, string> = {
  autoconfig: 'Thunderbird cannot fetch its settings from autoconfig',
  'mta-sts': 'senders cannot fetch the MTA-STS policy (RFC 8461 §3.3: https://mta-sts.DOMAIN/.well-known/mta-sts.txt)',
};

/** autoconfig.DOMAIN and mta-sts.DOMAIN reach this server (an A/AAAA, usually through a CNAME, among the hostname's addresses). */
async function checkWebHost({ domain, hostname, resolver }: DnsCheckInput, prefix: WebHostPrefix, serverAddresses: string[]): Promise<Finding> {
  const name = `${prefix}.${domain}`;
  const base = { check: 'WEB', name, required: false, fix: [webHostRecordLine(prefix, domain, hostname)] };
  const [a, aaaa] = await Promise.all([published(() => resolver.a(name)), published(() => resolver.aaaa(name))]);
  const addresses = [...('records' in a ? a.records : []), ...('records' in aaaa ? aaaa.records : [])];
  if (addresses.length === 0) {
    const error = 'error' in a ? a.error : 'error' in aaaa ? aaaa.error : null;
    return { ...base, status: error ? 'error' : 'missing', published: [], problem: error ?? `${name} has no address: ${WEB_HOST_USE[prefix]}` };
  }
  if (serverAddresses.length > 0 && !addresses.some((ip) => serverAddresses.includes(ip))) {
    return { ...base, status: 'wrong', published: addresses, problem: `${name} points elsewhere than ${hostname} (${serverAddresses.join(', ')}): ${WEB_HOST_USE[prefix]}` };
  }
  return { ...base, status: 'ok', published: addresses, problem: null, fix: [] };
}

/** RFC 6186 §3: clients find the implicit-TLS services (RFC 8314) at _service._tcp.DOMAIN. */
async function checkSrv({ domain, hostname, srvPorts, resolver }: DnsCheckInput, service: MailSrvService): Promise<Finding> {
  const name = `_${service}._tcp.${domain}`;
  const port = srvPorts[service];
  const base = { check: 'SRV', name, required: false, fix: [srvRecordLine(domain, service, hostname, port)] };
  const srv = await published(() => resolver.srv(name));
  if ('error' in srv) return { ...base, status: 'error', published: [], problem: srv.error };
  const shown = srv.records.map((r) => `${r.priority} ${r.weight} ${r.port} ${r.name || '.'}`);
  if (srv.records.length === 0) return { ...base, status: 'missing', published: [], problem: `no ${service} SRV record: mail clients cannot find the service on their own` };
  // RFC 6186 §4: target "." says the service is not offered.
  const right = port === null ? srv.records.every((r) => r.name === '' || r.name === '.') : srv.records.some((r) => sameName(r.name, hostname) && r.port === port);
  if (right) return { ...base, status: 'ok', published: shown, problem: null, fix: [] };
  return { ...base, status: 'wrong', published: shown, problem: port === null ? `${service} is not configured here, but the record offers it` : `no record points at ${hostname} port ${port}` };
}
