// The DNS zone most delivery tests need: each domain has one MX, mx.<domain>, at its own loopback address.
import type { ZoneRecords } from '../../../../test/support/dns-server.js';

/** `{ 'a.test': '127.0.0.5' }` → a.test MX 10 mx.a.test, mx.a.test A 127.0.0.5; the caller may add entries. */
export function mxZone(hosts: Record<string, string>): ZoneRecords {
  const zone: ZoneRecords = {};
  for (const [domain, address] of Object.entries(hosts)) {
    zone[domain] = { MX: [{ exchange: `mx.${domain}`, priority: 10 }] };
    zone[`mx.${domain}`] = { A: [address] };
  }
  return zone;
}
