import { StoreConflictError, type Domain, type Store } from '@postern/store';
import { DirectoryError } from './errors.js';
import { domainArg } from './parse.js';

export async function addDomain(store: Store, input: string): Promise<Domain> {
  const name = domainArg(input);
  try {
    return await store.addDomain(name);
  } catch (err) {
    if (err instanceof StoreConflictError) throw new DirectoryError(`domain ${name} already exists`);
    throw err;
  }
}

export async function requireLocalDomain(store: Store, name: string): Promise<void> {
  if (!(await store.getDomain(name))) {
    throw new DirectoryError(`${name} is not a local domain (add it with: postern domain add ${name})`);
  }
}

/**
 * Deletes a domain. Refuses while users or aliases live in it, unless
 * `force`, which deletes them (and their mail) first.
 */
export async function deleteDomain(store: Store, input: string, options: { force?: boolean } = {}): Promise<void> {
  const name = domainArg(input);
  await requireLocalDomain(store, name);
  const users = await store.listUsers({ domain: name });
  const aliases = await store.listAliases({ domain: name });
  if (!options.force && (users.length > 0 || aliases.length > 0)) {
    throw new DirectoryError(
      `domain ${name} still has ${users.length} user(s) and ${aliases.length} alias(es); delete them first or use --force`,
    );
  }
  for (const user of users) await store.deleteUser(user.address);
  for (const alias of aliases) await store.removeAlias(alias.address);
  for (const entry of await store.listSenderLogins()) {
    if (entry.address.endsWith(`@${name}`)) await store.removeSenderLogin(entry.address, entry.login);
  }
  for (const key of await store.listDkimKeys(name)) await store.deleteDkimKey(name, key.selector);
  await store.deleteDomain(name);
}
