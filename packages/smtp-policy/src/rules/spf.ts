import { spf } from 'mailauth/lib/spf/index.js';
import { DUNNO, rejectWith } from '../reply.js';
import { defineRule } from './define.js';

/**
 * reject_spf_fail — Postern's built-in stand-in for Postfix's
 * `check_policy_service unix:private/policyd-spf`: checks the MAIL FROM
 * identity (or postmaster@HELO for the null sender, RFC 7208 §2.4) against
 * the client address with mailauth, through the injectable resolver.
 * fail → 550 5.7.23, temperror → 451 4.7.24 (RFC 7372 §3.2, RFC 7208 §8.4
 * and §8.6); pass, neutral, softfail, none and permerror decide nothing (as
 * policyd-spf's defaults), and SPF results for headers come with the
 * authentication work. Put it after permit_mynetworks and
 * permit_sasl_authenticated so that your own users are not checked.
 */
export const rejectSpfFail = defineRule('reject_spf_fail', (config) => async ({ facts, env }) => {
  if (facts.sender === null) return DUNNO;
  const identity = facts.sender !== '' ? facts.sender : facts.helo ? `postmaster@${facts.helo}` : null;
  if (identity === null) return DUNNO;
  const result = await spf({
    sender: identity,
    ip: facts.clientAddress,
    helo: facts.helo ?? undefined,
    mta: config.hostname,
    resolver: env.resolver.mailauthResolver() as Parameters<typeof spf>[0]['resolver'],
  });
  switch (result.status.result) {
    case 'fail':
      return rejectWith(550, '5.7.23', `<${identity}>: Sender address rejected: SPF fail: ${result.domain} does not designate ${result['client-ip']} as permitted sender`);
    case 'temperror':
    case 'temperr':
      return rejectWith(451, '4.7.24', `<${identity}>: Sender address rejected: SPF temporary error, try again later`);
    case 'permerror':
      return { action: 'dunno', warnings: [`SPF permerror for <${identity}> from ${facts.clientAddress}: ${result.status.comment ?? 'invalid SPF record'}`] };
    default:
      return DUNNO;
  }
});
