import type { PosternConfig } from '@postern/config';

/** Where mail for a domain goes next, in Postfix's terms. */
export interface NextHop {
  /** A host name or IP address (without brackets). */
  host: string;
  port: number;
  /** true: look up the MX records of `host` ("host", "host:port"); false: connect to `host` itself ("[host]", "[host]:port"). */
  mx: boolean;
  /** Who chose it: the recipient domain itself, smtp.relayhost, or smtp.transport_maps. */
  source: 'domain' | 'relayhost' | 'transport';
}

/**
 * Postfix next-hop syntax (relayhost, transport(5)): "[host]:port" and
 * "[host]" connect to the host without an MX lookup; "host:port" and "host"
 * look up the MX records of host. Without a port: smtp.port.
 */
export function parseNextHop(text: string, defaultPort: number): { host: string; port: number; mx: boolean } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(text.trim());
  if (!match) throw new Error(`${JSON.stringify(text)} is not a next hop (expected [host]:port, [host], host:port or host)`);
  const port = match[3] === undefined ? defaultPort : Number(match[3]);
  return { host: (match[1] ?? match[2] ?? '').toLowerCase(), port, mx: match[1] === undefined };
}

/** transport(5) lookup: the domain itself, then ".parent" entries for its subdomains, nearest first. */
function transportFor(config: PosternConfig, domain: string): string | undefined {
  const maps = new Map(Object.entries(config.smtp.transport_maps).map(([key, value]) => [key.toLowerCase(), value]));
  const exact = maps.get(domain);
  if (exact !== undefined) return exact;
  const labels = domain.split('.');
  for (let i = 1; i < labels.length; i++) {
    const parent = maps.get(`.${labels.slice(i).join('.')}`);
    if (parent !== undefined) return parent;
  }
  return undefined;
}

/** smtp.transport_maps[domain], else smtp.relayhost, else the domain's own MX (Postfix's order). */
export function nextHopFor(config: PosternConfig, domain: string): NextHop {
  const lower = domain.toLowerCase();
  const transport = transportFor(config, lower);
  if (transport !== undefined) return { ...parseNextHop(transport, config.smtp.port), source: 'transport' };
  if (config.smtp.relayhost !== undefined) return { ...parseNextHop(config.smtp.relayhost, config.smtp.port), source: 'relayhost' };
  return { host: lower, port: config.smtp.port, mx: true, source: 'domain' };
}

/**
 * The destination concurrency limits count against (Postfix's per-nexthop
 * queues): "relay:[host]:port" (or "relay:host:port" for an MX-looked-up
 * relay) when a relay host or transport applies, else the domain.
 */
export function nextHopKey(config: PosternConfig, domain: string): string {
  const hop = nextHopFor(config, domain);
  if (hop.source === 'domain') return hop.host;
  return `relay:${hop.mx ? hop.host : `[${hop.host}]`}:${hop.port}`;
}
