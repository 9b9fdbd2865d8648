// Sieve redirect (RFC 5228 §4.2) through the outbound queue, with a per-user daily limit.
import type { SenderRewriting } from '@postern/directory';
import { enqueueMessage } from '@postern/queue';
import type { QueueId, Store, UserId } from '@postern/store';

/**
 * Redirects per user per UTC day, counted in this mailstore process: a hostile or looping
 * script cannot turn the server into a relay (sieve.redirects_per_day).
 */
export class RedirectLimiter {
  private day = '';
  private readonly counts = new Map<UserId, number>();

  constructor(private readonly perDay: () => number) {}

  /** Takes one redirect for the user; false once today's allowance is spent. */
  take(userId: UserId, now = new Date()): boolean {
    const today = now.toISOString().slice(0, 10);
    if (today !== this.day) {
      this.day = today;
      this.counts.clear();
    }
    const used = this.counts.get(userId) ?? 0;
    if (used >= this.perDay()) return false;
    this.counts.set(userId, used + 1);
    return true;
  }
}

/**
 * Queues the message for `address`. RFC 5228 §4.2: the envelope sender may be copied from the
 * message being processed, and an empty one MUST stay empty; a sender of another domain is
 * rewritten with SRS (`srs`, null when off) so that SPF at the next hop checks our host.
 * The message goes as stored for the user (its Delivered-To lets the next hop see a loop), without
 * our Return-Path, which only a final delivery adds (RFC 5321 §4.4).
 */
export async function enqueueRedirect(store: Store, srs: SenderRewriting | null, sender: string, message: Buffer, address: string, eightBit: boolean): Promise<QueueId> {
  const from = srs ? await srs.forwardSender(sender) : sender;
  const entry = await enqueueMessage(store, { from, recipients: [{ address, notify: null, orcpt: null }], message, eightBit });
  return entry.id;
}
