import { tryParseNextHop, type NextHop as ConfiguredHop, type PosternConfig } from '@postern/config';

/** Where mail for a domain goes next, in Postfix's terms, and who chose it: the domain itself, smtp.relayhost or smtp.transport_maps. */
export interface NextHop extends ConfiguredHop {
  source: 'domain' | 'relayhost' | 'transport';
}

/** A relayhost or transport_maps value (the config schema has checked it); without a port, smtp.port. */
export function parseNextHop(text: string, defaultPort: number): ConfiguredHop {
  const hop = tryParseNextHop(text, defaultPort);
  if (hop === null) throw new Error(`${JSON.stringify(text)} is not a next hop (expected [host]:port, [host], host:port or host)`);
  return hop;
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
