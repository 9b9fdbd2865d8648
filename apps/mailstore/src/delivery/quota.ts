import type { Store, User } from '@postern/store';

/** True when storing `size` more bytes would take the user past the quota (0 = unlimited). */
export function exceedsQuota(user: Pick<User, 'quota' | 'storageUsed'>, size: number): boolean {
  return user.quota > 0 && user.storageUsed + size > user.quota;
}

/**
 * The quota check just before a delivery, on the user's current usage (the
 * record from RCPT time may be stale). Two concurrent deliveries can both
 * pass it: the quota is soft by one message, as Dovecot's is by default.
 */
export async function wouldExceedQuota(store: Store, user: User, size: number): Promise<boolean> {
  if (user.quota <= 0) return false;
  const current = (await store.getUserById(user.id)) ?? user;
  return exceedsQuota(current, size);
}
