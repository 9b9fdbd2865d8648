import { parseAddress } from '@postern/address';

/**
 * The local part and domain of an envelope address as a rule must see them,
 * malformed ones included (a bare "user", an address literal "[192.0.2.1]"):
 * the one parser when it accepts the address, else a split at the last "@".
 */
export function addressParts(address: string): { localPart: string; domain: string } {
  try {
    const parsed = parseAddress(address);
    return { localPart: parsed.localPart, domain: parsed.domain };
  } catch {
    const at = address.lastIndexOf('@');
    if (at < 0) return { localPart: address, domain: '' };
    return { localPart: address.slice(0, at), domain: address.slice(at + 1).toLowerCase() };
  }
}

/** `[192.0.2.1]` or `[IPv6:2001:db8::1]` (RFC 5321 §4.1.3): a domain that is an address, not a name. */
export function isAddressLiteral(domain: string): boolean {
  return domain.startsWith('[') && domain.endsWith(']');
}

/**
 * A local part that still routes somewhere else: the percent hack, a bang
 * path, or an "@" inside a quoted local part. Postfix never treats these as
 * an authorised destination (allow_untrusted_routing = no).
 */
export function hasRoutingOperator(localPart: string): boolean {
  return /[%!@]/.test(localPart);
}

/** Postfix strips one trailing dot from a name ("example.com.") but not two. */
export function withoutTrailingDot(name: string): string {
  return name.length > 1 && name.endsWith('.') && !name.endsWith('..') ? name.slice(0, -1) : name;
}
