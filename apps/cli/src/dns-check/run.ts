import { parseListenAddress, type PosternConfig } from '@postern/config';
import { createResolver, type Resolver } from '@postern/dns';
import type { Store } from '@postern/store';
import { MAIL_SRV_SERVICES, type MailSrvService } from '../records.js';
import { checkDomainDns } from './checks.js';
import type { Finding } from './finding.js';

/** The port of the first configured address of each RFC 6186 service, null when it has none. */
function srvPorts(config: PosternConfig): Record<MailSrvService, number | null> {
  const ports = {} as Record<MailSrvService, number | null>;
  for (const service of MAIL_SRV_SERVICES) {
    const first = config.listen[service][0];
    const address = first === undefined ? null : parseListenAddress(first, { allowUnix: false });
    ports[service] = address !== null && address.kind === 'tcp' ? address.port : null;
  }
  return ports;
}

/** [dns] servers, uncached: a record just published is seen at once. */
export function checkingResolver(config: PosternConfig): Resolver {
  return createResolver({ servers: config.dns.servers, timeoutMs: config.dns.timeout_ms, dnssecTrusted: config.dns.dnssec_trusted, cache: false });
}

/** `dns check DOMAIN` for a local domain of the store, as the config describes the server. */
export async function checkConfiguredDomain(store: Store, config: PosternConfig, domain: string, resolver = checkingResolver(config)): Promise<Finding[]> {
  return checkDomainDns({ domain, hostname: config.hostname, dkimKeys: await store.listDkimKeys(domain), srvPorts: srvPorts(config), resolver });
}
