import { decodeBase64 } from './encoding.js';

/** A PHC string: `$id[$v=N]$k=v,…$salt$hash` (github.com/P-H-C/phc-string-format). */
export interface PhcHash {
  id: string;
  version: number | undefined;
  params: ReadonlyMap<string, string>;
  salt: Buffer;
  hash: Buffer;
}

const PHC = /^\$([a-z0-9-]{1,32})(?:\$v=(\d{1,10}))?\$([a-z0-9-]{1,32}=[A-Za-z0-9/+.-]*(?:,[a-z0-9-]{1,32}=[A-Za-z0-9/+.-]*)*)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

export function parsePhc(text: string): PhcHash | null {
  const match = PHC.exec(text);
  if (!match) return null;
  const [, id, version, paramText, saltText, hashText] = match;
  if (id === undefined || paramText === undefined || saltText === undefined || hashText === undefined) return null;
  const params = new Map<string, string>();
  for (const pair of paramText.split(',')) {
    const eq = pair.indexOf('=');
    const key = pair.slice(0, eq);
    if (params.has(key)) return null;
    params.set(key, pair.slice(eq + 1));
  }
  const salt = decodeBase64(saltText);
  const hash = decodeBase64(hashText);
  if (salt === null || hash === null) return null;
  return { id, version: version === undefined ? undefined : Number(version), params, salt, hash };
}

/** Reads a decimal parameter within [min, max], or null when it is absent or out of range. */
export function phcInteger(params: ReadonlyMap<string, string>, key: string, min: number, max: number): number | null {
  const text = params.get(key);
  if (text === undefined || !/^\d{1,10}$/.test(text)) return null;
  const value = Number(text);
  return value >= min && value <= max ? value : null;
}
