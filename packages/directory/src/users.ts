import { StoreConflictError, type Store, type User, type UserPatch } from '@postern/store';
import { requireLocalDomain } from './domains.js';
import { DirectoryError } from './errors.js';
import { ensureDefaultMailboxes } from './mailboxes.js';
import { addressArg } from './parse.js';

export interface NewUserInput {
  address: string;
  passwordHash: string;
  name?: string | null;
  quota?: number;
}

export async function addUser(store: Store, input: NewUserInput): Promise<User> {
  const { address, domain } = addressArg(input.address);
  await requireLocalDomain(store, domain);
  let user: User;
  try {
    user = await store.addUser({ address, passwordHash: input.passwordHash, name: input.name ?? null, quota: input.quota ?? 0 });
  } catch (err) {
    if (err instanceof StoreConflictError) throw new DirectoryError(`user ${address} already exists`);
    throw err;
  }
  await ensureDefaultMailboxes(store, user);
  return user;
}

export async function requireUser(store: Store, input: string): Promise<User> {
  const { address } = addressArg(input);
  const user = await store.getUser(address);
  if (!user) throw new DirectoryError(`no such user: ${address}`);
  return user;
}

export async function deleteUser(store: Store, input: string): Promise<void> {
  const user = await requireUser(store, input);
  await store.deleteUser(user.address);
  // The user's sender-login grants go with it.
  for (const entry of await store.listSenderLogins({ login: user.address })) {
    await store.removeSenderLogin(entry.address, entry.login);
  }
}

/** Changes what `user disable|enable|quota|set` change; the hash has its own setPasswordHash. */
export async function updateUser(store: Store, input: string, patch: Pick<UserPatch, 'disabled' | 'quota' | 'name'>): Promise<User> {
  const user = await requireUser(store, input);
  const updated = await store.updateUser(user.address, patch);
  if (!updated) throw new DirectoryError(`no such user: ${user.address}`);
  return updated;
}

export async function setPasswordHash(store: Store, input: string, passwordHash: string): Promise<User> {
  const user = await requireUser(store, input);
  const updated = await store.updateUser(user.address, { passwordHash });
  if (!updated) throw new DirectoryError(`no such user: ${user.address}`);
  return updated;
}
