import { aliasSourceKey } from '@postern/address';
import type { Alias, Store } from '@postern/store';
import { requireLocalDomain } from './domains.js';
import { DirectoryError } from './errors.js';
import { addressArg, aliasSourceArg } from './parse.js';
import { resolveRecipient } from './recipients.js';

/**
 * Adds targets to an alias (creating it). The source must be in a local
 * domain; targets may be anywhere. Refuses a change that would make alias
 * expansion loop, checked before anything is written.
 */
export async function addAlias(store: Store, sourceInput: string, targetInputs: string[], options: { recipientDelimiter: string }): Promise<Alias> {
  if (targetInputs.length === 0) throw new DirectoryError('an alias needs at least one target address');
  const source = aliasSourceArg(sourceInput);
  const sourceKey = aliasSourceKey(source).toLowerCase();
  await requireLocalDomain(store, source.kind === 'catchall' ? source.domain : source.address.domain);
  const targets = targetInputs.map((t) => {
    if (t.trim().startsWith('@')) throw new DirectoryError(`alias target "${t}" must be an address, not a domain`);
    return addressArg(t).address.toLowerCase();
  });

  const existing = (await store.getAlias(sourceKey))?.targets ?? [];
  const overlay = new Map([[sourceKey, [...new Set([...existing, ...targets])]]]);
  const starts = source.kind === 'catchall' ? targets : [sourceKey];
  for (const start of starts) await resolveRecipient(store, start, { ...options, overlay });

  return store.addAliasTargets(sourceKey, targets);
}

export async function removeAlias(store: Store, sourceInput: string, targetInput?: string): Promise<void> {
  const sourceKey = aliasSourceKey(aliasSourceArg(sourceInput)).toLowerCase();
  const target = targetInput === undefined ? undefined : addressArg(targetInput).address.toLowerCase();
  if (!(await store.removeAlias(sourceKey, target))) {
    throw new DirectoryError(target ? `alias ${sourceKey} has no target ${target}` : `no such alias: ${sourceKey}`);
  }
}
