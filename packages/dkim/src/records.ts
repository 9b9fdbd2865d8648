import type { DkimAlgorithm } from './keys.js';

/** The DNS record that publishes a DKIM key (RFC 6376 §3.6.1, RFC 8463 for ed25519). */
export function dkimTxtRecord(domain: string, selector: string, algorithm: DkimAlgorithm, publicKey: string): { name: string; value: string } {
  return { name: `${selector}._domainkey.${domain}`, value: `v=DKIM1; k=${algorithm}; p=${publicKey}` };
}

/**
 * A TXT value as a zone file wants it: quoted strings of at most 255
 * characters each (RFC 1035 §3.3.14 character-strings).
 */
export function zoneTxt(value: string): string {
  const chunks = value.match(/.{1,255}/g) ?? [''];
  return chunks.map((c) => `"${c}"`).join(' ');
}
