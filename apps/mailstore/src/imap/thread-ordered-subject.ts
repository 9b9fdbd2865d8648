// THREAD=ORDEREDSUBJECT (RFC 5256 §3): one thread per base subject, its messages by sent date.
import { asciiCasemapText } from './sort.js';
import { bySentDate, type ThreadMessage, type ThreadNode } from './thread-tree.js';

/**
 * RFC 5256 §3: the messages sorted by base subject, then by sent date, and
 * split into one thread per base subject; the first message is the thread's
 * root and every later one is its child (siblings of each other); the threads
 * are sorted by the sent date of their first message.
 */
export function orderedSubjectThreads(messages: ThreadMessage[]): ThreadNode[] {
  const bySubject = new Map<string, ThreadNode[]>();
  for (const message of messages) {
    const subject = asciiCasemapText(message.subject.base);
    const group = bySubject.get(subject);
    if (group) group.push({ message, children: [] });
    else bySubject.set(subject, [{ message, children: [] }]);
  }
  const threads: ThreadNode[] = [];
  for (const group of bySubject.values()) {
    group.sort(bySentDate);
    const [root, ...rest] = group;
    root!.children = rest;
    threads.push(root!);
  }
  return threads.sort(bySentDate);
}
