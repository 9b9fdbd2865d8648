import { myOrigin, resolveRecipient, type LocalDelivery, type OriginSettings } from '@postern/directory';
import type { Store } from '@postern/store';
import type { MtaContext } from './context.js';

/** Where one RCPT TO address leads (after the restrictions allowed it). */
export type RecipientRoute =
  /**
   * One of our domains: its local mailboxes (LMTP recipient addresses) and,
   * for an alias that forwards off-site, the remote targets (queued, ARC-sealed).
   */
  | {
      kind: 'local';
      mailboxes: string[];
      remote: string[];
      unknownTargets: string[];
      /** The expansion forwards off-site (ARC-sealed), also when the mailstore queues those targets itself. */
      forwarded: boolean;
    }
  /** Not one of our domains: relaying (the policy already decided it may). */
  | { kind: 'remote' }
  /** A local domain without such a user, alias or catch-all. */
  | { kind: 'unknown' }
  /** Only users that `postern user disable` turned off. */
  | { kind: 'disabled' }
  /** An SRS address of ours that is forged, expired or malformed. */
  | { kind: 'srs_refused'; reason: string };

/** The LMTP recipient for a local delivery: the user's address, keeping the +tag for folder filing. */
export function mailboxAddress(delivery: LocalDelivery, delimiter: string): string {
  const first = delimiter[0];
  if (delivery.tag === null || first === undefined) return delivery.user.address;
  const at = delivery.user.address.lastIndexOf('@');
  return `${delivery.user.address.slice(0, at)}${first}${delivery.tag}${delivery.user.address.slice(at)}`;
}

export async function routeRecipient(ctx: MtaContext, address: string, domain: string): Promise<RecipientRoute> {
  if ((await ctx.store.getDomain(domain)) === null) return { kind: 'remote' };
  const delimiter = ctx.config.smtpd.recipient_delimiter;
  const resolution = await resolveRecipient(ctx.store, address, { recipientDelimiter: delimiter, srs: ctx.srs });
  if (resolution.srsRefused !== null) return { kind: 'srs_refused', reason: resolution.srsRefused };
  if (resolution.local.length === 0 && resolution.remote.length === 0) return { kind: resolution.disabled.length > 0 ? 'disabled' : 'unknown' };
  const mailboxes = resolution.local.map((delivery) => mailboxAddress(delivery, delimiter));
  const forwarded = resolution.remote.length > 0 ? await forwardedByMailstore(ctx.store, mailboxes, delimiter) : new Set<string>();
  return { kind: 'local', mailboxes, remote: resolution.remote.filter((target) => !forwarded.has(target)), unknownTargets: resolution.unknown, forwarded: resolution.remote.length > 0 };
}

/**
 * The remote targets the mailstore's LMTP queues itself when it expands the
 * mailbox addresses the queue delivers to it (an alias that lists itself:
 * "keep a copy and forward"). They are left to it, so that each target gets
 * one copy, and the forward follows the mailbox delivery (retried with it).
 */
async function forwardedByMailstore(store: Store, mailboxes: string[], delimiter: string): Promise<Set<string>> {
  const targets = new Set<string>();
  for (const mailbox of mailboxes) {
    for (const target of (await resolveRecipient(store, mailbox, { recipientDelimiter: delimiter })).remote) targets.add(target);
  }
  return targets;
}

/**
 * RFC 5321 §4.1.1.3: "RCPT TO:<Postmaster>" without a domain must be
 * accepted. It means the postmaster of this server: postmaster@myorigin,
 * as Postfix appends $myorigin; null while there is no local domain at all.
 */
export async function postmasterAddress(store: Store, settings: OriginSettings): Promise<string | null> {
  const origin = await myOrigin(store, settings);
  return (await store.getDomain(origin)) === null ? null : `postmaster@${origin}`;
}
