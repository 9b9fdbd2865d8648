import type { Store } from '@postern/store';
import { addressParts, hasRoutingOperator } from '../address-parts.js';
import { isLocalDomain } from '../local-domains.js';
import { DUNNO, rejectWith } from '../reply.js';
import { defineRule } from './define.js';

/**
 * Postfix's permit_auth_destination: mail for a local domain. A local part
 * that routes elsewhere (user%remote@, a!b@, "a@b"@) never counts, whatever
 * its domain, so that no relay hides behind a local domain.
 */
export async function isAuthorizedDestination(store: Store, recipient: string): Promise<boolean> {
  const { localPart, domain } = addressParts(recipient);
  if (domain === '' || hasRoutingOperator(localPart)) return false;
  return isLocalDomain(store, domain);
}

/** reject_unauth_destination: $relay_domains_reject_code 5.7.1 "Relay access denied" unless the recipient is local. */
export const rejectUnauthDestination = defineRule('reject_unauth_destination', (config) => async ({ facts, env }) => {
  if (facts.recipient === null || (await isAuthorizedDestination(env.store, facts.recipient))) return DUNNO;
  return rejectWith(config.smtpd.relay_domains_reject_code, '5.7.1', `<${facts.recipient}>: Relay access denied`);
});

/** defer_unauth_destination: the same test answered with a 4xx (Postfix: relay code − 100, 4.7.1). */
export const deferUnauthDestination = defineRule('defer_unauth_destination', (config) => {
  const relayCode = config.smtpd.relay_domains_reject_code;
  const code = relayCode >= 500 ? relayCode - 100 : relayCode;
  return async ({ facts, env }) => {
    if (facts.recipient === null || (await isAuthorizedDestination(env.store, facts.recipient))) return DUNNO;
    return rejectWith(code, '4.7.1', `<${facts.recipient}>: Relay access denied`);
  };
});
