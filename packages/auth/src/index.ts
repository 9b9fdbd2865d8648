export { hashPassword } from './hash.js';
export { needsRehash } from './rehash.js';
export type { PasswordScheme, VerifiableScheme } from './schemes.js';
export { DEFAULT_PASSWORD_SCHEME, PASSWORD_SCHEMES, VERIFIABLE_SCHEMES, parseScheme } from './schemes.js';
export { verifyPassword } from './verify.js';
export { AuthCache, type AuthCacheOptions } from './auth-cache.js';
export { isStoredPasswordHash } from './stored.js';
