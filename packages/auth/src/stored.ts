import type { VerifiableScheme } from './schemes.js';
import { isVerifiableScheme } from './schemes.js';

/** How a digest or plaintext value is spelled: Dovecot's `.HEX`, `.B64` / `.BASE64` suffixes. */
export type StoredEncoding = 'BASE64' | 'HEX';

/** A stored password split into its Dovecot-style `{SCHEME[.ENCODING]}` prefix and the hash itself. */
export interface StoredPassword {
  scheme: VerifiableScheme;
  encoding: StoredEncoding | undefined;
  value: string;
}

const PREFIX = /^\{([A-Za-z0-9-]+)(?:\.([A-Za-z0-9]+))?\}/;

const ENCODINGS: Record<string, StoredEncoding> = { HEX: 'HEX', B64: 'BASE64', BASE64: 'BASE64' };

// Bare hashes as import files carry them (/etc/shadow, htpasswd, passlib), recognised by their
// own prefix; anything else without braces is refused rather than taken as a plaintext password.
const BARE: readonly [RegExp, VerifiableScheme][] = [
  [/^\$scrypt\$/, 'SCRYPT'],
  [/^\$argon2id\$/, 'ARGON2ID'],
  [/^\$argon2i\$/, 'ARGON2I'],
  [/^\$6\$/, 'SHA512-CRYPT'],
  [/^\$5\$/, 'SHA256-CRYPT'],
  [/^\$2[aby]\$/, 'BLF-CRYPT'],
  [/^\$1\$/, 'MD5-CRYPT'],
];

/** Splits a stored password, or returns null for an unknown scheme or encoding. */
export function splitStoredPassword(stored: string): StoredPassword | null {
  const prefix = PREFIX.exec(stored);
  if (prefix === null) {
    const bare = BARE.find(([pattern]) => pattern.test(stored));
    return bare === undefined ? null : { scheme: bare[1], encoding: undefined, value: stored };
  }
  const [whole, name, encodingName] = prefix;
  const scheme = name?.toUpperCase() ?? '';
  if (!isVerifiableScheme(scheme)) return null;
  let encoding: StoredEncoding | undefined;
  if (encodingName !== undefined) {
    encoding = ENCODINGS[encodingName.toUpperCase()];
    if (encoding === undefined) return null;
  }
  return { scheme, encoding, value: stored.slice(whole.length) };
}

/** True for a value `verifyPassword` can check: a known {SCHEME} prefix, or a bare hash of a known form. */
export function isStoredPasswordHash(stored: string): boolean {
  return splitStoredPassword(stored) !== null;
}
