import { isIP } from 'node:net';
import { splitRecipientDelimiter } from '@postern/address';
import { plainClientIp } from '@postern/config';
import { addressParts, withoutTrailingDot } from '../address-parts.js';

/**
 * A host or domain name and its parents, most specific first:
 * sub.example.com, example.com, com (Postfix with smtpd_access_maps in
 * parent_domain_matches_subdomains, its default). An address gets no parents.
 */
export function domainKeys(name: string): string[] {
  const domain = withoutTrailingDot(name).toLowerCase();
  if (domain === '') return [];
  if (isIP(domain) !== 0 || domain.startsWith('[')) return [domain];
  const labels = domain.split('.');
  return labels.map((_, i) => labels.slice(i).join('.')).filter((key) => key !== '');
}

/**
 * A client address and its networks, most specific first: 192.0.2.1,
 * 192.0.2, 192.0, 192; for IPv6 the text is cut at each ":" from the right,
 * as access(5) describes.
 */
export function ipKeys(ip: string): string[] {
  const address = plainClientIp(ip);
  const delimiter = address.includes(':') ? ':' : '.';
  const keys = [address];
  let rest = address;
  for (let cut = rest.lastIndexOf(delimiter); cut > 0; cut = rest.lastIndexOf(delimiter)) {
    rest = rest.slice(0, cut);
    keys.push(rest);
  }
  return keys;
}

/**
 * Envelope address keys in Postfix's order (access(5) "EMAIL ADDRESS
 * PATTERNS"): user+ext@domain, user@domain, domain and its parents,
 * user+ext@, user@. Lower-cased, as the table's keys are.
 */
export function mailAddressKeys(address: string, recipientDelimiter: string): string[] {
  const { localPart, domain } = addressParts(address);
  const local = localPart.toLowerCase();
  const { base, tag } = splitRecipientDelimiter(local, recipientDelimiter);
  const keys: string[] = [];
  const add = (key: string): void => {
    if (!keys.includes(key)) keys.push(key);
  };
  if (domain !== '') {
    add(`${local}@${domain}`);
    if (tag !== null) add(`${base}@${domain}`);
    for (const key of domainKeys(domain)) add(key);
  }
  add(`${local}@`);
  if (tag !== null) add(`${base}@`);
  return keys;
}
