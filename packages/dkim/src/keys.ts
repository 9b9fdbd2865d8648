import { generateKeyPairSync } from 'node:crypto';

export type DkimAlgorithm = 'rsa' | 'ed25519';

export interface GeneratedDkimKey {
  algorithm: DkimAlgorithm;
  /** PKCS#8 PEM. */
  privateKey: string;
  /** The value of the TXT record's p= tag. */
  publicKey: string;
}

// RFC 8301 §3.2: RSA keys of at least 1024 bits, 2048 recommended and what the guides generate.
const RSA_BITS = 2048;

export function generateDkimKey(algorithm: DkimAlgorithm): GeneratedDkimKey {
  if (algorithm === 'rsa') {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: RSA_BITS });
    return {
      algorithm,
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      // RFC 6376 §3.6.1: p= is the base64 of the DER SubjectPublicKeyInfo.
      publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    };
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return {
    algorithm,
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    // RFC 8463 §4.2: for ed25519, p= is the raw 32-byte public key, not an SPKI structure.
    publicKey: spki.subarray(spki.length - 32).toString('base64'),
  };
}

/** The guides' rotation scheme: a selector named after the year and month, e.g. 202611. */
export function datedSelector(now: Date = new Date()): string {
  return `${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
}
