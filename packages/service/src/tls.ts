// One certificate chain and its private key, read from their files and checked before they serve anyone.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContext } from 'node:tls';

/** Postfix smtpd_tls_protocols = >=TLSv1.2 (RFC 8996 deprecates TLS 1.0 and 1.1). */
export type TlsMinVersion = 'TLSv1.2' | 'TLSv1.3';

/** Where a certificate lives: certbot's fullchain.pem and privkey.pem. */
export interface CertificateFiles {
  cert: string;
  key: string;
}

/** A checked pair and the secure context made from it. */
export interface LoadedCertificate {
  files: CertificateFiles;
  cert: Buffer;
  key: Buffer;
  context: SecureContext;
  /** SHA-256 of the leaf certificate, colon-separated hex as `openssl x509 -fingerprint -sha256` prints it. */
  fingerprint: string;
  /** The leaf's subjectAltName, e.g. `DNS:mail.example.com`. */
  names: string;
  validTo: string;
}

/** Why a pair cannot be used, in words for the operator's log. */
export class CertificateError extends Error {
  override readonly name = 'CertificateError';
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new CertificateError(`cannot read the ${what} ${path}: ${(err as Error).message}`);
  }
}

/**
 * Reads and checks one pair: the chain parses, the key parses, the key belongs
 * to the leaf certificate. A half-renewed pair (certbot swaps the links one by
 * one) fails the last check, so it never replaces a working one.
 */
export function loadCertificate(files: CertificateFiles, minVersion: TlsMinVersion): LoadedCertificate {
  const cert = readPem(files.cert, 'certificate chain');
  const key = readPem(files.key, 'private key');
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (err) {
    throw new CertificateError(`${files.cert} holds no PEM certificate: ${(err as Error).message}`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new CertificateError(`${files.key} holds no PEM private key: ${(err as Error).message}`);
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new CertificateError(`the private key ${files.key} does not belong to the certificate ${files.cert} (fingerprint ${leaf.fingerprint256})`);
  }
  let context: SecureContext;
  try {
    context = createSecureContext({ cert, key, minVersion });
  } catch (err) {
    throw new CertificateError(`${files.cert} and ${files.key} make no TLS context: ${(err as Error).message}`);
  }
  return { files, cert, key, context, fingerprint: leaf.fingerprint256, names: leaf.subjectAltName ?? leaf.subject, validTo: leaf.validTo };
}
