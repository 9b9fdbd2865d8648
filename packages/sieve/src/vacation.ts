// RFC 5230 vacation: whether a message may be answered (§4.5, §4.6) and the reply's fields (§4.1-§4.4).
import { createHash } from 'node:crypto';
import { addressesOf } from './address-parts.js';
import type { SieveMessage } from './message.js';

const ADDRESS_FIELDS = ['to', 'cc', 'bcc', 'resent-to', 'resent-cc', 'resent-bcc'];

/** RFC 5230 §4.6: senders that are lists or daemons, never answered. */
function isListOrDaemonSender(sender: string): boolean {
  const local = sender.slice(0, sender.lastIndexOf('@') < 0 ? sender.length : sender.lastIndexOf('@')).toLowerCase();
  return local.startsWith('owner-') || local.endsWith('-request') || ['mailer-daemon', 'listserv', 'majordomo'].includes(local);
}

/**
 * Why the message gets no vacation reply, or null when it may get one:
 * null sender and list/daemon senders (§4.6), Auto-Submitted other than "no" (RFC 3834 §2),
 * Precedence bulk/list/junk and List-* fields (RFC 2369, RFC 2919), the user's own address as
 * sender, and none of the user's addresses in To/Cc/Bcc/Resent-* (§4.5).
 */
export function vacationRefusal(message: SieveMessage, sender: string, userAddresses: string[]): string | null {
  if (sender === '') return 'null sender';
  if (isListOrDaemonSender(sender)) return 'list or daemon sender';
  const mine = new Set(userAddresses.map((a) => a.toLowerCase()));
  if (mine.has(sender.toLowerCase())) return 'sender is the user';
  const auto = message.values('auto-submitted')[0];
  if (auto !== undefined && auto.replace(/\([^()]*\)/g, '').split(';')[0]!.trim().toLowerCase() !== 'no') return 'Auto-Submitted';
  const precedence = message.values('precedence')[0]?.trim().toLowerCase();
  if (precedence === 'bulk' || precedence === 'list' || precedence === 'junk') return `Precedence: ${precedence}`;
  if (message.fields.some((f) => f.name.startsWith('list-'))) return 'mailing list';
  const named = ADDRESS_FIELDS.flatMap((field) => message.rawValues(field).flatMap(addressesOf)).map((a) => `${a.localPart}@${a.domain ?? ''}`.toLowerCase());
  if (!named.some((a) => mine.has(a))) return 'not addressed to the user';
  return null;
}

/** RFC 5230 §4.2: without :handle, one derived from the arguments, so an edited reply counts as new. */
export function defaultHandle(reason: string, subject: string | null, from: string | null, mime: boolean): string {
  return createHash('sha256').update(JSON.stringify([reason, subject, from, mime])).digest('hex').slice(0, 32);
}

/** RFC 5230 §4.1: :days defaults to 7 and is at least 1; RFC 6131 §2 :seconds. The upper bound is ours. */
export function vacationPeriodSeconds(days: number | undefined, seconds: number | undefined): number {
  if (seconds !== undefined) return Math.min(Math.max(seconds, 0), 365 * 86_400);
  return Math.min(Math.max(days ?? 7, 1), 365) * 86_400;
}
