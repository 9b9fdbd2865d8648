import type { PosternConfig } from '@postern/config';
import type { DkimKey, Store } from '@postern/store';
import { activateDueDkimKeys } from './dkim-activation.js';
import type { SealKey } from './types.js';

/**
 * The keys that sign mail from `domain`: the selector the signing table
 * (OpenDKIM's SigningTable) names for the From address, the envelope sender,
 * or "*@domain", in that order; without an entry, every active key of the
 * domain (an RSA and an Ed25519 key give two signatures, RFC 8463 §4). A
 * pending key whose dkim.publish_delay has passed is activated first.
 */
export async function signingKeys(store: Store, config: PosternConfig, domain: string, senders: string[]): Promise<DkimKey[]> {
  let keys = await store.listDkimKeys(domain);
  if ((await activateDueDkimKeys(store, keys, new Date(), config.dkim.rotation_grace)).length > 0) keys = await store.listDkimKeys(domain);
  const active = keys.filter((key) => key.active);
  const selector = signingTableSelector(config.dkim.signing_table, domain, senders);
  // A rotated-out (inactive) key's record is withdrawn after the grace period, so the table cannot bring it back;
  // an entry naming a missing or inactive selector falls back to the active keys rather than leave mail unsigned.
  const named = selector === null ? undefined : active.find((key) => key.selector === selector);
  return named ? [named] : active;
}

function signingTableSelector(table: Record<string, string>, domain: string, senders: string[]): string | null {
  const entries = new Map(Object.entries(table).map(([sender, selector]) => [sender.trim().toLowerCase(), selector]));
  for (const sender of senders) {
    const selector = entries.get(sender.toLowerCase());
    if (selector !== undefined) return selector;
  }
  return entries.get(`*@${domain}`) ?? null;
}

/**
 * The key that seals ARC sets for `domain`: its first active RSA key.
 * mailauth 4.13.3 signs ARC-Message-Signature with rsa-sha256 only, and few
 * verifiers accept Ed25519 in ARC, so a domain with only Ed25519 keys gets null.
 */
export async function sealKeyFor(store: Store, domain: string): Promise<SealKey | null> {
  const key = (await store.listDkimKeys(domain)).find((k) => k.active && k.algorithm === 'rsa');
  return key ? { domain: key.domain, selector: key.selector, privateKey: key.privateKey } : null;
}
