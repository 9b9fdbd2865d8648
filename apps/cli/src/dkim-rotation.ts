import { generateDkimKey, type DkimAlgorithm } from '@postern/dkim';
import { activateDkimKey, isPendingDkimKey, type Activation } from '@postern/mail-auth';
import type { Resolver } from '@postern/dns';
import type { DkimKey, Store } from '@postern/store';
import { checkDkimKey } from './dns-check/checks.js';
import { nextDatedSelector, utcMinute } from './dkim-keys.js';

export interface Rotation {
  /** The new pending keys, one per rotated algorithm: they sign once published (or after dkim.publish_delay). */
  added: DkimKey[];
  /** Older pending keys of the same algorithms, never used to sign: deleted, replaced by the new ones. */
  replaced: DkimKey[];
  /** Keys whose grace period had ended, now gone from the store. */
  deleted: DkimKey[];
}

/**
 * `postern dkim rotate`: a new key with a new dated selector for each
 * algorithm (by default those the domain signs with now, else RSA), made
 * pending: the current keys go on signing until the new record is seen in DNS
 * (`postern dns check`, `postern dkim activate`) or `publishDelayMs` has
 * passed, so that no receiver meets a signature whose key it cannot find.
 * Keys whose grace period is over are deleted.
 */
export async function rotateDkimKeys(store: Store, domain: string, options: { algorithm: DkimAlgorithm | null; publishDelayMs: number; now: Date }): Promise<Rotation> {
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
  const replaced: DkimKey[] = [];
  const activateAt = new Date(now.getTime() + options.publishDelayMs);
  for (const algorithm of algorithms) {
    const selector = nextDatedSelector(taken, now);
    taken.add(selector);
    added.push(await store.addDkimKey({ domain, selector, ...generateDkimKey(algorithm), active: false, activateAt }));
    for (const older of keys.filter((k) => isPendingDkimKey(k) && k.algorithm === algorithm)) {
      if (await store.deleteDkimKey(domain, older.selector)) replaced.push(older);
    }
  }
  return { added, replaced, deleted };
}

/**
 * `postern dkim activate` and `postern dns check`: each pending key (or the
 * one named) whose TXT record the resolver finds with our public key starts
 * signing; with `force`, without looking. Returns what was activated and,
 * for the keys left pending, why.
 */
export async function activatePublishedKeys(
  store: Store,
  domain: string,
  options: { resolver: Resolver; selector?: string; force?: boolean; graceMs: number; now: Date },
): Promise<{ activations: Activation[]; waiting: { key: DkimKey; problem: string }[] }> {
  const pending = (await store.listDkimKeys(domain)).filter((key) => isPendingDkimKey(key) && (options.selector === undefined || key.selector === options.selector));
  const activations: Activation[] = [];
  const waiting: { key: DkimKey; problem: string }[] = [];
  for (const key of pending) {
    const finding = options.force ? null : await checkDkimKey(domain, key, options.resolver);
    if (finding === null || finding.status === 'ok') activations.push(await activateDkimKey(store, key, options.now, options.graceMs));
    else waiting.push({ key, problem: finding.problem ?? finding.status });
  }
  return { activations, waiting };
}

/** What an activation tells the person: the new key signs, the old one stays published until its retireAt. */
export function activationLines(domain: string, activations: Activation[], now: Date): string[] {
  return activations.flatMap(({ activated, retired }) => [
    `${activated.selector} (${activated.algorithm}) is published and signs mail from ${domain} from now on`,
    ...retired.map((key) => `key ${key.selector} (${key.algorithm}) no longer signs; keep ${key.selector}._domainkey.${domain} published until ${utcMinute(key.retireAt ?? now)}, then remove it from DNS`),
  ]);
}
