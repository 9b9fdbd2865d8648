import type { PosternConfig } from '@postern/config';
import { parseAccessAction, type AccessAction } from '../access/action.js';
import { domainKeys, ipKeys, mailAddressKeys } from '../access/keys.js';
import { readLookupTable } from '../access/table.js';
import { addressParts, hasRoutingOperator } from '../address-parts.js';
import { evaluateList } from '../evaluate-list.js';
import { DUNNO, PERMIT, clientSubject, rejectWith, rejectedText, type ReplySubject } from '../reply.js';
import type { CompiledList, ListItem } from '../restriction-list.js';
import type { RuleContext, RuleDefinition, RuleResult, SessionFacts } from '../types.js';

/** Compiles the restriction names on an access table's right-hand side; throws with every problem. */
export type NestedCompiler = (items: ListItem[], config: PosternConfig) => CompiledList;

export interface Lookup {
  subject: ReplySubject;
  /** Keys in the order Postfix tries them; the first one in the table decides. */
  keys: string[];
  /** check_recipient_access: an OK for a routed address is only a DUNNO (Postfix's SUSPICIOUS). */
  routed?: boolean;
}

interface AccessTarget {
  name: string;
  /** What this rule looks up in the session, or null when the session has nothing to look up yet. */
  lookup(facts: SessionFacts, config: PosternConfig): Lookup | null;
}

interface TableAction {
  action: AccessAction;
  line: number;
}

function compileTable(spec: string, config: PosternConfig, compileNested: NestedCompiler): { name: string; entries: Map<string, TableAction> } {
  const table = readLookupTable(spec);
  const entries = new Map<string, TableAction>();
  for (const entry of table.entries()) {
    const source = `${table.name} line ${entry.line}`;
    try {
      const action = parseAccessAction(entry.value, (items) => compileNested(items.map((text) => ({ text, source })), config));
      entries.set(entry.key, { action, line: entry.line });
    } catch (error) {
      const message = (error as Error).message;
      throw new Error(message.startsWith(source) ? message : `${source}: ${message}`);
    }
  }
  return { name: table.name, entries };
}

/** What an access(5) action means for the command being checked: shared by the access tables and check_policy_service. */
export async function applyAction(action: AccessAction, lookup: Lookup, ctx: RuleContext, ruleName: string, config: PosternConfig): Promise<RuleResult> {
  switch (action.kind) {
    case 'permit':
      return lookup.routed ? DUNNO : PERMIT;
    case 'dunno':
      return DUNNO;
    case 'reject':
      return rejectWith(action.code ?? config.smtpd.access_map_reject_code, action.enhanced, rejectedText(lookup.subject, action.text || 'Access denied'));
    case 'defer_if_permit':
    case 'defer_if_reject': {
      // Postfix: "450 4.7.1 <subject>: … rejected: text" (defer_code 450).
      const deferral = { code: 450, enhanced: action.enhanced, text: rejectedText(lookup.subject, action.text || 'Service unavailable') };
      return action.kind === 'defer_if_permit' ? { action: 'dunno', deferIfPermit: deferral } : { action: 'dunno', deferIfReject: deferral };
    }
    case 'prepend':
      return { action: 'dunno', prepend: [action.field] };
    case 'warn':
    case 'info':
      return { action: 'dunno', warnings: [`${action.kind}: ${ctx.stage} ${ruleName}: <${lookup.subject.name}>: ${action.text}`] };
    case 'restrictions': {
      const outcome = await evaluateList(action.list, ctx);
      const { warnings, prepend, deferIfPermit, deferIfReject } = outcome;
      const effects = { warnings, prepend, ...(deferIfPermit ? { deferIfPermit } : {}), ...(deferIfReject ? { deferIfReject } : {}) };
      if (outcome.action === 'reject') return { action: 'reject', code: outcome.code, enhanced: outcome.enhanced, text: outcome.text, ...effects };
      if (outcome.action === 'permit' && lookup.routed) return { action: 'dunno', ...effects };
      return { action: outcome.action, ...effects };
    }
  }
}

function defineAccessRule(target: AccessTarget, compileNested: NestedCompiler): RuleDefinition {
  return {
    name: target.name,
    arity: 1,
    usage: `${target.name} file:/path/to/table`,
    create(args, config) {
      const table = compileTable(args[0] ?? '', config, compileNested);
      return {
        name: target.name,
        async evaluate(ctx) {
          const lookup = target.lookup(ctx.facts, config);
          if (lookup === null) return DUNNO;
          for (const key of lookup.keys) {
            const entry = table.entries.get(key);
            if (entry) return applyAction(entry.action, lookup, ctx, target.name, config);
          }
          return DUNNO;
        },
      };
    },
  };
}

// smtpd_null_access_lookup_key: the null sender is looked up as "<>".
const NULL_SENDER_KEY = '<>';

/** check_client_access, check_helo_access, check_sender_access and check_recipient_access over `file:` tables. */
export function accessRules(compileNested: NestedCompiler): RuleDefinition[] {
  return [
    defineAccessRule(
      {
        name: 'check_client_access',
        // The verified hostname and its parents first, then the address and its networks.
        lookup: (facts) => ({ subject: clientSubject(facts), keys: [...(facts.clientHostname ? domainKeys(facts.clientHostname) : []), ...ipKeys(facts.clientAddress)] }),
      },
      compileNested,
    ),
    defineAccessRule(
      {
        name: 'check_helo_access',
        lookup: (facts) => (facts.helo === null ? null : { subject: { name: facts.helo, class: 'Helo command' }, keys: domainKeys(facts.helo) }),
      },
      compileNested,
    ),
    defineAccessRule(
      {
        name: 'check_sender_access',
        lookup: (facts, config) => {
          if (facts.sender === null) return null;
          const subject: ReplySubject = { name: facts.sender, class: 'Sender address' };
          if (facts.sender === '') return { subject, keys: [NULL_SENDER_KEY] };
          return { subject, keys: mailAddressKeys(facts.sender, config.smtpd.recipient_delimiter) };
        },
      },
      compileNested,
    ),
    defineAccessRule(
      {
        name: 'check_recipient_access',
        lookup: (facts, config) =>
          facts.recipient === null
            ? null
            : {
                subject: { name: facts.recipient, class: 'Recipient address' },
                keys: mailAddressKeys(facts.recipient, config.smtpd.recipient_delimiter),
                routed: hasRoutingOperator(addressParts(facts.recipient).localPart),
              },
      },
      compileNested,
    ),
  ];
}
