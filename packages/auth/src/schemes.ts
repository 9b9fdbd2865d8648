/** Schemes Postern can write for a new password (`postern pw --scheme S`). */
export const PASSWORD_SCHEMES = ['SCRYPT', 'ARGON2ID', 'SHA512-CRYPT', 'BLF-CRYPT', 'PLAIN'] as const;

export type PasswordScheme = (typeof PASSWORD_SCHEMES)[number];

export const DEFAULT_PASSWORD_SCHEME: PasswordScheme = 'SCRYPT';

/** Schemes accepted in a stored hash (Dovecot passdb names); new passwords never use the others. */
export const VERIFIABLE_SCHEMES = [
  'SCRYPT',
  'ARGON2ID',
  'ARGON2I',
  'SHA512-CRYPT',
  'SHA256-CRYPT',
  'BLF-CRYPT',
  'MD5-CRYPT',
  'CRYPT',
  'SSHA512',
  'SHA512',
  'SSHA256',
  'SHA256',
  'PLAIN',
  'CLEAR',
] as const;

export type VerifiableScheme = (typeof VERIFIABLE_SCHEMES)[number];

export function isVerifiableScheme(name: string): name is VerifiableScheme {
  return (VERIFIABLE_SCHEMES as readonly string[]).includes(name);
}

/** Reads a scheme name as given on the command line; Dovecot's names are case-insensitive. */
export function parseScheme(name: string): PasswordScheme {
  // Accept "{SHA512-CRYPT}" too, the way it appears in front of a stored hash.
  const wanted = name.trim().replace(/^\{(.*)\}$/, '$1').toUpperCase();
  const scheme = PASSWORD_SCHEMES.find((s) => s === wanted);
  if (scheme !== undefined) return scheme;
  const choices = PASSWORD_SCHEMES.join(', ');
  if (isVerifiableScheme(wanted)) {
    throw new Error(`password scheme ${wanted} is accepted in imported hashes but not used for new passwords: use one of ${choices}`);
  }
  throw new Error(`unknown password scheme ${JSON.stringify(name)}: use one of ${choices}`);
}

/**
 * Schemes computed on the JavaScript thread (Argon2 in WebAssembly, bcryptjs, SHA-crypt), which
 * therefore run in a password worker; SCRYPT uses crypto.scrypt's threadpool, digests are cheap.
 */
export function runsInWorker(scheme: VerifiableScheme): boolean {
  return scheme === 'ARGON2ID' || scheme === 'ARGON2I' || scheme === 'SHA512-CRYPT' || scheme === 'SHA256-CRYPT' || scheme === 'BLF-CRYPT' || scheme === 'MD5-CRYPT' || scheme === 'CRYPT';
}
