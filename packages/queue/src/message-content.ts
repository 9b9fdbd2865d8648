// A queued message's bytes as a delivery sends them: read part by part from the store, never whole.
import type { QueueEntry, Store } from '@postern/store';

/**
 * The queue stores a message in parts of this size (each a blob), so that a
 * delivery holds one part at a time and a store write binds one part at a
 * time: twenty deliveries of 50 MB messages hold about 20 MiB, not 1 GB.
 */
export const QUEUE_PART_BYTES = 1024 * 1024;

/** A message to send: its size (RFC 1870 SIZE=) and its bytes in order, as often as asked. */
export interface MessageContent {
  readonly size: number;
  chunks(): AsyncIterable<Buffer>;
}

/** A message already in memory (tests, tools). */
export function contentOf(message: Buffer): MessageContent {
  return {
    size: message.length,
    async *chunks() {
      yield message;
    },
  };
}

/** The message cut into the queue's parts (views of `message`, not copies). */
export function queueParts(message: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  for (let offset = 0; offset < message.length; offset += QUEUE_PART_BYTES) parts.push(message.subarray(offset, offset + QUEUE_PART_BYTES));
  return parts.length > 0 ? parts : [message];
}

/** A queue entry's message, read from the store one part at a time while it is sent; a missing part throws. */
export function queuedContent(store: Store, entry: Pick<QueueEntry, 'id' | 'parts' | 'size'>): MessageContent {
  return {
    size: entry.size,
    async *chunks() {
      for (const hash of entry.parts) {
        const part = await store.getBlob(hash);
        if (part === null) throw new Error(`queue entry ${entry.id}: message part ${hash} is missing from the store`);
        yield part;
      }
    },
  };
}
