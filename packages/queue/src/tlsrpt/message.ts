// The TLS-RPT report as mail (RFC 8460 §5.3): multipart/report with the gzip'd JSON report.
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { rfc5322Date } from '@postern/address';
import type { TlsReport } from './report.js';

const CRLF = '\r\n';

export interface ReportMail {
  /** The report submitter: our hostname (TLS-Report-Submitter). */
  submitter: string;
  /** The policy domain (TLS-Report-Domain). */
  domain: string;
  from: string;
  to: string[];
  report: TlsReport;
  date?: Date;
}

/** RFC 2045 §6.8: base64 in lines of 76 characters. */
function base64Lines(data: Buffer): string {
  return (data.toString('base64').match(/.{1,76}/g) ?? []).join(CRLF);
}

/** Unix seconds of an RFC 3339 time (RFC 8460 §5.3 filename timestamps). */
const seconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

/**
 * The report message, CRLF lines. RFC 8460 §5.3: the TLS-Report-Domain and
 * TLS-Report-Submitter header fields, a multipart/report with report-type
 * "tlsrpt", the report as application/tlsrpt+gzip named
 * "submitter!domain!begin!end.json.gz", and the recommended Subject.
 */
export function composeReportMail(mail: ReportMail): Buffer {
  const date = mail.date ?? new Date();
  const boundary = `tlsrpt.${date.getTime()}.${randomBytes(6).toString('hex')}`;
  const range = mail.report['date-range'];
  const filename = `${mail.submitter}!${mail.domain}!${seconds(range['start-datetime'])}!${seconds(range['end-datetime'])}.json.gz`;
  const gzipped = gzipSync(Buffer.from(JSON.stringify(mail.report), 'utf8'));
  const header = [
    `From: ${mail.from}`,
    `To: ${mail.to.join(', ')}`,
    `Subject: Report Domain: ${mail.domain} Submitter: ${mail.submitter} Report-ID: <${mail.report['report-id']}>`,
    `Date: ${rfc5322Date(date)}`,
    `Message-ID: <${mail.report['report-id']}>`,
    `TLS-Report-Domain: ${mail.domain}`,
    `TLS-Report-Submitter: ${mail.submitter}`,
    'Auto-Submitted: auto-generated',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type="tlsrpt";${CRLF}\tboundary="${boundary}"`,
  ];
  const body = [
    `--${boundary}`,
    'Content-Type: text/plain; charset=us-ascii',
    '',
    `This is an aggregate TLS report from ${mail.submitter} for ${mail.domain}, ${range['start-datetime']} to ${range['end-datetime']} (RFC 8460).`,
    '',
    `--${boundary}`,
    'Content-Type: application/tlsrpt+gzip',
    'Content-Transfer-Encoding: base64',
    `Content-Disposition: attachment;${CRLF}\tfilename="${filename}"`,
    '',
    base64Lines(gzipped),
    `--${boundary}--`,
    '',
  ];
  return Buffer.from(header.join(CRLF) + CRLF + CRLF + body.join(CRLF), 'utf8');
}
