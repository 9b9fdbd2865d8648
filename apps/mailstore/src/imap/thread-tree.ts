// The thread trees of THREAD (RFC 5256): their messages, the sent-date order, and the `* THREAD` response.
import type { SubjectBase } from './sort.js';

/** What the thread algorithms know of a message (RFC 5256 §2.2, §3). */
export interface ThreadMessage {
  uid: number;
  /** The position in the mailbox (sequence order): the tie-break when sent dates are equal (RFC 5256 §2.2). */
  position: number;
  /** RFC 5256 §2.2 sent date, in milliseconds UTC. */
  sent: number;
  /** The first msg-id of the Message-ID field, or null. */
  messageId: string | null;
  /** RFC 5256 §3 REFERENCES step 1: the msg-ids of References, else the first one of In-Reply-To. */
  references: string[];
  subject: SubjectBase;
}

/** A message of a thread, or a dummy (no message) that holds siblings together (RFC 5256 §3). */
export interface ThreadNode {
  message: ThreadMessage | null;
  children: ThreadNode[];
}

/** The message a node sorts by: its own, or a dummy's first child's (RFC 5256 §3 REFERENCES steps 5 and 7). */
export function sortingMessage(node: ThreadNode): ThreadMessage | null {
  return node.message ?? node.children[0]?.message ?? null;
}

/** RFC 5256 §2.2: by sent date, equal dates by sequence number. */
export function bySentDate(a: ThreadNode, b: ThreadNode): number {
  const x = sortingMessage(a);
  const y = sortingMessage(b);
  if (!x || !y) return x ? -1 : y ? 1 : 0;
  return x.sent - y.sent || x.position - y.position;
}

/**
 * RFC 5256 §5: `thread-list = "(" (thread-members / thread-nested) ")"`,
 * `thread-members = nz-number *(SP nz-number) [SP thread-nested]`,
 * `thread-nested = 2*thread-list`: a chain of only children is one list, a
 * node with several children ends its list with one list per child, and a
 * dummy is no number. Written with a stack of its own, so that a chain of any
 * depth fits.
 */
export function threadLists(roots: ThreadNode[], numberOf: (message: ThreadMessage) => number): string {
  const out: string[] = [];
  const pending: (ThreadNode | ')')[] = [...roots].reverse();
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    if (item === ')') {
      out.push(')');
      continue;
    }
    out.push('(');
    let node = item;
    let first = true;
    for (;;) {
      if (node.message) {
        out.push(first ? String(numberOf(node.message)) : ` ${numberOf(node.message)}`);
        first = false;
      }
      if (node.children.length !== 1) break;
      node = node.children[0]!;
    }
    pending.push(')');
    if (node.children.length > 1) {
      if (!first) out.push(' ');
      for (let i = node.children.length - 1; i >= 0; i--) pending.push(node.children[i]!);
    }
  }
  return out.join('');
}

/** RFC 5256 §4 `thread-data = "THREAD" [SP 1*thread-list]`. */
export function threadLine(roots: ThreadNode[], numberOf: (message: ThreadMessage) => number): string {
  return roots.length === 0 ? '* THREAD' : `* THREAD ${threadLists(roots, numberOf)}`;
}
