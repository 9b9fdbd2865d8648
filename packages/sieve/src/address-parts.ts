// RFC 5228 §2.7.4 address parts (:all :localpart :domain) and RFC 5233 §3 subaddress parts (:user :detail).
import { parseAddressList, splitRecipientDelimiter } from '@postern/address';

export type AddressPart = 'all' | 'localpart' | 'domain' | 'user' | 'detail';

export interface SimpleAddress {
  localPart: string;
  domain: string | null;
}

/** The mailboxes of an address-list header value (groups flattened, RFC 5228 §5.1). */
export function addressesOf(value: string): SimpleAddress[] {
  const out: SimpleAddress[] = [];
  for (const entry of parseAddressList(value)) {
    if (entry.kind === 'mailbox' && entry.localPart !== null) out.push({ localPart: entry.localPart, domain: entry.domain });
  }
  return out;
}

/** A bare envelope address `local@domain` ('' is the null reverse-path). */
export function splitAddress(address: string): SimpleAddress {
  const at = address.lastIndexOf('@');
  return at < 0 ? { localPart: address, domain: null } : { localPart: address.slice(0, at), domain: address.slice(at + 1) };
}

/**
 * The part of one address a test compares; null when the part does not exist
 * (RFC 5233 §4: :detail of an address without a separator fails to match every key).
 */
export function addressPart(address: SimpleAddress, part: AddressPart, delimiter: string): string | null {
  const all = address.domain === null ? address.localPart : `${address.localPart}@${address.domain}`;
  switch (part) {
    case 'all':
      return all;
    case 'localpart':
      return address.localPart;
    case 'domain':
      return address.domain ?? '';
    case 'user':
      return splitRecipientDelimiter(address.localPart, delimiter).base;
    case 'detail':
      return splitRecipientDelimiter(address.localPart, delimiter).tag;
  }
}

/** RFC 5228 §4.2: redirect's argument must be a valid RFC 5322 address (one mailbox, a domain). */
export function isValidRedirectAddress(text: string): boolean {
  const list = addressesOf(text);
  return list.length === 1 && list[0]!.domain !== null && list[0]!.domain !== '' && list[0]!.localPart !== '' && !/[\r\n]/.test(text);
}

/** The bare `local@domain` of a redirect argument (which may carry a display name). */
export function bareAddress(text: string): string {
  const address = addressesOf(text)[0]!;
  return `${address.localPart}@${address.domain}`;
}
