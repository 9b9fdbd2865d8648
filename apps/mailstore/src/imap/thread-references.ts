// THREAD=REFERENCES (RFC 5256 §3): threads from Message-ID, References and In-Reply-To, merged by base subject.
import { bySentDate, type ThreadMessage, type ThreadNode } from './thread-tree.js';
import { asciiCasemapText } from './sort.js';

interface Container extends ThreadNode {
  parent: Container | null;
  children: Container[];
}

function container(message: ThreadMessage | null = null): Container {
  return { message, children: [], parent: null };
}

/** True when `node` is `ancestor` or below it (walks up the parent links, no recursion). */
function isWithin(node: Container, ancestor: Container): boolean {
  // Nothing is below a container without children.
  if (node !== ancestor && ancestor.children.length === 0) return false;
  for (let at: Container | null = node; at; at = at.parent) if (at === ancestor) return true;
  return false;
}

function unlink(child: Container): void {
  const parent = child.parent;
  if (!parent) return;
  parent.children.splice(parent.children.indexOf(child), 1);
  child.parent = null;
}

/** Makes `child` a child of `parent` unless that would make a loop (RFC 5256 §3 REFERENCES step 1A). */
function link(parent: Container, child: Container): void {
  if (isWithin(parent, child)) return;
  child.parent = parent;
  parent.children.push(child);
}

/** RFC 5256 §3 REFERENCES step 1: the containers, linked by the references of each message in turn. */
function linkMessages(messages: ThreadMessage[]): Container[] {
  const byId = new Map<string, Container>();
  const all: Container[] = [];
  const idContainer = (id: string): Container => {
    let found = byId.get(id);
    if (!found) {
      found = container();
      byId.set(id, found);
      all.push(found);
    }
    return found;
  };
  for (const message of messages) {
    // Step 1A: each reference the parent of the next; a message that has a parent keeps it.
    let previous: Container | null = null;
    for (const id of message.references) {
      const current = idContainer(id);
      if (previous && !current.parent && current !== previous) link(previous, current);
      previous = current;
    }
    // Step 1B: the message's own container; a Message-ID seen on a message before counts as none.
    let own: Container;
    const known = message.messageId === null ? undefined : byId.get(message.messageId);
    if (message.messageId !== null && known && known.message === null) {
      own = known;
      own.message = message;
    } else {
      own = container(message);
      all.push(own);
      if (message.messageId !== null && !known) byId.set(message.messageId, own);
    }
    // The message's own references decide its parent: an earlier link (from a truncated References) is broken.
    unlink(own);
    if (previous && previous !== own) link(previous, own);
  }
  return all;
}

/** Containers in an order where every child comes before its parent (an explicit stack, any depth). */
function childrenFirst(roots: Container[]): Container[] {
  const order: Container[] = [];
  const pending = [...roots];
  for (let node = pending.pop(); node; node = pending.pop()) {
    order.push(node);
    pending.push(...node.children);
  }
  return order.reverse();
}

/**
 * RFC 5256 §3 REFERENCES step 4: a dummy without children goes; a dummy with children
 * gives them to its parent, except at the top when it has more than one.
 */
function pruneDummies(roots: Container[]): Container[] {
  for (const node of childrenFirst(roots)) {
    const kept: Container[] = [];
    for (const child of node.children) {
      if (child.message) kept.push(child);
      else for (const grandchild of child.children) kept.push(grandchild);
    }
    for (const child of kept) child.parent = node;
    node.children = kept;
  }
  const top: Container[] = [];
  for (const root of roots) {
    if (root.message || root.children.length > 1) top.push(root);
    else if (root.children.length === 1) {
      const only = root.children[0]!;
      only.parent = null;
      top.push(only);
    }
  }
  return top;
}

function isReplyOrForward(node: Container): boolean {
  return node.message?.subject.replyOrForward ?? false;
}

/** RFC 5256 §3 REFERENCES step 6(B)(i): the thread subject, from the message or a dummy's first child; "" skips the thread. */
function threadSubject(node: Container): string {
  const message = node.message ?? node.children[0]?.message;
  return message ? asciiCasemapText(message.subject.base) : '';
}

function adopt(parent: Container, child: Container): void {
  child.parent = parent;
  parent.children.push(child);
}

/** RFC 5256 §3 REFERENCES step 6: threads at the top with the same base subject are merged. */
function gatherBySubject(roots: Container[]): Container[] {
  const table = new Map<string, Container>();
  // (B) one thread per subject: a dummy over a message, a message that is not a reply over one that is.
  for (const root of roots) {
    const subject = threadSubject(root);
    if (subject === '') continue;
    const held = table.get(subject);
    if (!held) table.set(subject, root);
    else if (held.message && (!root.message || (isReplyOrForward(held) && !isReplyOrForward(root)))) table.set(subject, root);
  }
  // (C) every other thread with that subject merged into the table's.
  const top = [...roots];
  const place = new Map(roots.map((root, index) => [root, index]));
  const removed = new Set<Container>();
  for (const root of roots) {
    const subject = threadSubject(root);
    if (subject === '') continue;
    const held = table.get(subject)!;
    if (held === root) continue;
    removed.add(root);
    if (!held.message && !root.message) {
      for (const child of root.children) adopt(held, child);
      root.children = [];
    } else if (!held.message || (isReplyOrForward(root) && !isReplyOrForward(held))) {
      adopt(held, root);
    } else {
      // Both hold messages of equal standing: a new dummy over the two takes the table thread's place.
      const dummy = container();
      const index = place.get(held)!;
      top[index] = dummy;
      place.set(dummy, index);
      adopt(dummy, held);
      adopt(dummy, root);
      table.set(subject, dummy);
    }
  }
  return top.filter((root) => !removed.has(root));
}

/** RFC 5256 §3 REFERENCES steps 1-7. */
export function referencesThreads(messages: ThreadMessage[]): ThreadNode[] {
  const all = linkMessages(messages);
  // Steps 2 and 3: the containers without a parent are the threads; the Message-ID table is no longer needed.
  let roots = pruneDummies(all.filter((node) => node.parent === null));
  // Step 5: the threads by sent date, a dummy by its first child's after its children are sorted.
  for (const root of roots) if (!root.message) root.children.sort(bySentDate);
  roots.sort(bySentDate);
  roots = gatherBySubject(roots);
  // Step 7: every set of siblings by sent date, the deepest first, the top last.
  for (const node of childrenFirst(roots)) node.children.sort(bySentDate);
  return roots.sort(bySentDate);
}
