import { addressParts, isAddressLiteral } from '../address-parts.js';
import { mailDomainStatus } from '../dns-status.js';
import { isLocalDomain } from '../local-domains.js';
import { DUNNO, rejectWith, rejectedText, type ReplyClass } from '../reply.js';
import type { RuleContext, RuleResult } from '../types.js';
import { defineRule } from './define.js';

/**
 * Postfix's reject_unknown_address: a domain with no MX, A or AAAA record
 * ($unknown_address_reject_code, X.1.8 for the sender, X.1.2 for a
 * recipient), 450 while the DNS fails, and a null MX (RFC 7505 §4.2/§4.3:
 * 550 5.7.27 for the sender, 556 5.1.10 for a recipient). Local domains and
 * address literals are not looked up.
 */
async function unknownDomain(ctx: RuleContext, address: string, replyClass: ReplyClass, unknownAddressCode: number): Promise<RuleResult> {
  const { domain } = addressParts(address);
  if (domain === '' || isAddressLiteral(domain)) return DUNNO;
  if (await isLocalDomain(ctx.env.store, domain)) return DUNNO;
  const isSender = replyClass === 'Sender address';
  const subject = { name: address, class: replyClass };
  const status = await mailDomainStatus(ctx.env.resolver, domain);
  switch (status) {
    case 'found':
      return DUNNO;
    case 'nullmx':
      return isSender
        ? rejectWith(550, '5.7.27', rejectedText(subject, `Domain ${domain} does not accept mail (nullMX)`))
        : rejectWith(556, '5.1.10', rejectedText(subject, `Domain ${domain} does not accept mail (nullMX)`));
    case 'notfound':
      return rejectWith(unknownAddressCode, isSender ? '4.1.8' : '4.1.2', rejectedText(subject, 'Domain not found'));
    case 'tempfail':
      return rejectWith(450, isSender ? '4.1.8' : '4.1.2', rejectedText(subject, 'Domain not found'));
  }
}

/** reject_unknown_sender_domain: the MAIL FROM domain cannot receive replies. */
export const rejectUnknownSenderDomain = defineRule('reject_unknown_sender_domain', (config) => (ctx) =>
  ctx.facts.sender ? unknownDomain(ctx, ctx.facts.sender, 'Sender address', config.smtpd.unknown_address_reject_code) : DUNNO,
);

/** reject_unknown_recipient_domain: the RCPT TO domain does not exist in the DNS. */
export const rejectUnknownRecipientDomain = defineRule('reject_unknown_recipient_domain', (config) => (ctx) =>
  ctx.facts.recipient ? unknownDomain(ctx, ctx.facts.recipient, 'Recipient address', config.smtpd.unknown_address_reject_code) : DUNNO,
);
