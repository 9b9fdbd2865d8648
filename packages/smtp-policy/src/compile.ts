import { ConfigError, type PosternConfig } from '@postern/config';
import { PolicyEngine } from './engine.js';
import { RULES } from './registry.js';
import { compileRestrictionList, type CompiledList } from './restriction-list.js';
import { STAGES, type Stage } from './types.js';

/** The config key of a stage's list: smtpd.<stage>_restrictions. */
export function restrictionsKey(stage: Stage): `${Stage}_restrictions` {
  return `${stage}_restrictions`;
}

// Postfix's shorthand: a bare "type:table" in a list is that list's own access check.
const DEFAULT_ACCESS_RULE: Partial<Record<Stage, string>> = {
  client: 'check_client_access',
  helo: 'check_helo_access',
  sender: 'check_sender_access',
  relay: 'check_recipient_access',
  recipient: 'check_recipient_access',
};

// Postfix refuses to start unless one of these guards the RCPT stage ("open relay" check).
const RELAY_GUARDS = new Set(['reject_unauth_destination', 'defer_unauth_destination', 'reject', 'defer']);

function guardsRelay(list: CompiledList): boolean {
  return list.some((entry) => !entry.warnIfReject && RELAY_GUARDS.has(entry.rule.name));
}

/**
 * Compiles the seven smtpd.<stage>_restrictions lists. Throws ConfigError
 * listing every unknown rule, bad argument or unreadable table by its key,
 * and refuses an open relay: neither the relay nor the recipient list ends
 * the way to other domains (Postfix's fatal error for the same mistake).
 */
export function compilePolicy(config: PosternConfig): PolicyEngine {
  const problems: string[] = [];
  const lists = {} as Record<Stage, CompiledList>;
  for (const stage of STAGES) {
    const key = `smtpd.${restrictionsKey(stage)}`;
    const items = config.smtpd[restrictionsKey(stage)].map((text, index) => ({ text, source: `${key}[${index}]` }));
    const defaultAccessRule = DEFAULT_ACCESS_RULE[stage];
    lists[stage] = compileRestrictionList(items, { config, registry: RULES, ...(defaultAccessRule ? { defaultAccessRule } : {}) }, problems);
  }
  if (problems.length === 0 && !guardsRelay(lists.relay) && !guardsRelay(lists.recipient)) {
    problems.push(
      'smtpd.relay_restrictions: this would be an open relay — neither smtpd.relay_restrictions nor smtpd.recipient_restrictions contains ' +
        'reject_unauth_destination, defer_unauth_destination, reject or defer (end smtpd.relay_restrictions with reject_unauth_destination, ' +
        'e.g. ["permit_mynetworks", "permit_sasl_authenticated", "reject_unauth_destination"])',
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return new PolicyEngine(lists, config.smtpd.delay_reject);
}
