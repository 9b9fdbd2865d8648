import { BlockList, isIP, isIPv4, isIPv6 } from 'node:net';
import { isFqdn, parseDomain } from '@postern/address';

const PORT = /^\d{1,5}$/;

/** A host name as the one domain parser accepts it (IDN allowed), without a trailing dot. */
export function isHostName(name: string): boolean {
  if (name === '' || name.endsWith('.')) return false;
  try {
    parseDomain(name);
    return true;
  } catch {
    return false;
  }
}

export function isFullyQualifiedName(name: string): boolean {
  return isHostName(name) && isFqdn(parseDomain(name));
}

function parsePort(text: string): number | null {
  if (!PORT.test(text)) return null;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : null;
}

/** `host:port`, `[v6]:port`; `host` is an IPv4 address or a host name. null when malformed. */
export function parseHostPort(text: string): { host: string; port: number } | null {
  const bracketed = /^\[([^\]]+)\]:([^:]*)$/.exec(text);
  if (bracketed) {
    const [, host = '', port = ''] = bracketed;
    const parsed = parsePort(port);
    return isIPv6(host) && parsed !== null ? { host, port: parsed } : null;
  }
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return null;
  const host = text.slice(0, colon);
  const port = parsePort(text.slice(colon + 1));
  if (port === null || !(isIPv4(host) || isHostName(host))) return null;
  return { host, port };
}

export type ListenAddress = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

export const LISTEN_EXPECTED = 'host:port or [v6]:port with port 1-65535';
export const LISTEN_EXPECTED_UNIX = 'host:port or [v6]:port with port 1-65535, or unix:/path';

/**
 * Parses one `[listen]` entry into what net.Server#listen takes. The host of
 * `[v6]:port` comes back without brackets. Throws an Error naming what is accepted.
 */
export function parseListenAddress(text: string, options: { allowUnix?: boolean } = {}): ListenAddress {
  const parsed = tryParseListenAddress(text, options.allowUnix ?? true);
  if (parsed === null) {
    const expected = options.allowUnix === false ? LISTEN_EXPECTED : LISTEN_EXPECTED_UNIX;
    throw new Error(`${JSON.stringify(text)} is not a valid listen address (expected ${expected})`);
  }
  return parsed;
}

export function tryParseListenAddress(text: string, allowUnix: boolean): ListenAddress | null {
  if (text.startsWith('unix:')) {
    const path = text.slice('unix:'.length);
    return allowUnix && path !== '' && !path.includes('\0') ? { kind: 'unix', path } : null;
  }
  const hostPort = parseHostPort(text);
  return hostPort === null ? null : { kind: 'tcp', ...hostPort };
}

/** A DNS server: an IP address, optionally with a port (`192.0.2.53:5353`, `[::1]:53`). */
export function parseDnsServer(text: string): { host: string; port: number } | null {
  if (isIP(text) !== 0) return { host: text, port: 53 };
  const hostPort = parseHostPort(text);
  return hostPort !== null && isIP(hostPort.host) !== 0 ? hostPort : null;
}

export interface Network {
  family: 'ipv4' | 'ipv6';
  address: string;
  prefix: number;
}

/**
 * A mynetworks entry as Postfix writes it: `127.0.0.0/8`, `[::1]/128`,
 * `::1/128`, or a single address (a /32 or /128). null when malformed.
 */
export function parseNetwork(text: string): Network | null {
  const match = /^(?:\[([^\]]+)\]|([^/[\]]+))(?:\/(\d{1,3}))?$/.exec(text);
  if (!match) return null;
  const address = match[1] ?? match[2] ?? '';
  const version = isIP(address);
  if (version === 0 || (match[1] !== undefined && version !== 6)) return null;
  const max = version === 4 ? 32 : 128;
  const prefix = match[3] === undefined ? max : Number(match[3]);
  if (prefix > max) return null;
  return { family: version === 4 ? 'ipv4' : 'ipv6', address, prefix };
}

/**
 * A client address as every part of Postern names it: an IPv4-mapped IPv6
 * address (`::ffff:192.0.2.1`, how a dual-stack socket shows an IPv4 client;
 * RFC 4291 §2.5.5.2) is the IPv4 address it is; IPv6 in lower case.
 */
export function plainClientIp(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return mapped?.[1] ?? ip.toLowerCase();
}

/**
 * permit_mynetworks: a predicate over client IPs. IPv4-mapped IPv6 clients
 * (`::ffff:127.0.0.1` on a dual-stack socket) match IPv4 networks.
 */
export function mynetworksMatcher(networks: readonly string[]): (ip: string) => boolean {
  const list = new BlockList();
  for (const text of networks) {
    const network = parseNetwork(text);
    if (network === null) throw new Error(`${JSON.stringify(text)} is not a network (expected CIDR such as 192.168.0.0/16 or [2001:db8::]/32)`);
    list.addSubnet(network.address, network.prefix, network.family);
  }
  return (ip) => {
    const version = isIP(ip);
    return version !== 0 && list.check(ip, version === 4 ? 'ipv4' : 'ipv6');
  };
}

/** A Postfix next hop (relayhost, transport(5), content_filter): where to connect, and whether to look up MX first. */
export interface NextHop {
  /** Host name (lower case) or IP address, without brackets. */
  host: string;
  /** The given port, or the caller's default. */
  port: number;
  /** "host" and "host:port" mean the MX records of host; "[host]" and "[host]:port" the host itself. */
  mx: boolean;
}

/**
 * Postfix next-hop syntax: `host`, `[host]` (no MX lookup), either with
 * `:port`; an IPv6 address only in brackets. Null when it is not one.
 */
export function tryParseNextHop(text: string, defaultPort: number): NextHop | null {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(text.trim());
  if (!match) return null;
  const port = match[3] === undefined ? defaultPort : parsePort(match[3]);
  if (port === null) return null;
  const host = match[1] ?? match[2] ?? '';
  const valid = match[1] !== undefined ? isIP(host) !== 0 || isHostName(host) : isIPv4(host) || isHostName(host);
  return valid ? { host: host.toLowerCase(), port, mx: match[1] === undefined } : null;
}

/** Postfix relayhost: `host`, `[host]` (no MX lookup), either with `:port`. */
export function isRelayHost(text: string): boolean {
  return tryParseNextHop(text, 25) !== null;
}
