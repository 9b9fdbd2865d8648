// The TLSRPT TXT record at _smtp._tls.<domain> (RFC 8460 §3): "v=TLSRPTv1; rua=mailto:tlsrpt@example.com".
import { mailtoAddress } from '../reporting/mailto.js';

/** Where a domain wants its reports: mailto addresses and https URLs. */
export interface ReportDestinations {
  mailto: string[];
  https: string[];
}

/**
 * The one TLSRPTv1 record's rua= URIs, or null. RFC 8460 §3: records not
 * starting with "v=TLSRPTv1" are ignored; more than one (or an invalid one)
 * means no reporting; rua is a comma-separated list of mailto: and https: URIs.
 */
export function parseTlsRptRecord(txts: readonly string[]): ReportDestinations | null {
  const records = txts.filter((txt) => /^v=TLSRPTv1\s*(;|$)/.test(txt));
  if (records.length !== 1) return null;
  const rua = records[0]!
    .split(';')
    .map((field) => field.trim())
    .find((field) => field.startsWith('rua='));
  if (rua === undefined) return null;
  const destinations: ReportDestinations = { mailto: [], https: [] };
  for (const uri of rua.slice(4).split(',').map((item) => item.trim())) {
    if (/^mailto:/i.test(uri)) {
      const address = mailtoAddress(uri);
      if (address !== null) destinations.mailto.push(address);
    } else if (/^https:\/\//i.test(uri)) {
      destinations.https.push(uri);
    }
  }
  return destinations.mailto.length + destinations.https.length > 0 ? destinations : null;
}
