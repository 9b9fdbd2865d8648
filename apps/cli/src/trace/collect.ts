import type { LogLine } from './log-source.js';

/** What belongs to one message: its queue ids (a bounce's and a forward's too), Message-IDs and lines. */
export interface Trace {
  queueIds: string[];
  messageIds: string[];
  lines: LogLine[];
}

const NOQUEUE = 'NOQUEUE';

/** RFC 5322 §3.6.4: msg-id is "<" id-left "@" id-right ">"; compared without the brackets. */
export function bareMessageId(value: string): string {
  return value.trim().replace(/^<(.*)>$/, '$1');
}

function text(line: LogLine, key: string): string | null {
  const value = line[key];
  return typeof value === 'string' && value !== '' ? value : null;
}

/** The MTA writes message_id, the mailstore's LMTP messageId. */
function messageIdOf(line: LogLine): string | null {
  const value = text(line, 'message_id') ?? text(line, 'messageId');
  return value === null ? null : bareMessageId(value);
}

/**
 * The lines of one message, found from a queue id or a Message-ID and
 * followed until nothing new turns up: the queue id's lines name the
 * Message-ID (received), the bounce's queue id (bounce_id) and the SMTP
 * session; the Message-ID finds the mailstore's LMTP lines and the queue
 * ids of forwarded copies. Session lines without a queue id (connect, HELO,
 * disconnect) come along; other transactions of the same session do not.
 */
export function collectTrace(lines: readonly LogLine[], id: string): Trace {
  const queueIds = new Set<string>();
  const messageIds = new Set<string>();
  const sessions = new Set<string>();
  if (id.includes('@')) messageIds.add(bareMessageId(id));
  else queueIds.add(id);
  const belongs = (line: LogLine): boolean => {
    const queueId = text(line, 'queue_id');
    if (queueId !== null && queueIds.has(queueId)) return true;
    const messageId = messageIdOf(line);
    return messageId !== null && messageIds.has(messageId);
  };
  for (let grew = true; grew; ) {
    const before = queueIds.size + messageIds.size + sessions.size;
    for (const line of lines) {
      if (!belongs(line)) continue;
      for (const key of ['queue_id', 'bounce_id']) {
        const value = text(line, key);
        if (value !== null && value !== NOQUEUE) queueIds.add(value);
      }
      const messageId = messageIdOf(line);
      if (messageId !== null) messageIds.add(messageId);
      const session = text(line, 'session');
      if (session !== null) sessions.add(session);
    }
    grew = queueIds.size + messageIds.size + sessions.size > before;
  }
  const selected = lines.filter((line) => {
    if (belongs(line)) return true;
    const session = text(line, 'session');
    const queueId = text(line, 'queue_id');
    return session !== null && sessions.has(session) && (queueId === null || queueId === NOQUEUE);
  });
  const time = (line: LogLine): string => text(line, 'time') ?? '';
  return { queueIds: [...queueIds], messageIds: [...messageIds], lines: [...selected].sort((a, b) => time(a).localeCompare(time(b))) };
}
