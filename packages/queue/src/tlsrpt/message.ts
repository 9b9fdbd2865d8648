// The TLS-RPT report as mail (RFC 8460 §5.3): multipart/report with the gzip'd JSON report.
import { gzipSync } from 'node:zlib';
import { composeReportMail } from '../reporting/report-mail.js';
import type { TlsReport } from './report.js';

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

/** Unix seconds of an RFC 3339 time (RFC 8460 §5.3 filename timestamps). */
const seconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

/**
 * The report message, CRLF lines. RFC 8460 §5.3: the TLS-Report-Domain and
 * TLS-Report-Submitter header fields, a multipart/report with report-type
 * "tlsrpt", the report as application/tlsrpt+gzip named
 * "submitter!domain!begin!end.json.gz", and the recommended Subject.
 */
export function composeTlsReportMail(mail: ReportMail): Buffer {
  const range = mail.report['date-range'];
  return composeReportMail({
    from: mail.from,
    to: mail.to,
    subject: `Report Domain: ${mail.domain} Submitter: ${mail.submitter} Report-ID: <${mail.report['report-id']}>`,
    messageId: mail.report['report-id'],
    fields: [`TLS-Report-Domain: ${mail.domain}`, `TLS-Report-Submitter: ${mail.submitter}`],
    multipart: 'multipart/report; report-type="tlsrpt"',
    text: `This is an aggregate TLS report from ${mail.submitter} for ${mail.domain}, ${range['start-datetime']} to ${range['end-datetime']} (RFC 8460).`,
    attachment: {
      contentType: 'application/tlsrpt+gzip',
      filename: `${mail.submitter}!${mail.domain}!${seconds(range['start-datetime'])}!${seconds(range['end-datetime'])}.json.gz`,
      data: gzipSync(Buffer.from(JSON.stringify(mail.report), 'utf8')),
    },
    ...(mail.date === undefined ? {} : { date: mail.date }),
  });
}
