import { isIPv4 } from 'node:net';
import type { Resolver } from '@postern/dns';

export interface ClientNames {
  /** The PTR name whose A/AAAA records lead back to the client: Postfix's client_name. */
  clientHostname: string | null;
  /** The PTR name whether or not it verifies: Postfix's reverse_client_name. */
  reverseClientHostname: string | null;
}

// A PTR record is whatever the owner of the address publishes: only a host name is used (RFC 1123 §2.1).
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)*$/i;

/**
 * The client's names as Postfix's smtpd looks them up at connect: reverse
 * (PTR), then forward-confirmed (the name's A or AAAA must list the address).
 * A lookup that fails leaves the name unknown; rules decide what that means.
 */
export async function lookupClientNames(resolver: Resolver, address: string): Promise<ClientNames> {
  let reverse: string | null = null;
  try {
    const names = await resolver.ptr(address);
    reverse = names.map((name) => name.replace(/\.$/, '').toLowerCase()).find((name) => HOST_NAME.test(name)) ?? null;
  } catch {
    return { clientHostname: null, reverseClientHostname: null };
  }
  if (reverse === null) return { clientHostname: null, reverseClientHostname: null };
  try {
    const forward = isIPv4(address) ? await resolver.a(reverse) : await resolver.aaaa(reverse);
    const confirmed = forward.some((ip) => ip.toLowerCase() === address.toLowerCase());
    return { clientHostname: confirmed ? reverse : null, reverseClientHostname: reverse };
  } catch {
    return { clientHostname: null, reverseClientHostname: reverse };
  }
}
