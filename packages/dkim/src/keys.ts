import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

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

/** The value of the TXT record's p= tag for a public key. */
function publicKeyValue(algorithm: DkimAlgorithm, publicKey: KeyObject): string {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  // RFC 6376 §3.6.1: p= is the base64 of the DER SubjectPublicKeyInfo;
  // RFC 8463 §4.2: for ed25519, p= is the raw 32-byte public key, not an SPKI structure.
  return (algorithm === 'rsa' ? spki : spki.subarray(spki.length - 32)).toString('base64');
}

export function generateDkimKey(algorithm: DkimAlgorithm): GeneratedDkimKey {
  const { privateKey, publicKey } = algorithm === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: RSA_BITS }) : generateKeyPairSync('ed25519');
  return {
    algorithm,
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKeyValue(algorithm, publicKey),
  };
}

/** An existing private key (PKCS#1 or PKCS#8 PEM, as opendkim-genkey writes it) as Postern keeps keys; throws for other key types. */
export function dkimKeyFromPem(pem: string): GeneratedDkimKey {
  const privateKey = createPrivateKey(pem);
  const type = privateKey.asymmetricKeyType;
  if (type !== 'rsa' && type !== 'ed25519') throw new Error(`a ${type ?? 'unknown'} key (DKIM signs with rsa or ed25519)`);
  return {
    algorithm: type,
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKeyValue(type, createPublicKey(privateKey)),
  };
}

/** The guides' rotation scheme: a selector named after the year and month, e.g. 202611. */
export function datedSelector(now: Date = new Date()): string {
  return `${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
}
