import { parseDomain } from '@postern/address';
import type { Store } from '@postern/store';

/** A domain this server receives mail for: one added with `postern domain add` (virtual_mailbox_domains). */
export async function isLocalDomain(store: Store, domain: string): Promise<boolean> {
  let name: string;
  try {
    name = parseDomain(domain);
  } catch {
    return false;
  }
  return (await store.getDomain(name)) !== null;
}
