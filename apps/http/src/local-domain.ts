// Which mail domain a client-configuration request is about, among the store's local domains.
import type { IncomingMessage } from 'node:http';
import type { Store } from '@postern/store';
import { addressDomain, HttpError, requestHost } from './request.js';

export interface DomainQuery {
  /** The local domains the answer is for, the asked one first. */
  domains: string[];
  /** The address given (`emailaddress=`), if any. */
  address: string | null;
}

/**
 * The domain of `address` when given (404 when it is not local); else the one named by the Host
 * (`autoconfig.example.com`, `autodiscover.example.com` or `example.com`); else every local domain.
 */
export async function localDomains(store: Store, req: IncomingMessage, address: string | null): Promise<DomainQuery> {
  const all = (await store.listDomains()).map((domain) => domain.name);
  if (address !== null) {
    const domain = addressDomain(address);
    if (domain === null) throw new HttpError(400, 'emailaddress is not an address');
    if (!all.includes(domain)) throw new HttpError(404, `${domain} is not a domain of this server`);
    return { domains: [domain], address };
  }
  const host = requestHost(req)?.replace(/^(autoconfig|autodiscover)\./, '');
  if (host !== undefined && all.includes(host)) return { domains: [host], address: null };
  if (all.length === 0) throw new HttpError(404, 'no mail domain is configured');
  return { domains: all, address: null };
}
