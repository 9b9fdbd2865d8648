// What one outbound session's TLS came to, in RFC 8460 §4.3's result types.
import type { TlsResultType } from '@postern/store';

/** One session's TLS outcome as the delivery saw it. */
export interface TlsObservation {
  resultType: TlsResultType;
  /** Why, for failure-details' additional-information; '' on success. */
  detail: string;
  /** The MX host name (RFC 8460 §4.4 receiving-mx-hostname). */
  mxHost: string;
  receivingIp: string;
  sendingIp: string;
}

/**
 * RFC 8460 §4.3.1: a certificate problem as certificateProblem() words it:
 * not trusted (expired: certificate-expired), or no name matching the MX host
 * (certificate-host-mismatch).
 */
export function certificateResultType(problem: string): TlsResultType {
  if (problem === 'no TLS') return 'starttls-not-supported';
  if (problem.startsWith('Server certificate not verified')) return 'certificate-host-mismatch';
  if (/CERT_HAS_EXPIRED|expired/i.test(problem)) return 'certificate-expired';
  if (problem.startsWith('Server certificate not trusted')) return 'certificate-not-trusted';
  return 'validation-failure';
}
