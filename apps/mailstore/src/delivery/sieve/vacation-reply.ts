// The vacation reply (RFC 5230 §5, RFC 3834): built, remembered once per sender per period
// (§4.2, in the store), and queued from the null sender.
import { randomBytes } from 'node:crypto';
import { rfc5322Date } from '@postern/address';
import { enqueueMessage } from '@postern/queue';
import type { QueueId, Store, User } from '@postern/store';
import libmime from 'libmime';
import { headerLength, parseHeaderFields } from '../../message/index.js';
import type { VacationAction } from './plan.js';

const CRLF = '\r\n';
const NON_ASCII = /[^\x00-\x7f]/;

/** A header value as one line: no CR/LF a script could use to add fields; RFC 2047 words when not ASCII. */
function headerValue(text: string): string {
  const line = text.replace(/[\r\n]+/g, ' ').trim();
  return NON_ASCII.test(line) ? libmime.encodeWords(line, 'Q', 52) : line;
}

/** RFC 5230 §5: the reply, CRLF lines, to the envelope sender of `original`. */
export function buildVacationReply(action: VacationAction, user: User, original: Buffer, hostname: string, now = new Date()): Buffer {
  const fields = parseHeaderFields(original.subarray(0, headerLength(original)));
  const field = (name: string): string | undefined => fields.find(([n]) => n === name)?.[1]?.trim();
  const messageId = field('message-id');
  // RFC 5230 §5.8: In-Reply-To is the original's Message-ID; References its References and Message-ID.
  const references = [field('references'), messageId].filter((v): v is string => v !== undefined && v !== '').join(' ');
  const header = [
    `From: ${headerValue(action.from ?? user.address)}`,
    `To: <${action.replyTo}>`,
    `Subject: ${headerValue(action.subject)}`,
    `Date: ${rfc5322Date(now)}`,
    `Message-ID: <${now.getTime()}.${randomBytes(8).toString('hex')}@${hostname}>`,
    ...(messageId ? [`In-Reply-To: ${messageId}`] : []),
    ...(references ? [`References: ${headerValue(references)}`] : []),
    // RFC 3834 §5 and RFC 5230 §5.6: marks the reply so that other responders leave it alone.
    'Auto-Submitted: auto-replied (vacation)',
    'Precedence: bulk',
    'MIME-Version: 1.0',
  ];
  const reason = action.reason.replace(/\r?\n/g, CRLF);
  // RFC 5230 §4.4 :mime: the reason is a MIME entity, headers included.
  if (action.mime) return Buffer.from(`${header.join(CRLF)}${CRLF}${reason}${reason.endsWith(CRLF) ? '' : CRLF}`, 'utf8');
  const body = NON_ASCII.test(reason)
    ? ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: base64', '', (Buffer.from(reason, 'utf8').toString('base64').match(/.{1,76}/g) ?? []).join(CRLF)]
    : ['Content-Type: text/plain; charset=us-ascii', 'Content-Transfer-Encoding: 7bit', '', reason];
  return Buffer.from(`${header.join(CRLF)}${CRLF}${body.join(CRLF)}${CRLF}`, 'utf8');
}

/**
 * Sends the reply unless this sender was answered under this handle within the period
 * (RFC 5230 §4.2). Returns the queue id, or null when already answered.
 */
export async function sendVacationReply(store: Store, action: VacationAction, user: User, original: Buffer, hostname: string, now = new Date()): Promise<QueueId | null> {
  const until = new Date(now.getTime() + action.periodSeconds * 1000);
  if (!(await store.claimVacationReply(user.id, action.handle, action.replyTo.toLowerCase(), now, until))) return null;
  const message = buildVacationReply(action, user, original, hostname, now);
  // RFC 5230 §5.1 / RFC 3834 §3.3: the reply's envelope sender is null, so it can cause no further reply or bounce.
  const entry = await enqueueMessage(store, { from: '', recipients: [{ address: action.replyTo, notify: null, orcpt: null }], message, eightBit: action.mime && NON_ASCII.test(action.reason) });
  return entry.id;
}
