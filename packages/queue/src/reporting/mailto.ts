// A mailto: report destination (RFC 6068), as TLSRPT rua= and DMARC rua= list them.

/**
 * The address of a "mailto:" URI, or null. RFC 6068 §2: the address is
 * percent-encoded; header fields after "?" are not ours to use.
 */
export function mailtoAddress(uri: string): string | null {
  if (!/^mailto:/i.test(uri)) return null;
  let address: string;
  try {
    address = decodeURIComponent(uri.slice(7).split('?')[0]!);
  } catch {
    return null;
  }
  return /^[^\s@<>]+@[^\s@<>]+$/.test(address) ? address : null;
}
