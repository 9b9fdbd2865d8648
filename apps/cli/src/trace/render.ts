import type { QueueEntry } from '@postern/store';
import { senderText } from '../queue-listing.js';
import type { Trace } from './collect.js';
import type { LogLine } from './log-source.js';

const EVENT_WIDTH = 14;

function field(line: LogLine, key: string): string {
  const value = line[key];
  return typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
}

/** Where a line came from when it says no service of its own (the mailstore's LMTP lines). */
function eventOf(line: LogLine): string {
  return field(line, 'event') || (line.rcpt !== undefined ? 'lmtp' : field(line, 'level'));
}

/** The line's text, led by its queue id as maillog lines are ("QUEUEID: …"), with the bounce it queued. */
function textOf(line: LogLine): string {
  const queueId = field(line, 'queue_id');
  const msg = field(line, 'msg');
  const led = queueId !== '' && queueId !== 'NOQUEUE' && !msg.startsWith(queueId) ? `${queueId}: ${msg}` : msg;
  const bounce = field(line, 'bounce_id');
  return bounce === '' ? led : `${led}: ${bounce}`;
}

/** The queue's own record of the entries still queued: each recipient's state and last reply. */
function queueLines(entries: QueueEntry[]): string[] {
  return entries.flatMap((entry) => [
    `queue ${entry.id}: from=<${senderText(entry.from)}>, ${entry.attempts} attempt${entry.attempts === 1 ? '' : 's'}, ${entry.held ? 'on hold' : `next attempt ${entry.nextAttemptAt.toISOString()}`}`,
    ...entry.recipients.map((r) => `  to=<${r.address}> ${r.status}${r.lastResponse ? ` (${r.lastResponse})` : ''}`),
  ]);
}

/** The story in time order, one line per log event, then what the queue still holds. */
export function traceLines(trace: Trace, queued: QueueEntry[]): string[] {
  const ids = [`queue id${trace.queueIds.length === 1 ? '' : 's'} ${trace.queueIds.join(', ') || 'none'}`];
  if (trace.messageIds.length > 0) ids.push(`Message-ID ${trace.messageIds.map((id) => `<${id}>`).join(', ')}`);
  const lines = [`trace: ${ids.join('; ')}`];
  for (const line of trace.lines) lines.push(`${field(line, 'time')}  ${eventOf(line).padEnd(EVENT_WIDTH)} ${textOf(line)}`);
  const finished = trace.queueIds.filter((id) => !queued.some((entry) => entry.id === id));
  if (queued.length > 0) lines.push('', ...queueLines(queued));
  if (finished.length > 0) lines.push('', `no longer queued: ${finished.join(', ')}`);
  return lines;
}
