// TLSA records (RFC 6698 §2.1) with the acronyms of RFC 7218 §2.

/** RFC 7218 §2.1: certificate usage. */
export const TlsaUsage = { PKIX_TA: 0, PKIX_EE: 1, DANE_TA: 2, DANE_EE: 3 } as const;
/** RFC 7218 §2.2: selector. */
export const TlsaSelector = { CERT: 0, SPKI: 1 } as const;
/** RFC 7218 §2.3: matching type. */
export const TlsaMatchingType = { FULL: 0, SHA2_256: 1, SHA2_512: 2 } as const;

/** One TLSA record: "3 1 1 <hex>" in presentation form (RFC 6698 §2.2). */
export interface TlsaRecord {
  usage: number;
  selector: number;
  matchingType: number;
  /** The certificate association data. */
  data: Buffer;
}

/** "3 1 1 ab12…", as zone files, Postfix's log and TLS-RPT's policy-string (RFC 8460 §4.4) write it. */
export function tlsaText(record: TlsaRecord): string {
  return `${record.usage} ${record.selector} ${record.matchingType} ${record.data.toString('hex')}`;
}

/**
 * RFC 7672 §3.1.3: an SMTP client does not use PKIX-TA(0) or PKIX-EE(1), and
 * RFC 6698 §7.2-7.4 leaves unknown usages, selectors and matching types
 * unusable; a digest must have its algorithm's length.
 */
export function tlsaUsable(record: TlsaRecord): boolean {
  if (record.usage !== TlsaUsage.DANE_TA && record.usage !== TlsaUsage.DANE_EE) return false;
  if (record.selector !== TlsaSelector.CERT && record.selector !== TlsaSelector.SPKI) return false;
  switch (record.matchingType) {
    case TlsaMatchingType.FULL:
      return record.data.length > 0;
    case TlsaMatchingType.SHA2_256:
      return record.data.length === 32;
    case TlsaMatchingType.SHA2_512:
      return record.data.length === 64;
    default:
      return false;
  }
}
