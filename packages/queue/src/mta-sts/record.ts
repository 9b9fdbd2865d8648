// The _mta-sts TXT record (RFC 8461 §3.1): "v=STSv1; id=20160831085700Z;".

/** The record's id: a new one tells senders that the policy changed. */
export interface StsRecord {
  id: string;
}

// RFC 8461 §3.1: sts-id = 1*32(ALPHA / DIGIT).
const ID = /^[A-Za-z0-9]{1,32}$/;

/**
 * The one STSv1 record among a name's TXT records, or null. RFC 8461 §3.1:
 * records that do not begin with "v=STSv1;" are discarded; if not exactly one
 * is left, or it is invalid, the domain has no available policy.
 */
export function parseStsRecord(txts: readonly string[]): StsRecord | null {
  const candidates = txts.filter((txt) => txt.startsWith('v=STSv1;'));
  if (candidates.length !== 1) return null;
  let id: string | null = null;
  // sts-field-delim = *WSP ";" *WSP; extension fields are ignored.
  for (const field of candidates[0]!.split(';').slice(1)) {
    const trimmed = field.trim();
    if (trimmed === '') continue;
    const equals = trimmed.indexOf('=');
    if (equals <= 0) return null;
    if (trimmed.slice(0, equals) === 'id') {
      if (id !== null) return null;
      id = trimmed.slice(equals + 1);
    }
  }
  return id !== null && ID.test(id) ? { id } : null;
}
