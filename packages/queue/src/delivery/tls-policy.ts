import { readFile } from 'node:fs/promises';
import type { PosternConfig } from '@postern/config';
import type { TlsaRecord } from '@postern/dns';
import type { NextHop } from './next-hop.js';

/**
 * Postfix smtp_tls_security_level, weakest first. "dane" (RFC 7672) is
 * mandatory TLS authenticated by TLSA records instead of a CA, so it sits
 * above "encrypt" and below the CA-verified levels.
 */
export type TlsLevel = 'none' | 'may' | 'encrypt' | 'dane' | 'verify' | 'secure';
const ORDER: readonly TlsLevel[] = ['none', 'may', 'encrypt', 'dane', 'verify', 'secure'];

export const atLeast = (level: TlsLevel, floor: TlsLevel): boolean => ORDER.indexOf(level) >= ORDER.indexOf(floor);

/** A level that authenticates the server: a CA ("verify", "secure") or TLSA records ("dane", where published; else the CA check decides). */
const authenticates = (level: TlsLevel): boolean => level === 'dane' || atLeast(level, 'verify');

/** How one delivery treats TLS. */
export interface TlsPolicy {
  level: TlsLevel;
  /** At "secure": the names the certificate must carry (the next hop, and for an MX-looked-up hop any host under it). */
  secureNames: string[];
  /** AUTH may go over a connection whose certificate was not verified: only when the operator lowered the relay host's level. */
  authOverUnverified: boolean;
  /** What raised the level when not the configuration, for messages: "under the MTA-STS policy of example.net (enforce)". */
  requiredBy?: string;
  /** At "dane" for one MX host: its usable TLSA records and the names a DANE-TA(2) certificate must carry (RFC 7672 §3.2.2). */
  tlsa?: { records: TlsaRecord[]; names: string[] };
}

/**
 * The level for a next hop: smtp.tls_security_level, except for the relay
 * host with a login, which gets smtp.relayhost_tls_security_level or, when
 * that is unset, at least "verify", so that a SendGrid or SES key never goes
 * to whoever sits on the path.
 */
export function tlsPolicyFor(config: PosternConfig, hop: NextHop, withCredentials: boolean): TlsPolicy {
  const { tls_security_level: base, relayhost_tls_security_level: relayLevel } = config.smtp;
  const secureNames = hop.mx ? [hop.host, `.${hop.host}`] : [hop.host];
  if (hop.source !== 'relayhost') return { level: base, secureNames, authOverUnverified: false };
  if (relayLevel !== undefined) return { level: relayLevel, secureNames, authOverUnverified: !authenticates(relayLevel) };
  if (!withCredentials) return { level: base, secureNames, authOverUnverified: false };
  return { level: atLeast(base, 'verify') ? base : 'verify', secureNames, authOverUnverified: false };
}

/** smtp.tls_CAfile's certificates (undefined: the system store); throws naming the file when it cannot be read. */
export async function trustedCas(config: PosternConfig): Promise<Buffer | undefined> {
  const file = config.smtp.tls_CAfile;
  if (file === undefined) return undefined;
  try {
    return await readFile(file);
  } catch (error) {
    throw new Error(`cannot read smtp.tls_CAfile ${file}: ${(error as Error).message}`);
  }
}

/** The start-up warning when the operator lets relay host credentials go over unverified TLS; null when they cannot. */
export function relayTlsWarning(config: PosternConfig): string | null {
  const { relayhost, relayhost_username: username, relayhost_tls_security_level: level } = config.smtp;
  if (relayhost === undefined || username === undefined || level === undefined || authenticates(level)) return null;
  return `smtp.relayhost_tls_security_level = "${level}": the login for ${relayhost} is sent over TLS whose certificate is not verified; anyone on the path can take it (use "verify" with smtp.tls_CAfile)`;
}
