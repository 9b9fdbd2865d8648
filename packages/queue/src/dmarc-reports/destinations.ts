// Where a DMARC domain wants its aggregate reports: the rua= mailto: URIs and their size limits (RFC 7489 §6.2, §6.4).
import { mailtoAddress } from '../reporting/mailto.js';

export interface ReportDestination {
  address: string;
  /** The "!size" limit in octets; null when none is given. */
  maxBytes: number | null;
}

// RFC 7489 §6.2: k, m, g and t are powers of two: 2^10, 2^20, 2^30, 2^40; no unit is octets.
const UNITS: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/**
 * The mailto: destinations of rua= URIs. RFC 7489 §6.2: dmarc-uri = URI
 * [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ]; other schemes are not used
 * (§6.2: a Mail Receiver supports at least mailto:).
 */
export function reportDestinations(rua: readonly string[]): ReportDestination[] {
  const destinations: ReportDestination[] = [];
  for (const uri of rua) {
    const limit = /!(\d+)([kmgt]?)$/i.exec(uri);
    const address = mailtoAddress(limit === null ? uri : uri.slice(0, limit.index));
    if (address === null) continue;
    destinations.push({ address, maxBytes: limit === null ? null : Number(limit[1]) * UNITS[limit[2]!.toLowerCase()]! });
  }
  return destinations;
}
