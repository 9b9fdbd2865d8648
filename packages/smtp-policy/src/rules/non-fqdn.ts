import { isFullyQualifiedName } from '@postern/config';
import { addressParts, isAddressLiteral, withoutTrailingDot } from '../address-parts.js';
import { DUNNO, rejectWith, rejectedText, type ReplyClass } from '../reply.js';
import type { RuleResult } from '../types.js';
import { defineRule } from './define.js';
import { invalidAddressLiteral } from './helo-hostname.js';

function nonFqdnAddress(address: string, replyClass: ReplyClass, code: number): RuleResult {
  const { domain } = addressParts(address);
  if (isAddressLiteral(domain)) return DUNNO;
  if (isFullyQualifiedName(withoutTrailingDot(domain))) return DUNNO;
  return rejectWith(code, '5.5.2', rejectedText({ name: address, class: replyClass }, 'need fully-qualified address'));
}

/** reject_non_fqdn_sender: MAIL FROM without a domain, or with one that has no dot. */
export const rejectNonFqdnSender = defineRule('reject_non_fqdn_sender', (config) => ({ facts }) =>
  facts.sender ? nonFqdnAddress(facts.sender, 'Sender address', config.smtpd.non_fqdn_reject_code) : DUNNO,
);

/** reject_non_fqdn_recipient: RCPT TO without a domain, or with one that has no dot. */
export const rejectNonFqdnRecipient = defineRule('reject_non_fqdn_recipient', (config) => ({ facts }) =>
  facts.recipient ? nonFqdnAddress(facts.recipient, 'Recipient address', config.smtpd.non_fqdn_reject_code) : DUNNO,
);

/** reject_non_fqdn_helo_hostname: HELO/EHLO is not a fully qualified name (an address literal must at least be valid). */
export const rejectNonFqdnHeloHostname = defineRule('reject_non_fqdn_helo_hostname', (config) => ({ facts }) => {
  const helo = facts.helo;
  if (helo === null) return DUNNO;
  if (helo.startsWith('[')) return invalidAddressLiteral(helo, config.smtpd.invalid_hostname_reject_code);
  if (isFullyQualifiedName(withoutTrailingDot(helo))) return DUNNO;
  return rejectWith(config.smtpd.non_fqdn_reject_code, '5.5.2', rejectedText({ name: helo, class: 'Helo command' }, 'need fully-qualified hostname'));
});
