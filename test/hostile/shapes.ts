// The hostile message shapes of issue 16, generated: each is a syntactically plausible message whose
// structure (nesting, part count, header folding) is what costs a parser, not its size.

export interface HostileShape {
  name: string;
  /** The whole message, CRLF line ends, no line starting with "." (sent as is after DATA). */
  raw: Buffer;
}

const RECIPIENT = 'hostile@example.com';

function envelopeFields(to: string, subject: string, extra = ''): string {
  return `From: attacker@example.org\r\nTo: ${to}\r\nSubject: ${subject}\r\nDate: Mon, 07 Dec 2026 00:00:00 +0000\r\nMessage-ID: <${subject.replace(/\W+/g, '-').slice(0, 40)}@example.org>\r\nMIME-Version: 1.0\r\n${extra}`;
}

/** `depth` message/rfc822 parts, each holding the next (RFC 2046 §5.2.1), a text body at the bottom. */
export function nestedMessages(depth: number, to = RECIPIENT): HostileShape {
  const level = 'Content-Type: message/rfc822\r\n\r\nSubject: level\r\nMIME-Version: 1.0\r\n';
  const raw = `${envelopeFields(to, `nested rfc822 ${depth}`)}${level.repeat(depth)}Content-Type: text/plain\r\n\r\ninnermost needle\r\n`;
  return { name: `${depth} nested message/rfc822`, raw: Buffer.from(raw) };
}

/** `depth` multipart/mixed entities, each the only part of the one above (RFC 2046 §5.1.1). */
export function nestedMultiparts(depth: number, to = RECIPIENT): HostileShape {
  const open: string[] = [];
  const close: string[] = [];
  for (let i = 0; i < depth; i++) {
    open.push(`Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n`);
    close.push(`\r\n--b${i}--\r\n`);
  }
  const raw = `${envelopeFields(to, `nested multipart ${depth}`)}${open.join('')}Content-Type: text/plain\r\n\r\ninnermost needle${close.reverse().join('')}`;
  return { name: `${depth} nested multiparts`, raw: Buffer.from(raw) };
}

/** A To: field of `depth` groups, each inside the one before (RFC 5322 §3.4 allows none), one mailbox inside. */
export function nestedGroups(depth: number, to = RECIPIENT): HostileShape {
  const field = `${'g:'.repeat(depth)}${to}${';'.repeat(depth)}`;
  const raw = `${envelopeFields(field, `nested groups ${depth}`)}\r\nneedle in the body\r\n`;
  return { name: `${depth} nested groups in To:`, raw: Buffer.from(raw) };
}

/** One multipart/mixed with `parts` text parts side by side. */
export function flatMultipart(parts: number, to = RECIPIENT): HostileShape {
  const body: string[] = [];
  for (let i = 0; i < parts; i++) body.push(`--flat\r\nContent-Type: text/plain\r\n\r\npart ${i}\r\n`);
  const raw = `${envelopeFields(to, `flat multipart ${parts}`, 'Content-Type: multipart/mixed; boundary="flat"\r\n')}\r\n${body.join('')}--flat--\r\nneedle\r\n`;
  return { name: `flat multipart of ${parts} parts`, raw: Buffer.from(raw) };
}

/** A Subject field folded (RFC 5322 §2.2.3) over `lines` lines. */
export function foldedHeader(lines: number, to = RECIPIENT): HostileShape {
  const folds: string[] = [];
  for (let i = 1; i < lines; i++) folds.push(`\r\n w${i}`);
  const raw = `${envelopeFields(to, `folded ${lines}${folds.join('')}`)}\r\nneedle in the body\r\n`;
  return { name: `header folded over ${lines} lines`, raw: Buffer.from(raw) };
}

/** `fields` header fields of one short line each: no field is big, the header is. */
export function manyFields(fields: number, to = RECIPIENT): HostileShape {
  const raw = `${envelopeFields(to, `many fields ${fields}`)}${'X-Field: value\r\n'.repeat(fields)}\r\nneedle in the body\r\n`;
  return { name: `${fields} header fields`, raw: Buffer.from(raw) };
}
