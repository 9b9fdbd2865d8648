import { domainToASCII } from 'node:url';

/** An address that parsed: the local part as written and the domain as a lower-case A-label. */
export interface ParsedAddress {
  localPart: string;
  domain: string;
  /** `localPart@domain`, the form stored and compared (lower-cased by the store). */
  address: string;
}

export class AddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AddressError';
  }
}

// RFC 5321 §4.5.3.1.1–2: local part ≤ 64 octets, domain ≤ 255 octets.
const MAX_LOCAL_PART = 64;
const MAX_DOMAIN = 255;
// RFC 5322 §3.2.3 atext, plus UTF-8 beyond ASCII as RFC 6531 (SMTPUTF8) allows.
const ATOM = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\uFFFF]+$/u;
// RFC 5321 §4.1.2 Quoted-string: qtextSMTP or a quoted-pair.
const QUOTED = /^"(?:[\x20\x21\x23-\x5b\x5d-\x7e\u0080-\uFFFF]|\\[\x20-\x7e])*"$/u;
// RFC 1035 §2.3.1 / RFC 5890: LDH labels once converted to A-labels.
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Normalises a domain name: lower-case A-label without a trailing dot.
 * Throws AddressError naming the problem.
 */
export function parseDomain(input: string): string {
  const trimmed = input.trim().replace(/\.$/, '');
  if (trimmed === '') throw new AddressError('empty domain');
  const ascii = domainToASCII(trimmed.toLowerCase());
  if (ascii === '') throw new AddressError(`"${input}" is not a valid domain name`);
  if (ascii.length > MAX_DOMAIN) throw new AddressError(`"${input}" is longer than ${MAX_DOMAIN} octets`);
  const labels = ascii.split('.');
  const bad = labels.find((label) => !LABEL.test(label));
  if (bad !== undefined) throw new AddressError(`"${input}" is not a valid domain name (label "${bad}")`);
  return ascii;
}

/** reject_non_fqdn_*: a fully qualified domain has at least two labels and a non-numeric top label. */
export function isFqdn(domain: string): boolean {
  const labels = domain.split('.');
  return labels.length >= 2 && !/^\d+$/.test(labels[labels.length - 1] ?? '');
}

function checkLocalPart(localPart: string, input: string): void {
  if (localPart === '') throw new AddressError(`"${input}" has an empty local part`);
  if (Buffer.byteLength(localPart) > MAX_LOCAL_PART) {
    throw new AddressError(`"${input}" has a local part longer than ${MAX_LOCAL_PART} octets`);
  }
  if (localPart.startsWith('"')) {
    if (!QUOTED.test(localPart)) throw new AddressError(`"${input}" has a malformed quoted local part`);
    return;
  }
  // RFC 5321 §4.1.2 Dot-string: atoms joined by single dots, no leading or trailing dot.
  if (!localPart.split('.').every((atom) => ATOM.test(atom))) {
    throw new AddressError(`"${input}" has an invalid local part (allowed: letters, digits, !#$%&'*+-/=?^_\`{|}~ and single dots)`);
  }
}

/**
 * Parses `local@domain` (no display name, no angle brackets, no source
 * route). The last `@` separates the domain so that a quoted local part may
 * hold one. Throws AddressError with a one-line reason.
 */
export function parseAddress(input: string): ParsedAddress {
  const text = input.trim();
  const at = text.lastIndexOf('@');
  if (at < 0) throw new AddressError(`"${input}" is not an address (expected local@domain)`);
  const localPart = text.slice(0, at);
  checkLocalPart(localPart, input);
  let domain: string;
  try {
    domain = parseDomain(text.slice(at + 1));
  } catch (err) {
    throw new AddressError(`"${input}" has an invalid domain: ${(err as Error).message}`);
  }
  return { localPart, domain, address: `${localPart}@${domain}` };
}

/** The left side of an alias: an address, or `@domain` for a catch-all. */
export type AliasSource = { kind: 'address'; address: ParsedAddress } | { kind: 'catchall'; domain: string };

export function parseAliasSource(input: string): AliasSource {
  const text = input.trim();
  if (text.startsWith('@')) return { kind: 'catchall', domain: parseDomain(text.slice(1)) };
  return { kind: 'address', address: parseAddress(text) };
}

export function aliasSourceKey(source: AliasSource): string {
  return source.kind === 'catchall' ? `@${source.domain}` : source.address.address;
}

/**
 * recipient_delimiter: `user+tag` → base `user`, tag `tag`. Several delimiter
 * characters may be configured (Postfix ≥ 2.11); the first one found splits.
 */
export function splitRecipientDelimiter(localPart: string, delimiters: string): { base: string; tag: string | null } {
  if (delimiters === '' || localPart.startsWith('"')) return { base: localPart, tag: null };
  for (let i = 0; i < localPart.length; i++) {
    if (delimiters.includes(localPart[i] ?? '') && i > 0) {
      return { base: localPart.slice(0, i), tag: localPart.slice(i + 1) };
    }
  }
  return { base: localPart, tag: null };
}
