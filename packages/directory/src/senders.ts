import { aliasSourceKey } from '@postern/address';
import { addressKey, type SenderLogin, type Store } from '@postern/store';
import { DirectoryError } from './errors.js';
import { addressArg, aliasSourceArg } from './parse.js';
import { requireUser } from './users.js';

/** `postern sender allow ADDR LOGIN`: LOGIN (a user) may send as ADDR (an address or `@domain`). */
export async function allowSender(store: Store, addressInput: string, loginInput: string): Promise<SenderLogin> {
  const address = aliasSourceKey(aliasSourceArg(addressInput)).toLowerCase();
  const login = await requireUser(store, loginInput);
  return store.addSenderLogin(address, login.address);
}

export async function denySender(store: Store, addressInput: string, loginInput: string): Promise<void> {
  const address = aliasSourceKey(aliasSourceArg(addressInput)).toLowerCase();
  const login = addressArg(loginInput).address.toLowerCase();
  if (!(await store.removeSenderLogin(address, login))) {
    throw new DirectoryError(`${login} has no explicit grant to send as ${address}`);
  }
}

/**
 * smtpd_sender_login_maps: the logins that own a sender address. A user
 * owns its own address and the aliases that point to it; grants add owners,
 * for one address or for a whole `@domain`.
 */
export async function senderOwners(store: Store, sender: string): Promise<string[]> {
  const key = addressKey(sender);
  const owners = new Set<string>();
  if (await store.getUser(key)) owners.add(key);
  const alias = await store.getAlias(key);
  for (const target of alias?.targets ?? []) {
    if (await store.getUser(target)) owners.add(target);
  }
  const domain = key.slice(key.lastIndexOf('@'));
  for (const grantKey of [key, domain]) {
    for (const grant of await store.listSenderLogins({ address: grantKey })) owners.add(grant.login);
  }
  return [...owners].sort();
}
