import { generateDkimKey, type DkimAlgorithm } from '@postern/dkim';
import type { DkimKey, Store } from '@postern/store';
import { nextDatedSelector } from './dkim-keys.js';

export interface Rotation {
  /** The new active keys, one per rotated algorithm. */
  added: DkimKey[];
  /** Keys that stopped signing; they stay published until their retireAt. */
  retired: DkimKey[];
  /** Keys whose grace period had ended, now gone from the store. */
  deleted: DkimKey[];
}

/**
 * `postern dkim rotate`: a new key with a new dated selector for each
 * algorithm (by default those the domain signs with now, else RSA); the
 * older active keys of that algorithm stop signing and stay published for
 * the grace period, so that mail signed with them still verifies; keys whose
 * grace period is over are deleted.
 */
export async function rotateDkimKeys(store: Store, domain: string, options: { algorithm: DkimAlgorithm | null; graceMs: number; now: Date }): Promise<Rotation> {
  const { now } = options;
  const keys = await store.listDkimKeys(domain);
  // Selectors of the keys deleted below still count: their records may still be in DNS caches.
  const taken = new Set(keys.map((k) => k.selector));

  const deleted: DkimKey[] = [];
  for (const key of keys) {
    if (!key.active && key.retireAt !== null && key.retireAt <= now && (await store.deleteDkimKey(domain, key.selector))) deleted.push(key);
  }

  const signing = [...new Set(keys.filter((k) => k.active).map((k) => k.algorithm))];
  const algorithms: DkimAlgorithm[] = options.algorithm ? [options.algorithm] : signing.length > 0 ? signing : ['rsa'];
  const added: DkimKey[] = [];
  const retired: DkimKey[] = [];
  const retireAt = new Date(now.getTime() + options.graceMs);
  for (const algorithm of algorithms) {
    const selector = nextDatedSelector(taken, now);
    taken.add(selector);
    // The new key is in place before the old ones stop signing: the domain is never left without an active key.
    added.push(await store.addDkimKey({ domain, selector, ...generateDkimKey(algorithm), active: true }));
    for (const old of keys.filter((k) => k.active && k.algorithm === algorithm)) {
      const updated = await store.updateDkimKey(domain, old.selector, { active: false, retireAt });
      if (updated) retired.push(updated);
    }
  }
  return { added, retired, deleted };
}
