import { randomBytes } from 'node:crypto';
import { argon2i, argon2id } from 'hash-wasm';
import { bytesEqual } from './constant-time.js';
import { encodeBase64Unpadded } from './encoding.js';
import { parsePhc, phcInteger } from './phc.js';

// What Dovecot 2.3's `doveadm pw -s ARGON2ID` writes (libsodium's moderate limits).
const ARGON2ID_COST = { m: 65536, t: 3, p: 1 } as const;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
const VERSION = 19; // 0x13, Argon2 v1.3 (RFC 9106 §3.1), the only version hash-wasm computes

// hash-wasm runs in WebAssembly memory; refuse imported costs that would exhaust it.
const MAX_MEMORY_KIB = 1024 * 1024;

type Variant = 'argon2id' | 'argon2i';

interface Argon2Input {
  password: string;
  salt: Uint8Array;
  memorySize: number;
  iterations: number;
  parallelism: number;
  hashLength: number;
}

function compute(variant: Variant, input: Argon2Input): Promise<Uint8Array> {
  const options = { ...input, outputType: 'binary' } as const;
  return variant === 'argon2id' ? argon2id(options) : argon2i(options);
}

/** Hashes to `$argon2id$v=19$m=65536,t=3,p=1$<salt>$<hash>`, as Dovecot writes it. */
export async function hashArgon2id(plain: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const { m, t, p } = ARGON2ID_COST;
  const hash = await compute('argon2id', {
    password: plain,
    salt,
    memorySize: m,
    iterations: t,
    parallelism: p,
    hashLength: HASH_BYTES,
  });
  return `$argon2id$v=${VERSION}$m=${m},t=${t},p=${p}$${encodeBase64Unpadded(salt)}$${encodeBase64Unpadded(hash)}`;
}

/** Verifies `$argon2id$…` or `$argon2i$…` (RFC 9106 §4 parameters); Dovecot takes either under either name. */
export async function verifyArgon2(plain: string, value: string): Promise<boolean> {
  const phc = parsePhc(value);
  if (phc === null || (phc.id !== 'argon2id' && phc.id !== 'argon2i')) return false;
  if (phc.version !== VERSION || phc.params.size !== 3) return false;
  const p = phcInteger(phc.params, 'p', 1, 255);
  const t = phcInteger(phc.params, 't', 1, 1 << 20);
  const m = phcInteger(phc.params, 'm', 8 * (p ?? 1), MAX_MEMORY_KIB);
  if (p === null || t === null || m === null) return false;
  // RFC 9106 §3.1: salt at least 8 bytes, tag at least 4.
  if (phc.salt.length < 8 || phc.hash.length < 4 || plain.length === 0) return false;
  const hash = await compute(phc.id, {
    password: plain,
    salt: phc.salt,
    memorySize: m,
    iterations: t,
    parallelism: p,
    hashLength: phc.hash.length,
  });
  return bytesEqual(hash, phc.hash);
}
