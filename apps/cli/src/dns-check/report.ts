import { failed, mark, type Finding } from './finding.js';

/** What `dns check --json` prints. */
export interface DnsCheckReport {
  domain: string;
  hostname: string;
  /** False when a required record (A, MX, SPF, DKIM, DMARC) is missing or wrong. */
  ok: boolean;
  findings: Finding[];
}

export function dnsCheckReport(domain: string, hostname: string, findings: Finding[]): DnsCheckReport {
  return { domain, hostname, ok: !findings.some(failed), findings };
}

const FIX_LABEL: Record<Finding['status'], string> = { ok: 'publish', missing: 'add', wrong: 'change it to', error: 'expected' };

/** One line per finding with ✓/✗/!, then what is published, what is wrong and the record to publish. */
export function reportLines(report: DnsCheckReport): string[] {
  const lines = [`DNS check of ${report.domain} (mail server ${report.hostname})`];
  for (const finding of report.findings) {
    lines.push(`${mark(finding)} ${finding.check.padEnd(7)} ${finding.name}${finding.published.length > 0 ? `: ${finding.published.join(' | ')}` : ''}`);
    if (finding.problem !== null) lines.push(`    ${finding.status === 'ok' ? 'note' : finding.status}: ${finding.problem}`);
    if (finding.fix.length > 0) lines.push(`    ${FIX_LABEL[finding.status]}:`, ...finding.fix.map((line) => `      ${line}`));
  }
  const required = report.findings.filter(failed);
  lines.push('', required.length === 0 ? 'every required record is right' : `${required.length} required record${required.length === 1 ? ' is' : 's are'} missing, wrong or unreadable: ${[...new Set(required.map((f) => f.check))].join(', ')}`);
  return lines;
}
