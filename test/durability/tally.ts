// Compares the clients' ledger with what the mailboxes and the remote sink
// hold: every acknowledged copy exactly once, every other copy at most once.
import type { MtaInstance } from '../mta/instance.js';
import type { RemoteSmtp } from '../support/remote-smtp.js';
import { seqOf, type SentMessage } from './senders.js';

export interface Tally {
  /** Messages that got 250 after the final dot, and their copies (one per accepted recipient). */
  acknowledged: number;
  acknowledgedCopies: number;
  /** Acknowledged copies found (at least once) in their mailbox or at the sink. */
  found: number;
  /** Copies of any message found more than once (each counts once), in a local mailbox and at the remote sink. */
  duplicated: number;
  duplicatedLocal: number;
  duplicatedRemote: number;
  /** The most copies of one message any recipient got. */
  maxCopies: number;
  /** Acknowledged copies found nowhere. */
  lost: number;
  /** Messages refused with 4xx/5xx, and messages whose reply never came; and how many of their copies arrived anyway. */
  refused: number;
  unknown: number;
  unacknowledgedCopiesFound: number;
  /** Copies with an X-Seq no client sent to that recipient. */
  strays: number;
  /** Messages without an X-Seq (bounces) in the sender's mailbox. */
  bounces: number;
  /** Examples of each fault, for the failure message: "seq 17 → box1@example.com ×2". */
  faults: string[];
}

/** "seq → recipient" → how many copies arrived. */
async function copiesFound(mta: MtaInstance, sink: RemoteSmtp, localUsers: string[]): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  const add = (seq: number | null, recipient: string): void => {
    const key = `${seq ?? 'none'} → ${recipient.toLowerCase()}`;
    found.set(key, (found.get(key) ?? 0) + 1);
  };
  for (const user of localUsers) for (const stored of await mta.inbox(user)) add(seqOf(stored.raw), user);
  for (const received of sink.messages) for (const recipient of received.recipients) add(seqOf(received.message), recipient);
  return found;
}

export async function tally(ledger: readonly SentMessage[], mta: MtaInstance, sink: RemoteSmtp, localUsers: string[], sender: string): Promise<Tally> {
  const found = await copiesFound(mta, sink, localUsers);
  const result: Tally = { acknowledged: 0, acknowledgedCopies: 0, found: 0, duplicated: 0, duplicatedLocal: 0, duplicatedRemote: 0, maxCopies: 0, lost: 0, refused: 0, unknown: 0, unacknowledgedCopiesFound: 0, strays: 0, bounces: 0, faults: [] };
  const sent = new Set<string>();
  for (const message of ledger) {
    if (message.outcome === 'acknowledged') result.acknowledged++;
    else result[message.outcome]++;
    for (const recipient of message.recipients) {
      const key = `${message.seq} → ${recipient.toLowerCase()}`;
      sent.add(key);
      const copies = found.get(key) ?? 0;
      result.maxCopies = Math.max(result.maxCopies, copies);
      if (copies > 1) {
        result.duplicated++;
        if (localUsers.some((user) => user.toLowerCase() === recipient.toLowerCase())) result.duplicatedLocal++;
        else result.duplicatedRemote++;
        result.faults.push(`duplicated (${message.outcome}): ${key} ×${copies}`);
      }
      if (message.outcome === 'acknowledged') {
        result.acknowledgedCopies++;
        if (copies > 0) result.found++;
        else {
          result.lost++;
          result.faults.push(`lost: ${key} (acknowledged "${message.reply}")`);
        }
      } else if (copies > 0) result.unacknowledgedCopiesFound++;
    }
  }
  for (const [key, copies] of found) {
    if (sent.has(key) || key.startsWith('none →')) continue;
    result.strays += copies;
    result.faults.push(`stray: ${key} ×${copies}`);
  }
  result.bounces = (await mta.inbox(sender)).filter((stored) => seqOf(stored.raw) === null).length;
  return result;
}

/** One line for the test output, which the closing note quotes. */
export function describeTally(label: string, counts: Tally): string {
  return (
    `${label}: acknowledged ${counts.acknowledged} messages (${counts.acknowledgedCopies} copies), found ${counts.found}, duplicated ${counts.duplicated} (${counts.duplicatedLocal} local, ${counts.duplicatedRemote} remote, at most ${counts.maxCopies} copies), lost ${counts.lost}; ` +
    `not acknowledged: ${counts.refused} refused + ${counts.unknown} without a reply, ${counts.unacknowledgedCopiesFound} of their copies delivered; strays ${counts.strays}, bounces ${counts.bounces}`
  );
}
