// An aggregate report as mail: a short text part and the gzip'd report as an attachment (TLS-RPT and DMARC alike).
import { randomBytes } from 'node:crypto';
import { rfc5322Date } from '@postern/address';

const CRLF = '\r\n';

export interface ReportMailParts {
  from: string;
  to: string[];
  subject: string;
  /** The Message-ID without angle brackets. */
  messageId: string;
  /** Header fields of the report kind (e.g. TLS-Report-Domain), without line ends. */
  fields: string[];
  /** The multipart type and its parameters before the boundary, e.g. 'multipart/report; report-type="tlsrpt"'. */
  multipart: string;
  /** The human-readable first part. */
  text: string;
  attachment: { contentType: string; filename: string; data: Buffer };
  date?: Date;
}

/** RFC 2045 §6.8: base64 in lines of 76 characters. */
function base64Lines(data: Buffer): string {
  return (data.toString('base64').match(/.{1,76}/g) ?? []).join(CRLF);
}

/** The message, CRLF lines, final as it will be queued. */
export function composeReportMail(mail: ReportMailParts): Buffer {
  const date = mail.date ?? new Date();
  const boundary = `report.${date.getTime()}.${randomBytes(6).toString('hex')}`;
  const header = [
    `From: ${mail.from}`,
    `To: ${mail.to.join(', ')}`,
    `Subject: ${mail.subject}`,
    `Date: ${rfc5322Date(date)}`,
    `Message-ID: <${mail.messageId}>`,
    ...mail.fields,
    'Auto-Submitted: auto-generated',
    'MIME-Version: 1.0',
    `Content-Type: ${mail.multipart};${CRLF}\tboundary="${boundary}"`,
  ];
  const body = [
    `--${boundary}`,
    'Content-Type: text/plain; charset=us-ascii',
    '',
    mail.text,
    '',
    `--${boundary}`,
    `Content-Type: ${mail.attachment.contentType}`,
    'Content-Transfer-Encoding: base64',
    `Content-Disposition: attachment;${CRLF}\tfilename="${mail.attachment.filename}"`,
    '',
    base64Lines(mail.attachment.data),
    `--${boundary}--`,
    '',
  ];
  return Buffer.from(header.join(CRLF) + CRLF + CRLF + body.join(CRLF), 'utf8');
}
