import { headerLength, parseHeaderFields } from '../message/index.js';

/** The envelope facts a delivery agent records at the top of the message. */
export interface TraceFields {
  /** The reverse-path of MAIL FROM; '' for the null sender. */
  returnPath: string;
  /** The recipient address the message was delivered for (the RCPT TO address). */
  deliveredTo: string;
}

/** The line ending the message itself uses, so the added lines match it. */
function lineEnding(raw: Buffer): string {
  const lf = raw.indexOf(0x0a);
  return lf > 0 && raw[lf - 1] !== 0x0d ? '\n' : '\r\n';
}

/**
 * Prepends `Return-Path:` (RFC 5321 §4.4: added by the server that makes the
 * final delivery) and `Delivered-To:` (Postfix local(8)/Dovecot LMTP usage,
 * what loop checks and filters read) to the message.
 */
export function withTraceHeaders(raw: Buffer, fields: TraceFields): Buffer {
  const eol = lineEnding(raw);
  const lines = `Return-Path: <${fields.returnPath}>${eol}Delivered-To: ${fields.deliveredTo}${eol}`;
  return Buffer.concat([Buffer.from(lines, 'utf8'), raw]);
}

/**
 * The addresses the message was already delivered to, from its Delivered-To
 * fields (lower case, angle brackets dropped): Postfix local(8)'s loop check
 * reads the same fields.
 */
export function deliveredToAddresses(raw: Buffer): Set<string> {
  const fields = parseHeaderFields(raw.subarray(0, headerLength(raw)));
  return new Set(fields.filter(([name]) => name === 'delivered-to').map(([, value]) => value.replace(/^<|>$/g, '').trim().toLowerCase()));
}
