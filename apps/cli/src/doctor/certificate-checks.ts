import { X509Certificate } from 'node:crypto';
import type { PosternConfig } from '@postern/config';
import { CertificateError, loadCertificate, type CertificateFiles } from '@postern/mailstore';
import { finding, type DoctorFinding } from './finding.js';

/** Let's Encrypt renews 30 days before expiry; a certificate with less left missed its renewals. */
const RENEWAL_MISSED_DAYS = 21;
const DAY_MS = 86_400_000;

/** Every configured pair (the default and each SNI name): usable, in its validity period, not near expiry, naming the host it serves. */
export function checkCertificates(config: PosternConfig, now: Date): DoctorFinding[] {
  if (!config.tls.cert || !config.tls.key) {
    return [finding('tls', 'tls.cert', 'fail', 'no certificate configured: no STARTTLS, no 465/993/995, no AUTH (smtpd.tls_auth_only)', 'set tls.cert and tls.key to the certbot files, e.g. /etc/letsencrypt/live/HOST/fullchain.pem and privkey.pem')];
  }
  const pairs: [string, CertificateFiles][] = [[config.hostname, { cert: config.tls.cert, key: config.tls.key }], ...Object.entries(config.tls.sni ?? {})];
  return pairs.map(([name, files]) => checkPair(name, files, config, now));
}

function checkPair(name: string, files: CertificateFiles, config: PosternConfig, now: Date): DoctorFinding {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(loadCertificate(files, config.tls.min_version).cert);
  } catch (err) {
    if (!(err instanceof CertificateError)) throw err;
    return finding('tls', files.cert, 'fail', err.message, 'install a certificate and its key (certbot certonly), then postern reload');
  }
  const subject = `${files.cert} (${name})`;
  const validFrom = new Date(leaf.validFrom);
  const validTo = new Date(leaf.validTo);
  const days = Math.floor((validTo.getTime() - now.getTime()) / DAY_MS);
  const renew = `renew it (certbot renew) and run postern reload`;
  // RFC 6125 §6.4: the name a client connects to must be among the certificate's DNS names.
  if (leaf.checkHost(name) === undefined) return finding('tls', subject, 'fail', `does not name ${name} (it names ${leaf.subjectAltName ?? leaf.subject}): clients that verify refuse it`, `issue a certificate for ${name}`);
  if (validFrom > now) return finding('tls', subject, 'fail', `not valid before ${validFrom.toISOString()} (check the clock)`, null);
  if (days < 0) return finding('tls', subject, 'fail', `expired on ${validTo.toISOString()}`, renew);
  if (leaf.issuer === leaf.subject && leaf.verify(leaf.publicKey)) return finding('tls', subject, 'warn', `self-signed, valid ${days} more days: clients that verify refuse it`, `get a certificate from a CA (certbot certonly --standalone -d ${name})`);
  if (days < RENEWAL_MISSED_DAYS) return finding('tls', subject, 'warn', `expires in ${days} days (${validTo.toISOString()}): renewal seems not to run`, renew);
  return finding('tls', subject, 'ok', `valid for ${name}, ${days} more days`);
}
