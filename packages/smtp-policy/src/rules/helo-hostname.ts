import { isIP, isIPv4, isIPv6 } from 'node:net';
import { parseDomain } from '@postern/address';
import { withoutTrailingDot } from '../address-parts.js';
import { hostnameStatus } from '../dns-status.js';
import { DUNNO, rejectWith, rejectedText } from '../reply.js';
import type { RuleResult } from '../types.js';
import { defineRule } from './define.js';

/** RFC 5321 §4.1.3 address literal: [IPv4] or [IPv6:address]. */
function isValidAddressLiteral(literal: string): boolean {
  if (!literal.startsWith('[') || !literal.endsWith(']')) return false;
  const inner = literal.slice(1, -1);
  if (/^ipv6:/i.test(inner)) return isIPv6(inner.slice(5));
  return isIPv4(inner);
}

/** HELO [address] that is not a valid address literal: $invalid_hostname_reject_code 5.5.2 "invalid ip address". */
export function invalidAddressLiteral(helo: string, code: number): RuleResult {
  if (isValidAddressLiteral(helo)) return DUNNO;
  return rejectWith(code, '5.5.2', rejectedText({ name: helo, class: 'Helo command' }, 'invalid ip address'));
}

/**
 * A host name by RFC 1123 §2.1 in ASCII (no IDN in HELO, as Postfix), or a
 * bare IP address, which Postfix tolerates here for compatibility.
 */
function isValidHeloName(helo: string): boolean {
  const name = withoutTrailingDot(helo);
  if (isIP(name) !== 0) return true;
  if (!/^[\x21-\x7e]+$/.test(name) || name.endsWith('.')) return false;
  try {
    const labels = parseDomain(name).split('.');
    // A numeric top label would make it an address, and it is not one.
    return !/^\d+$/.test(labels[labels.length - 1] ?? '');
  } catch {
    return false;
  }
}

/** reject_invalid_helo_hostname: bad HELO/EHLO syntax, $invalid_hostname_reject_code 5.5.2 "Invalid name". */
export const rejectInvalidHeloHostname = defineRule('reject_invalid_helo_hostname', (config) => ({ facts }) => {
  const helo = facts.helo;
  const code = config.smtpd.invalid_hostname_reject_code;
  if (helo === null) return DUNNO;
  if (helo.startsWith('[')) return invalidAddressLiteral(helo, code);
  return isValidHeloName(helo) ? DUNNO : rejectWith(code, '5.5.2', rejectedText({ name: helo, class: 'Helo command' }, 'Invalid name'));
});

/** reject_unknown_helo_hostname: the HELO name has no A, AAAA or MX record ($unknown_hostname_reject_code 4.7.1; 450 while DNS fails). */
export const rejectUnknownHeloHostname = defineRule('reject_unknown_helo_hostname', (config) => async ({ facts, env }) => {
  const helo = facts.helo;
  if (helo === null) return DUNNO;
  if (helo.startsWith('[')) return invalidAddressLiteral(helo, config.smtpd.invalid_hostname_reject_code);
  const subject = { name: helo, class: 'Helo command' } as const;
  let name: string;
  try {
    name = parseDomain(withoutTrailingDot(helo));
  } catch {
    return rejectWith(config.smtpd.unknown_hostname_reject_code, '4.7.1', rejectedText(subject, 'Host not found'));
  }
  const status = await hostnameStatus(env.resolver, name);
  if (status === 'found' || status === 'nullmx') return DUNNO;
  const code = status === 'tempfail' ? 450 : config.smtpd.unknown_hostname_reject_code;
  return rejectWith(code, '4.7.1', rejectedText(subject, 'Host not found'));
});
