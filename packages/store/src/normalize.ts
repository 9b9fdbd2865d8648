/** Store keys: addresses and domains compared case-insensitively (Postfix lowercases lookup keys). */
export function addressKey(address: string): string {
  return address.trim().toLowerCase();
}

export function domainKey(domain: string): string {
  return domain.trim().toLowerCase().replace(/\.$/, '');
}

/** The domain part of an address or of a catch-all `@domain`. */
export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return domainKey(at >= 0 ? address.slice(at + 1) : '');
}
