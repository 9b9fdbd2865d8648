import { ConfigError } from '@postern/config';
import { compileRestrictionList, type CompiledList, type ListItem, type RuleRegistry } from './restriction-list.js';
import { accessRules } from './rules/access.js';
import { rejectInvalidHeloHostname, rejectUnknownHeloHostname } from './rules/helo-hostname.js';
import { rejectUnknownClientHostname, rejectUnknownReverseClientHostname } from './rules/client-hostname.js';
import { rejectRblClient, rejectRhsblClient, rejectRhsblHelo, rejectRhsblRecipient, rejectRhsblReverseClient, rejectRhsblSender } from './rules/dnsbl.js';
import { defer, permit, reject } from './rules/generic.js';
import { permitMynetworks } from './rules/mynetworks.js';
import { rejectNonFqdnHeloHostname, rejectNonFqdnRecipient, rejectNonFqdnSender } from './rules/non-fqdn.js';
import { rejectUnauthPipelining } from './rules/pipelining.js';
import { permitSaslAuthenticated } from './rules/sasl.js';
import {
  rejectAuthenticatedSenderLoginMismatch,
  rejectKnownSenderLoginMismatch,
  rejectSenderLoginMismatch,
  rejectUnauthenticatedSenderLoginMismatch,
} from './rules/sender-login.js';
import { checkPolicyService } from './rules/policy-service.js';
import { rejectSpfFail } from './rules/spf.js';
import { deferUnauthDestination, rejectUnauthDestination } from './rules/unauth-destination.js';
import { rejectUnknownRecipientDomain, rejectUnknownSenderDomain } from './rules/unknown-domain.js';
import type { RuleDefinition } from './types.js';

const registry = new Map<string, RuleDefinition>();

/** Access-table right-hand sides hold restriction names, compiled with this same registry. */
function compileNested(items: ListItem[], config: Parameters<typeof compileRestrictionList>[1]['config']): CompiledList {
  const problems: string[] = [];
  const list = compileRestrictionList(items, { config, registry }, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return list;
}

for (const definition of [
  permit,
  reject,
  defer,
  permitMynetworks,
  permitSaslAuthenticated,
  rejectUnauthDestination,
  deferUnauthDestination,
  rejectSenderLoginMismatch,
  rejectAuthenticatedSenderLoginMismatch,
  rejectUnauthenticatedSenderLoginMismatch,
  rejectKnownSenderLoginMismatch,
  rejectNonFqdnSender,
  rejectNonFqdnRecipient,
  rejectNonFqdnHeloHostname,
  rejectInvalidHeloHostname,
  rejectUnknownHeloHostname,
  rejectUnknownSenderDomain,
  rejectUnknownRecipientDomain,
  rejectUnknownClientHostname,
  rejectUnknownReverseClientHostname,
  rejectUnauthPipelining,
  rejectRblClient,
  rejectRhsblClient,
  rejectRhsblReverseClient,
  rejectRhsblHelo,
  rejectRhsblSender,
  rejectRhsblRecipient,
  rejectSpfFail,
  ...accessRules(compileNested),
  checkPolicyService(compileNested),
]) {
  registry.set(definition.name, definition);
}

/** Every rule name a restriction list may use, by Postfix's names (plus reject_spf_fail). */
export const RULES: RuleRegistry = registry;
