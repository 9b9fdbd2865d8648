import { randomBytes, scrypt } from 'node:crypto';
import { bytesEqual } from './constant-time.js';
import { encodeBase64Unpadded } from './encoding.js';
import { parsePhc, phcInteger } from './phc.js';

/** Cost of new SCRYPT hashes (RFC 7914 §2): N = 2^15, r = 8, p = 1, about 32 MiB per hash. */
export const SCRYPT_PARAMS = { ln: 15, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;

// Imported hashes may carry other costs; refuse ones that would take more memory than this.
const MAX_VERIFY_MEMORY = 256 * 1024 * 1024;

interface ScryptCost {
  ln: number;
  r: number;
  p: number;
}

/** Memory OpenSSL's scrypt allocates (B plus V, RFC 7914 §5), which `maxmem` must cover. */
function memoryNeeded({ ln, r, p }: ScryptCost): number {
  return 128 * r * (2 ** ln + p + 2);
}

function derive(plain: string, salt: Uint8Array, keyLength: number, cost: ScryptCost): Promise<Buffer> {
  // The async form runs in libuv's threadpool, so a login never stalls the event loop.
  return new Promise((resolve, reject) => {
    scrypt(
      plain,
      salt,
      keyLength,
      { N: 2 ** cost.ln, r: cost.r, p: cost.p, maxmem: memoryNeeded(cost) + 1024 * 1024 },
      (err, key) => (err ? reject(err) : resolve(key)),
    );
  });
}

/** Hashes to `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` (the PHC form passlib also writes). */
export async function hashScrypt(plain: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(plain, salt, KEY_BYTES, SCRYPT_PARAMS);
  const { ln, r, p } = SCRYPT_PARAMS;
  return `$scrypt$ln=${ln},r=${r},p=${p}$${encodeBase64Unpadded(salt)}$${encodeBase64Unpadded(key)}`;
}

interface ParsedScrypt extends ScryptCost {
  salt: Buffer;
  hash: Buffer;
}

function parseScrypt(value: string): ParsedScrypt | null {
  const phc = parsePhc(value);
  if (phc === null || phc.id !== 'scrypt' || phc.version !== undefined || phc.params.size !== 3) return null;
  const ln = phcInteger(phc.params, 'ln', 1, 31);
  const r = phcInteger(phc.params, 'r', 1, 1024);
  const p = phcInteger(phc.params, 'p', 1, 1024);
  if (ln === null || r === null || p === null) return null;
  if (phc.salt.length < 8 || phc.hash.length < 16 || phc.hash.length > 128) return null;
  return { ln, r, p, salt: phc.salt, hash: phc.hash };
}

export async function verifyScrypt(plain: string, value: string): Promise<boolean> {
  const parsed = parseScrypt(value);
  if (parsed === null || memoryNeeded(parsed) > MAX_VERIFY_MEMORY) return false;
  const key = await derive(plain, parsed.salt, parsed.hash.length, parsed);
  return bytesEqual(key, parsed.hash);
}

/** True when the value was written with today's cost, salt and key sizes. */
export function isCurrentScrypt(value: string): boolean {
  const parsed = parseScrypt(value);
  return (
    parsed !== null &&
    parsed.ln === SCRYPT_PARAMS.ln &&
    parsed.r === SCRYPT_PARAMS.r &&
    parsed.p === SCRYPT_PARAMS.p &&
    parsed.salt.length === SALT_BYTES &&
    parsed.hash.length === KEY_BYTES
  );
}
