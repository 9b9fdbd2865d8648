import { isIP } from 'node:net';
import type { PosternConfig } from '@postern/config';
import { DnsError, type MxRecord, type Resolver } from '@postern/dns';
import type { Endpoint } from '../smtp-client/index.js';
import type { NextHop } from './next-hop.js';
import { ownFailure, type HostFailure } from './outcome.js';

/** One address to try, in order. */
export interface Route {
  /** The host name (or IP literal) the address belongs to: SNI and messages. */
  name: string;
  endpoint: Endpoint;
  /** "mx.example.net[127.0.0.5]:25", Postfix's relay= form. */
  relay: string;
}

export type Routing = { kind: 'routes'; routes: Route[] } | { kind: 'failed'; status: 'deferred' | 'bounced'; failure: HostFailure };

// Postfix smtp_mx_address_limit: past five addresses a delivery only piles up connect timeouts.
const ADDRESS_LIMIT = 5;

function normalize(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** Equal preferences in random order (RFC 5321 §5.1: spread the load); lower preferences first. */
function shuffleEqualPreferences(records: MxRecord[]): MxRecord[] {
  const sorted = [...records].sort((a, b) => a.priority - b.priority);
  for (let start = 0; start < sorted.length; ) {
    let end = start;
    while (end < sorted.length && sorted[end]!.priority === sorted[start]!.priority) end++;
    for (let i = end - 1; i > start; i--) {
      const j = start + Math.floor(Math.random() * (i - start + 1));
      [sorted[i], sorted[j]] = [sorted[j]!, sorted[i]!];
    }
    start = end;
  }
  return sorted;
}

function dnsText(error: DnsError): string {
  const what = error.kind === 'NXDOMAIN' ? 'Host not found' : 'Host not found, try again';
  return `Host or domain name not found. Name service error for name=${error.query} type=${error.rrtype}: ${what}`;
}

/** Failures that are the recipient domain's DNS are final; a configured relay or transport is the admin's to fix, so mail waits. */
function routingFailure(hop: NextHop, dsn: string, text: string): Routing {
  const bounce = dsn.startsWith('5.') && hop.source === 'domain';
  return bounce ? { kind: 'failed', status: 'bounced', failure: ownFailure(dsn, text, null) } : { kind: 'failed', status: 'deferred', failure: ownFailure(dsn.replace(/^5\./, '4.'), text, null) };
}

/**
 * The hosts for a next hop: with `mx`, the MX records of the host (RFC 5321
 * §5.1) with an implicit MX when it has none, null MX (RFC 7505) and loops to
 * ourselves caught; else the host itself. Each host's addresses, A then AAAA.
 */
export async function resolveRoutes(config: PosternConfig, resolver: Resolver, hop: NextHop): Promise<Routing> {
  let hosts: string[];
  if (!hop.mx || isIP(hop.host) !== 0) {
    hosts = [hop.host];
  } else {
    let records: MxRecord[];
    try {
      records = await resolver.mx(hop.host);
    } catch (error) {
      if (!(error instanceof DnsError)) throw error;
      return error.kind === 'NXDOMAIN' ? routingFailure(hop, '5.1.2', dnsText(error)) : routingFailure(hop, '4.4.3', dnsText(error));
    }
    const named = records.filter((record) => normalize(record.exchange) !== '');
    // RFC 7505 §3: one MX with the root as exchange: the domain takes no mail.
    if (records.length > 0 && named.length === 0) {
      return routingFailure(hop, '5.1.10', `${hop.host}: Domain does not accept mail (null MX, RFC 7505)`);
    }
    const ownNames = new Set([config.hostname, config.smtp.helo_name].filter((name): name is string => name !== undefined).map(normalize));
    const own = named.filter((record) => ownNames.has(normalize(record.exchange)));
    // RFC 5321 §5.1: when we are one of the MX hosts, only those preferred to us are tried.
    const usable = own.length === 0 ? named : named.filter((record) => record.priority < Math.min(...own.map((mine) => mine.priority)));
    if (records.length > 0 && usable.length === 0) return routingFailure(hop, '5.4.6', `mail for ${hop.host} loops back to myself`);
    // RFC 5321 §5.1: no MX records: the domain itself is the implicit MX.
    hosts = records.length === 0 ? [hop.host] : shuffleEqualPreferences(usable).map((record) => normalize(record.exchange));
  }

  const bindFamily = config.smtp.bind_address === undefined ? 0 : isIP(config.smtp.bind_address);
  const routes: Route[] = [];
  let lastError: DnsError | null = null;
  let lastTempfail: DnsError | null = null;
  for (const host of hosts) {
    if (routes.length >= ADDRESS_LIMIT) break;
    for (const family of [4, 6] as const) {
      // A source address of one family cannot reach the other.
      if (bindFamily !== 0 && bindFamily !== family) continue;
      let addresses: string[];
      if (isIP(host) !== 0) {
        addresses = isIP(host) === family ? [host] : [];
      } else {
        try {
          addresses = family === 4 ? await resolver.a(host) : await resolver.aaaa(host);
        } catch (error) {
          if (!(error instanceof DnsError)) throw error;
          lastError = error;
          if (error.kind === 'TEMPFAIL') lastTempfail = error;
          // A name that does not exist has no AAAA either.
          if (error.kind === 'NXDOMAIN') break;
          addresses = [];
        }
      }
      for (const address of addresses) {
        routes.push({ name: host, endpoint: { host: address, port: hop.port }, relay: `${host}[${address}]:${hop.port}` });
      }
    }
  }
  if (routes.length > 0) return { kind: 'routes', routes: routes.slice(0, ADDRESS_LIMIT) };
  // One host that may resolve later is reason enough to wait.
  if (lastTempfail !== null) return routingFailure(hop, '4.4.3', dnsText(lastTempfail));
  if (lastError !== null) return routingFailure(hop, '5.4.4', dnsText(lastError));
  // Every host answered NODATA for A and AAAA (or only the other family exists).
  return routingFailure(hop, '5.4.4', `Host or domain name not found. Name service error for name=${hosts[hosts.length - 1] ?? hop.host} type=A: Host found but no data record of requested type`);
}
