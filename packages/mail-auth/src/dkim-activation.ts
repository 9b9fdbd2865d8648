// The switch from a rotated-out DKIM key to its pending successor. `postern dkim rotate` makes
// the new key pending so that nothing is signed with it before receivers can find its record
// (RFC 6376 §3.6.2.1: the verifier looks the key up at <selector>._domainkey.<domain>); it signs
// once `postern dns check` or `postern dkim activate` sees the record, or at its activateAt.
import type { DkimKey, Store } from '@postern/store';

/** A key made by `rotate` that does not sign yet. */
export function isPendingDkimKey(key: DkimKey): boolean {
  return !key.active && key.activateAt !== null;
}

export interface Activation {
  activated: DkimKey;
  /** The keys of the same algorithm that stopped signing; they stay published until their retireAt. */
  retired: DkimKey[];
}

/**
 * Makes `key` the signing key of its algorithm: it becomes active first (the
 * domain is never left without one), then the others of its algorithm stop
 * signing and stay published for `graceMs`, so that mail signed with them
 * still verifies while it is in transit or re-checked.
 */
export async function activateDkimKey(store: Store, key: DkimKey, now: Date, graceMs: number): Promise<Activation> {
  const others = (await store.listDkimKeys(key.domain)).filter((k) => k.active && k.algorithm === key.algorithm && k.selector !== key.selector);
  const activated = (await store.updateDkimKey(key.domain, key.selector, { active: true, activateAt: null })) ?? { ...key, active: true, activateAt: null };
  const retireAt = new Date(now.getTime() + graceMs);
  const retired: DkimKey[] = [];
  for (const old of others) {
    const updated = await store.updateDkimKey(old.domain, old.selector, { active: false, retireAt });
    if (updated) retired.push(updated);
  }
  return { activated, retired };
}

/**
 * Activates the pending keys among `keys` whose activateAt has come
 * (dkim.publish_delay passed without a DNS check seeing the record); returns
 * whether any was, so that the caller reads the keys again.
 */
export async function activateDueDkimKeys(store: Store, keys: DkimKey[], now: Date, graceMs: number): Promise<Activation[]> {
  const due = keys.filter((key) => isPendingDkimKey(key) && key.activateAt! <= now);
  const activations: Activation[] = [];
  for (const key of due) activations.push(await activateDkimKey(store, key, now, graceMs));
  return activations;
}
