import { hostname } from 'node:os';
import { domainKey, type Store } from '@postern/store';

/** The two Postfix settings that make a bare or host-only address local. */
export interface OriginSettings {
  hostname: string;
  /** Postfix myorigin, when configured. */
  myorigin?: string | undefined;
  /** Postfix mydestination; "$myhostname" stands for the hostname. */
  mydestination: readonly string[];
}

/**
 * Postfix myorigin, chosen so that a bare name lands in a local domain: the
 * configured one, else the hostname or its nearest parent that is a local
 * domain (mail.example.com → example.com), else the first local domain, else
 * the hostname itself.
 */
export async function myOrigin(store: Store, settings: OriginSettings): Promise<string> {
  if (settings.myorigin !== undefined) return domainKey(settings.myorigin);
  const labels = domainKey(settings.hostname).split('.');
  for (let i = 0; i < labels.length - 1; i++) {
    const candidate = labels.slice(i).join('.');
    if ((await store.getDomain(candidate)) !== null) return candidate;
  }
  return (await store.listDomains())[0]?.name ?? domainKey(settings.hostname);
}

/**
 * mydestination with "$myhostname" expanded, lower case, plus the machine's
 * own name (Postfix's myhostname defaults to it: mailutils and cron write
 * root@vm when the machine is called vm).
 */
export function localHostNames(settings: OriginSettings, machineName: string = hostname()): Set<string> {
  const names = settings.mydestination.map((name) => domainKey(name === '$myhostname' ? settings.hostname : name));
  return new Set(machineName === '' ? names : [...names, domainKey(machineName)]);
}

/**
 * Postfix append_at_myorigin plus the local names: "root" and "root@localhost"
 * (or root@ the hostname) both become root@myorigin, where the aliases of the
 * system's names (root, postmaster, cron's users) are kept. Other addresses
 * are returned as they are.
 */
export function qualifyLocalName(address: string, origin: string, localNames: ReadonlySet<string>): string {
  const at = address.lastIndexOf('@');
  if (at < 0) return `${address}@${origin}`;
  return localNames.has(domainKey(address.slice(at + 1))) ? `${address.slice(0, at)}@${origin}` : address;
}
