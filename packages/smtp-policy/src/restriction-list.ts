import { closestName, type PosternConfig } from '@postern/config';
import type { Rule, RuleDefinition } from './types.js';

/** One rule of a compiled list, with where it was written (for errors and logs). */
export interface CompiledEntry {
  rule: Rule;
  /** Preceded by warn_if_reject: a reject is logged as a warning instead. */
  warnIfReject: boolean;
  /** `smtpd.recipient_restrictions[2]`, or `file:/etc/postern/access line 4`. */
  source: string;
}

export type CompiledList = readonly CompiledEntry[];

/** A list item as written, with the name of the place it came from. */
export interface ListItem {
  text: string;
  source: string;
}

export type RuleRegistry = ReadonlyMap<string, RuleDefinition>;

export interface ListOptions {
  config: PosternConfig;
  registry: RuleRegistry;
  /** The check_*_access rule a bare `type:table` item stands for in this list (Postfix's shorthand), if any. */
  defaultAccessRule?: string;
}

const WARN_IF_REJECT = 'warn_if_reject';

/**
 * Parses restriction list items into rules. An item may hold a rule and its
 * arguments ("reject_rbl_client zen.example") or the arguments may follow as
 * their own items, as in Postfix; names are case-insensitive. Problems are
 * appended to `problems`, each naming the item.
 */
export function compileRestrictionList(items: readonly ListItem[], options: ListOptions, problems: string[]): CompiledList {
  const tokens = items.flatMap((item) =>
    item.text
      .split(/[\s,]+/)
      .filter((text) => text !== '')
      .map((text) => ({ text, source: item.source })),
  );
  const entries: CompiledEntry[] = [];
  let warnFrom: string | null = null;

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === undefined) break;
    let name = token.text.toLowerCase();
    let args: string[] = [];

    if (name === WARN_IF_REJECT) {
      warnFrom ??= token.source;
      continue;
    }
    let definition: RuleDefinition | undefined;
    if (token.text.includes(':')) {
      // Postfix: a bare "type:table" in a list is the list's own check_*_access.
      if (options.defaultAccessRule === undefined) {
        problems.push(`${token.source}: "${token.text}" is a lookup table; write it after check_client_access, check_helo_access, check_sender_access or check_recipient_access`);
        continue;
      }
      name = options.defaultAccessRule;
      definition = options.registry.get(name);
      args = [token.text];
    } else {
      definition = options.registry.get(name);
      if (definition === undefined) {
        const hint = closestName(token.text, [...options.registry.keys()]);
        problems.push(`${token.source}: unknown rule "${token.text}"${hint ? ` (did you mean ${hint}?)` : ''}`);
        continue;
      }
      const taken = tokens.slice(i + 1, i + 1 + definition.arity);
      if (taken.length < definition.arity) {
        problems.push(`${token.source}: ${definition.name} needs ${definition.arity === 1 ? 'an argument' : `${definition.arity} arguments`} (${definition.usage ?? definition.name})`);
        i += taken.length;
        continue;
      }
      args = taken.map((arg) => arg.text);
      i += definition.arity;
    }
    if (definition === undefined) {
      problems.push(`${token.source}: unknown rule "${name}"`);
      continue;
    }
    let rule: Rule;
    try {
      rule = definition.create(args, options.config);
    } catch (error) {
      const written = [definition.name, ...args].join(' ');
      problems.push(`${token.source}: ${written}: ${(error as Error).message}`);
      continue;
    }
    entries.push({ rule, warnIfReject: warnFrom !== null, source: token.source });
    warnFrom = null;
  }
  if (warnFrom !== null) problems.push(`${warnFrom}: warn_if_reject must be followed by the rule it applies to`);
  return entries;
}
