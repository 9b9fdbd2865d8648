import { DnsError } from '@postern/dns';

/** One published record set and what `dns check` found about it. */
export interface Finding {
  /** What is checked: A, PTR, MX, SPF, DKIM, DMARC, MTA-STS, TLS-RPT, WEB (autoconfig. and mta-sts. hosts), SRV. */
  check: string;
  /** The DNS name queried. */
  name: string;
  /** Mail does not flow or does not authenticate without it (exit 1 when it is not ok). */
  required: boolean;
  /** error: the lookup itself failed (timeout, SERVFAIL), so nothing is known. */
  status: 'ok' | 'missing' | 'wrong' | 'error';
  /** The records as published (their text or rdata). */
  published: string[];
  /** Why it is not ok, or a remark on an ok record; null when there is nothing to say. */
  problem: string | null;
  /** Zone-file lines to add, or to change the published record to. */
  fix: string[];
}

/** ✓ right, ✗ a required record missing or wrong, ! an optional one. */
export function mark(finding: Finding): string {
  if (finding.status === 'ok') return '✓';
  return finding.required ? '✗' : '!';
}

export function failed(finding: Finding): boolean {
  return finding.required && finding.status !== 'ok';
}

/** Records of a lookup; NXDOMAIN is no records; a temporary failure is kept as its message. */
export async function published<T>(query: () => Promise<T[]>): Promise<{ records: T[] } | { error: string }> {
  try {
    return { records: await query() };
  } catch (error) {
    if (error instanceof DnsError && error.kind === 'NXDOMAIN') return { records: [] };
    if (error instanceof DnsError) return { error: error.message };
    throw error;
  }
}
