/** One thing `postern doctor` checked. */
export interface DoctorFinding {
  /** The area: config, tls, port, store, dns, dkim, queue, disk, clock. */
  check: string;
  /** What exactly: a file, a listener, a domain. */
  subject: string;
  /** fail (✗): mail does not flow or is refused; warn (!): it will soon or somewhere. */
  status: 'ok' | 'warn' | 'fail';
  /** What was found, in words. */
  detail: string;
  /** What to do about it; null when nothing. */
  fix: string | null;
}

const MARK: Record<DoctorFinding['status'], string> = { ok: '✓', warn: '!', fail: '✗' };

export function finding(check: string, subject: string, status: DoctorFinding['status'], detail: string, fix: string | null = null): DoctorFinding {
  return { check, subject, status, detail, fix };
}

/** What `doctor --json` prints. */
export interface DoctorReport {
  hostname: string;
  ok: boolean;
  findings: DoctorFinding[];
}

export function doctorReport(hostname: string, findings: DoctorFinding[]): DoctorReport {
  return { hostname, ok: !findings.some((f) => f.status === 'fail'), findings };
}

/** ✓/✗/! lines as `dns check` prints them, each fix indented below its finding. */
export function doctorLines(report: DoctorReport): string[] {
  const lines = [`Postern doctor (${report.hostname})`];
  for (const f of report.findings) {
    lines.push(`${MARK[f.status]} ${f.check.padEnd(6)} ${f.subject}: ${f.detail}`);
    if (f.fix !== null) lines.push(`    fix: ${f.fix}`);
  }
  const failures = report.findings.filter((f) => f.status === 'fail');
  const warnings = report.findings.filter((f) => f.status === 'warn');
  lines.push('', failures.length === 0 ? `no problem that stops mail${warnings.length > 0 ? ` (${warnings.length} warning${warnings.length === 1 ? '' : 's'})` : ''}` : `${failures.length} problem${failures.length === 1 ? '' : 's'} to fix: ${[...new Set(failures.map((f) => f.check))].join(', ')}`);
  return lines;
}
