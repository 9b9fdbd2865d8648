import { isCurrentScrypt } from './scrypt.js';
import { splitStoredPassword } from './stored.js';

/**
 * True when a stored hash is not SCRYPT (the default for new passwords) at today's cost, so a
 * successful login should store `hashPassword(plain)` in its place. Unparseable values need it too.
 */
export function needsRehash(stored: string): boolean {
  const parsed = splitStoredPassword(stored);
  if (parsed === null || parsed.scheme !== 'SCRYPT' || parsed.encoding !== undefined) return true;
  return !isCurrentScrypt(parsed.value);
}
