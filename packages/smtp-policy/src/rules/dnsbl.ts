import { isIP } from 'node:net';
import { parseDomain } from '@postern/address';
import { plainClientIp } from '@postern/config';
import { DnsError, reversedLabels, type Resolver } from '@postern/dns';
import { addressParts, isAddressLiteral, withoutTrailingDot } from '../address-parts.js';
import { parseDnsblPattern, type DnsblPattern } from '../dnsbl-pattern.js';
import { DUNNO, rejectWith, type ReplyClass } from '../reply.js';
import type { RuleContext, RuleDefinition, RuleResult, SessionFacts } from '../types.js';
import { defineRuleWithArgument } from './define.js';

// Postfix concatenates the list's TXT records up to this many characters.
const TXT_LIMIT = 500;

interface DnsblZone {
  /** The DNS list zone, e.g. zen.spamhaus.org. */
  zone: string;
  /** Only A answers matching this count as listed; any answer when absent. */
  pattern: DnsblPattern | null;
}

/** `zone` or `zone=PATTERN`; the zone must be a domain of at least two labels. */
function parseZone(argument: string): DnsblZone {
  const [zoneText = '', patternText] = argument.split('=', 2);
  let zone: string;
  try {
    zone = parseDomain(zoneText);
  } catch (error) {
    throw new Error(`"${zoneText}" is not a DNS list domain: ${(error as Error).message}`);
  }
  if (!zone.includes('.')) throw new Error(`"${zoneText}" is not a DNS list domain (expected a zone such as zen.spamhaus.org)`);
  return { zone, pattern: patternText === undefined ? null : parseDnsblPattern(patternText) };
}

type Listing = { listed: false; warning?: string } | { listed: true; reason: string };

/**
 * One DNSBL query: an A answer (matching the pattern) means listed, the TXT
 * record gives the reason. A failing lookup gives the client the benefit of
 * the doubt with a warning, as Postfix does; answers are cached by the resolver.
 */
async function lookUp(resolver: Resolver, query: string, pattern: DnsblPattern | null): Promise<Listing> {
  let answers: string[];
  try {
    answers = await resolver.a(query);
  } catch (error) {
    if (error instanceof DnsError && error.kind === 'NXDOMAIN') return { listed: false };
    return { listed: false, warning: `${query}: RBL lookup error: ${(error as Error).message}` };
  }
  if (answers.length === 0 || (pattern !== null && !answers.some(pattern))) return { listed: false };
  let reason = '';
  try {
    reason = (await resolver.txt(query)).join(' / ').slice(0, TXT_LIMIT);
  } catch {
    // A listing without a TXT reason still stands.
  }
  return { listed: true, reason };
}

/** Postfix's default_rbl_reply: "$rbl_code Service unavailable; $rbl_class [$rbl_what] blocked using $rbl_domain${rbl_reason?; $rbl_reason}". */
function listedReply(code: number, replyClass: ReplyClass, what: string, zone: string, reason: string): RuleResult {
  return rejectWith(code, '5.7.1', `Service unavailable; ${replyClass} [${what}] blocked using ${zone}${reason ? `; ${reason}` : ''}`);
}

/** reject_rbl_client ZONE[=PATTERN]: the client IP, reversed (RFC 5782 §2.1; IPv6 as 32 nibbles, §2.4), under the zone. */
export const rejectRblClient = defineRuleWithArgument('reject_rbl_client', 'reject_rbl_client DOMAIN[=PATTERN], e.g. reject_rbl_client zen.spamhaus.org', (argument, config) => {
  const { zone, pattern } = parseZone(argument);
  return async ({ facts, env }) => {
    const ip = plainClientIp(facts.clientAddress);
    if (isIP(ip) === 0) return DUNNO;
    const listing = await lookUp(env.resolver, `${reversedLabels(ip)}.${zone}`, pattern);
    if (!listing.listed) return listing.warning ? { action: 'dunno', warnings: [listing.warning] } : DUNNO;
    return listedReply(config.smtpd.rbl_reject_code, 'Client host', ip, zone, listing.reason);
  };
});

/**
 * A name that can be looked up in an RHSBL (RFC 5782 §2.2): Postfix skips
 * address literals, names with a numeric last label and invalid names.
 */
function listableDomain(name: string): string | null {
  const trimmed = withoutTrailingDot(name);
  if (trimmed === '' || isAddressLiteral(trimmed)) return null;
  try {
    const domain = parseDomain(trimmed);
    const labels = domain.split('.');
    return /^\d+$/.test(labels[labels.length - 1] ?? '') ? null : domain;
  } catch {
    return null;
  }
}

interface RhsblTarget {
  replyClass: ReplyClass;
  /** The name looked up and the text shown in the reply, or null to skip. */
  pick(facts: SessionFacts): { domain: string; what: string } | null;
}

function defineRhsbl(name: string, target: RhsblTarget): RuleDefinition {
  return defineRuleWithArgument(name, `${name} DOMAIN[=PATTERN], e.g. ${name} dbl.spamhaus.org`, (argument, config) => {
    const { zone, pattern } = parseZone(argument);
    return async ({ facts, env }: RuleContext) => {
      const picked = target.pick(facts);
      const domain = picked === null ? null : listableDomain(picked.domain);
      if (picked === null || domain === null) return DUNNO;
      const listing = await lookUp(env.resolver, `${domain}.${zone}`, pattern);
      if (!listing.listed) return listing.warning ? { action: 'dunno', warnings: [listing.warning] } : DUNNO;
      return listedReply(config.smtpd.rbl_reject_code, target.replyClass, picked.what, zone, listing.reason);
    };
  });
}

const nameTarget = (value: string | null) => (value === null || value === '' ? null : { domain: value, what: value });

/** reject_rhsbl_client: the verified client hostname. */
export const rejectRhsblClient = defineRhsbl('reject_rhsbl_client', {
  replyClass: 'Client host',
  pick: (facts) => nameTarget(facts.clientHostname),
});

/** reject_rhsbl_reverse_client: the PTR name, verified or not. */
export const rejectRhsblReverseClient = defineRhsbl('reject_rhsbl_reverse_client', {
  replyClass: 'Unverified Client host',
  pick: (facts) => nameTarget(facts.reverseClientHostname),
});

/** reject_rhsbl_helo: the HELO/EHLO name. */
export const rejectRhsblHelo = defineRhsbl('reject_rhsbl_helo', {
  replyClass: 'Helo command',
  pick: (facts) => nameTarget(facts.helo),
});

/** reject_rhsbl_sender: the MAIL FROM domain (never the null sender). */
export const rejectRhsblSender = defineRhsbl('reject_rhsbl_sender', {
  replyClass: 'Sender address',
  pick: (facts) => (facts.sender ? { domain: addressParts(facts.sender).domain, what: facts.sender } : null),
});

/** reject_rhsbl_recipient: the RCPT TO domain. */
export const rejectRhsblRecipient = defineRhsbl('reject_rhsbl_recipient', {
  replyClass: 'Recipient address',
  pick: (facts) => (facts.recipient ? { domain: addressParts(facts.recipient).domain, what: facts.recipient } : null),
});
