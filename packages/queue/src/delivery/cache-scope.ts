import { createHash } from 'node:crypto';
import type { Credentials } from './credentials.js';
import type { TlsPolicy } from './tls-policy.js';

/**
 * What an SMTP session was set up under besides its route, as part of its
 * connection cache key: the TLS level and the certificate names it was held
 * to, and the relay login (the password as a digest: it can change on a
 * reload). A session is never reused by a delivery that asks for other TLS
 * or other credentials (Postfix keys its cache by the same, smtp(8)
 * "CONNECTION CACHE").
 */
export function cacheScope(tls: TlsPolicy, credentials: Credentials | null): string {
  const login = credentials === null ? '' : `${credentials.username}:${createHash('sha256').update(credentials.password).digest('hex').slice(0, 16)}`;
  return JSON.stringify([tls.level, tls.secureNames, tls.authOverUnverified, login]);
}
