// DNSSEC-aware lookups for DANE (RFC 7672 §2.1): records and whether a trusted validating resolver vouched for them.
import { Resolver as NodeResolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import type * as dnsPacket from 'dns-packet';
import type { TlsaRecord } from './tlsa.js';
import { DnsError, type MxRecord } from './types.js';
import { WireQueryError, wireQuery, type WireServer } from './wire-query.js';

/** An RRset as DANE sees it: its records, and "secure" (RFC 4033 §5) when a trusted resolver set AD. */
export interface SecureAnswer<T> {
  records: T[];
  /** The AD bit of an answer from a trusted resolver (RFC 6698 §4.1: "secure"); false when no resolver is trusted. */
  secure: boolean;
  /** The name the records were found at after CNAMEs (RFC 7672 §2.2.2); the queried name when none. */
  canonicalName: string;
}

/**
 * Lookups whose answers say whether they were validated. NXDOMAIN and NODATA
 * are empty record lists (secure when the denial was: RFC 7672 §2.2.1); any
 * other failure, SERVFAIL included, is DnsError 'TEMPFAIL' (RFC 7672 §2.1.1).
 */
export interface DnssecResolver {
  /** True when some resolver's AD bit is trusted; false: every answer is insecure. */
  readonly validating: boolean;
  mx(domain: string): Promise<SecureAnswer<MxRecord>>;
  /** Address records (A, then AAAA when there are no A records) of an MX host, for RFC 7672 §2.2.2's "secure address". */
  addresses(host: string): Promise<SecureAnswer<string>>;
  /** TLSA records at e.g. _25._tcp.mx.example.com (RFC 6698 §3). */
  tlsa(name: string): Promise<SecureAnswer<TlsaRecord>>;
}

/** "ip", "ip:port", "[v6]:port" as node:dns normalises them (port 53 when absent). */
function parseServer(text: string): WireServer {
  const bracketed = /^\[(.+)\]:(\d+)$/.exec(text);
  if (bracketed) return { host: bracketed[1]!, port: Number(bracketed[2]) };
  if (isIP(text) !== 0) return { host: text, port: 53 };
  const v4 = /^(.+):(\d+)$/.exec(text);
  if (v4 && isIP(v4[1]!) === 4) return { host: v4[1]!, port: Number(v4[2]) };
  throw new TypeError(`${JSON.stringify(text)} is not a DNS server address`);
}

const isLoopback = (server: WireServer): boolean => server.host === '::1' || (isIP(server.host) === 4 && server.host.startsWith('127.'));

/**
 * The servers whose AD bit is trusted: `trusted` when given, else the
 * loopback ones among `servers` (the system's when empty). A resolver across
 * a network could have its AD bit forged on the way (RFC 4035 §4.9.3), so
 * Postfix's DANE documentation asks for a validating resolver on the host.
 */
export function trustedServers(servers: readonly string[], trusted: readonly string[] | undefined): WireServer[] {
  const parse = (list: readonly string[]) => {
    const node = new NodeResolver();
    if (list.length > 0) node.setServers([...list]);
    return node.getServers().map(parseServer);
  };
  if (trusted !== undefined && trusted.length > 0) return parse(trusted);
  return parse(servers).filter(isLoopback);
}

export function createDnssecResolver(servers: readonly WireServer[], timeoutMs: number): DnssecResolver {
  /** Asks each trusted server in turn until one answers (RFC 1035 §7.2). */
  async function query(name: string, type: dnsPacket.RecordType): Promise<{ answers: dnsPacket.Answer[]; secure: boolean; canonicalName: string }> {
    const bare = name.endsWith('.') && name.length > 1 ? name.slice(0, -1) : name;
    if (servers.length === 0) return { answers: [], secure: false, canonicalName: bare };
    let lastError: WireQueryError | null = null;
    for (const server of servers) {
      try {
        const answer = await wireQuery(server, bare, type, timeoutMs);
        if (answer.rcode === 'NOERROR' || answer.rcode === 'NXDOMAIN') {
          return { answers: answer.rcode === 'NXDOMAIN' ? [] : answer.answers, secure: answer.authenticated, canonicalName: canonicalName(bare, answer.answers) };
        }
        // RFC 7672 §2.1.1: SERVFAIL (a validation failure included) is not an empty answer.
        throw new DnsError('TEMPFAIL', bare, type, `E${answer.rcode}`);
      } catch (error) {
        if (!(error instanceof WireQueryError)) throw error;
        lastError = error;
      }
    }
    throw new DnsError('TEMPFAIL', bare, type, lastError?.code ?? 'ETIMEOUT');
  }

  const ofType = <T extends dnsPacket.Answer['type']>(answers: dnsPacket.Answer[], type: T) => answers.filter((answer): answer is Extract<dnsPacket.Answer, { type: T }> => answer.type === type);

  return {
    validating: servers.length > 0,

    async mx(domain) {
      const { answers, secure, canonicalName: found } = await query(domain, 'MX');
      const records = ofType(answers, 'MX').map(({ data }) => ({ exchange: data.exchange, priority: data.preference ?? 0 }));
      return { records, secure, canonicalName: found };
    },

    async addresses(host) {
      const v4 = await query(host, 'A');
      const records = ofType(v4.answers, 'A').map(({ data }) => data);
      if (records.length > 0) return { records, secure: v4.secure, canonicalName: v4.canonicalName };
      const v6 = await query(host, 'AAAA');
      return { records: ofType(v6.answers, 'AAAA').map(({ data }) => data), secure: v6.secure, canonicalName: v6.canonicalName };
    },

    async tlsa(name) {
      const { answers, secure, canonicalName: found } = await query(name, 'TLSA');
      const records = ofType(answers, 'TLSA').map(({ data }) => ({ usage: data.usage, selector: data.selector, matchingType: data.matchingType, data: data.certificate }));
      return { records, secure, canonicalName: found };
    },
  };
}

/** The end of the CNAME chain the answer section spells out from `name` (RFC 1034 §3.6.2). */
function canonicalName(name: string, answers: readonly dnsPacket.Answer[]): string {
  let current = name.toLowerCase();
  for (let hops = 0; hops < 8; hops++) {
    const alias = answers.find((answer) => answer.type === 'CNAME' && answer.name.toLowerCase() === current);
    if (alias === undefined || alias.type !== 'CNAME') break;
    current = alias.data.toLowerCase().replace(/\.$/, '');
  }
  return current;
}
