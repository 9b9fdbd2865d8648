// The MTA-STS policy file (RFC 8461 §3.2) and MX host matching (§4.1).

export type StsMode = 'enforce' | 'testing' | 'none';

export interface StsPolicy {
  mode: StsMode;
  /** Host names and "*.domain" patterns, lower case. */
  mx: string[];
  /** Seconds the policy may be cached (at most 31557600). */
  maxAge: number;
}

// RFC 8461 §3.2: max-age-value = 1*10(DIGIT), up to 31557600 (about one year).
const MAX_AGE_LIMIT = 31_557_600;
const MX_PATTERN = /^(\*\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** Parses a policy; returns why it is invalid as a string. */
export function parseStsPolicy(text: string): StsPolicy | string {
  const fields = new Map<string, string[]>();
  // RFC 8461 §3.2: key/value pairs separated by CRLF (LF alone accepted, as senders in the field do).
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) return `line "${line.slice(0, 80)}" is not "key: value"`;
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    fields.set(key, [...(fields.get(key) ?? []), value]);
  }
  const one = (key: string): string | null => {
    const values = fields.get(key);
    return values?.length === 1 ? values[0]! : null;
  };
  if (one('version') !== 'STSv1') return 'version is not STSv1';
  const mode = one('mode');
  if (mode !== 'enforce' && mode !== 'testing' && mode !== 'none') return `mode ${JSON.stringify(mode)} is not enforce, testing or none`;
  const age = one('max_age');
  if (age === null || !/^\d{1,10}$/.test(age)) return 'max_age is missing or not a number';
  const maxAge = Math.min(Number(age), MAX_AGE_LIMIT);
  const mx = (fields.get('mx') ?? []).map((pattern) => pattern.toLowerCase().replace(/\.$/, ''));
  const bad = mx.find((pattern) => !MX_PATTERN.test(pattern));
  if (bad !== undefined) return `mx ${JSON.stringify(bad)} is not a host name or *.domain`;
  // RFC 8461 §3.2: "mx" may be absent only in mode none.
  if (mx.length === 0 && mode !== 'none') return 'no mx';
  return { mode, mx, maxAge };
}

/**
 * RFC 8461 §4.1: an MX host name matches a pattern exactly, or a "*." pattern
 * by its left-most label alone ("*.example.com" matches "mx.example.com", not
 * "a.b.example.com" nor "example.com").
 */
export function mxMatches(policy: StsPolicy, host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return policy.mx.some((pattern) => {
    if (!pattern.startsWith('*.')) return pattern === name;
    const dot = name.indexOf('.');
    return dot > 0 && name.slice(dot + 1) === pattern.slice(2);
  });
}

/** RFC 8460 §4.4 policy-string: the policy's lines. */
export function policyStrings(text: string): string[] {
  return text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
}
