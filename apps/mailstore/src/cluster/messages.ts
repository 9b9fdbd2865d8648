// The messages between the primary of a multi-process mailstore ([limits] mailstore_processes) and its workers, over node:cluster's IPC channel.
import type { LimitRefusal } from '@postern/service';

/** From a worker to the primary. */
export type WorkerMessage =
  /** Every listener is bound; `services` describes them (for the primary's "ready" line). */
  | { postern: 'ready'; services: string[] }
  /** Mailboxes this worker changed (LMTP deliveries, IMAP sessions), for the other workers' IDLE sessions. */
  | { postern: 'changed'; mailboxIds: string[] }
  /** Take one count of a connection limit; answered by `taken` with the same id. */
  | { postern: 'take'; id: number; counter: LimitRefusal; key: string }
  | { postern: 'release'; counter: LimitRefusal; key: string }
  /** The answer to `metrics`: this worker's registry in the text exposition format. */
  | { postern: 'metrics'; id: number; text: string };

/** From the primary to a worker. */
export type PrimaryMessage =
  | { postern: 'changed'; mailboxIds: string[] }
  | { postern: 'taken'; id: number; ok: boolean }
  | { postern: 'metrics'; id: number }
  /** Stop accepting, let in-flight work finish, close the store and exit. */
  | { postern: 'stop' };

export function isPosternMessage<T extends { postern: string }>(message: unknown): message is T {
  return typeof message === 'object' && message !== null && typeof (message as { postern?: unknown }).postern === 'string';
}
