import { DAY_NAMES, MONTH_NAMES } from '@postern/address';
import type { QueueEntry } from '@postern/store';

/** What `queue list --json` prints for one entry (the message itself stays in the store). */
export function queueEntryJson(entry: QueueEntry, now: Date) {
  return {
    id: entry.id,
    from: entry.from,
    size: entry.size,
    createdAt: entry.createdAt.toISOString(),
    nextAttemptAt: entry.nextAttemptAt.toISOString(),
    attempts: entry.attempts,
    held: entry.held,
    active: isBeingDelivered(entry, now),
    recipients: entry.recipients.map((r) => ({ address: r.address, status: r.status, lastResponse: r.lastResponse })),
  };
}

/** A delivery run holds a lease that has not run out. */
export function isBeingDelivered(entry: QueueEntry, now: Date): boolean {
  return entry.leaseUntil !== null && entry.leaseUntil > now;
}

/** postqueue -p marks: "!" on hold, "*" in delivery, nothing when waiting. */
function mark(entry: QueueEntry, now: Date): string {
  if (entry.held) return '!';
  return isBeingDelivered(entry, now) ? '*' : ' ';
}

/** The null reverse-path, as mailq shows it. */
export function senderText(from: string): string {
  return from === '' ? 'MAILER-DAEMON' : from;
}

const two = (n: number): string => String(n).padStart(2, '0');

/** mailq's arrival time: local time, ctime(3) without the year. */
function arrival(date: Date): string {
  return `${DAY_NAMES[date.getDay()]} ${MONTH_NAMES[date.getMonth()]} ${String(date.getDate()).padStart(2)} ${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

const ID_WIDTH = 25; // 24 hex digits and the mark
const SIZE_WIDTH = 8;
const ARRIVAL_WIDTH = 20;
const RECIPIENT_INDENT = ' '.repeat(ID_WIDTH + 1 + SIZE_WIDTH + 1 + ARRIVAL_WIDTH + 1);

/**
 * The queue as Postfix's mailq prints it: one block per entry with the
 * sender on the first line and each recipient below it, its last reply in
 * parentheses on the line before; a total at the end.
 */
export function mailqLines(entries: QueueEntry[], now: Date): string[] {
  if (entries.length === 0) return ['Mail queue is empty'];
  const lines = [`${'-Queue ID-'.padEnd(ID_WIDTH)} ${'--Size--'.padStart(SIZE_WIDTH)} ----Arrival Time---- -Sender/Recipient-------`];
  for (const entry of entries) {
    lines.push(`${(entry.id + mark(entry, now)).padEnd(ID_WIDTH)} ${String(entry.size).padStart(SIZE_WIDTH)} ${arrival(entry.createdAt).padEnd(ARRIVAL_WIDTH)} ${senderText(entry.from)}`);
    for (const recipient of entry.recipients) {
      if (recipient.lastResponse) lines.push(`(${recipient.lastResponse})`);
      lines.push(`${RECIPIENT_INDENT}${recipient.address}  ${recipient.status}`);
    }
    lines.push('');
  }
  const kbytes = Math.ceil(entries.reduce((total, e) => total + e.size, 0) / 1024);
  lines.push(`-- ${kbytes} Kbytes in ${entries.length} Request${entries.length === 1 ? '' : 's'}.`);
  return lines;
}
