import { senderOwners } from '@postern/directory';
import { addressKey, type Store } from '@postern/store';
import { DUNNO, rejectWith } from '../reply.js';
import type { RuleContext, RuleResult } from '../types.js';
import { defineRule } from './define.js';

/** smtpd_sender_login_maps for one MAIL FROM: who owns the address, and whether `login` is one of them. */
export interface SenderLoginCheck {
  owners: string[];
  owned: boolean;
}

/** Whether `login` (a SASL user, or null when not logged in) may send as `sender`. */
export async function checkSenderLogin(store: Store, sender: string, login: string | null): Promise<SenderLoginCheck> {
  const owners = await senderOwners(store, sender);
  return { owners, owned: login !== null && owners.includes(addressKey(login)) };
}

// Postfix hard-codes 553 5.7.1 for both mismatch replies.
function notOwned(sender: string, login: string): RuleResult {
  return rejectWith(553, '5.7.1', `<${sender}>: Sender address rejected: not owned by user ${login}`);
}

function notLoggedIn(sender: string): RuleResult {
  return rejectWith(553, '5.7.1', `<${sender}>: Sender address rejected: not logged in`);
}

/** The null sender (bounces) is never checked, as in Postfix. */
function senderOf(ctx: RuleContext): string | null {
  return ctx.facts.sender === null || ctx.facts.sender === '' ? null : ctx.facts.sender;
}

/** A logged-in client must own the sender; an address nobody owns is refused too. */
async function authenticatedMismatch(ctx: RuleContext, allowUnowned: boolean): Promise<RuleResult> {
  const sender = senderOf(ctx);
  const login = ctx.facts.saslUsername;
  if (sender === null || login === null) return DUNNO;
  const check = await checkSenderLogin(ctx.env.store, sender, login);
  if (check.owned || (allowUnowned && check.owners.length === 0)) return DUNNO;
  return notOwned(sender, login);
}

/** A client that did not log in may not use an address that has an owner. */
async function unauthenticatedMismatch(ctx: RuleContext): Promise<RuleResult> {
  const sender = senderOf(ctx);
  if (sender === null || ctx.facts.saslUsername !== null) return DUNNO;
  const check = await checkSenderLogin(ctx.env.store, sender, null);
  return check.owners.length > 0 ? notLoggedIn(sender) : DUNNO;
}

export const rejectAuthenticatedSenderLoginMismatch = defineRule('reject_authenticated_sender_login_mismatch', () => (ctx) => authenticatedMismatch(ctx, false));

export const rejectUnauthenticatedSenderLoginMismatch = defineRule('reject_unauthenticated_sender_login_mismatch', () => unauthenticatedMismatch);

/** reject_sender_login_mismatch: both of the above. */
export const rejectSenderLoginMismatch = defineRule('reject_sender_login_mismatch', () => (ctx) =>
  ctx.facts.saslUsername !== null ? authenticatedMismatch(ctx, false) : unauthenticatedMismatch(ctx),
);

/** reject_known_sender_login_mismatch (Postfix 3.6): like reject_sender_login_mismatch, but a logged-in client may use an address nobody owns. */
export const rejectKnownSenderLoginMismatch = defineRule('reject_known_sender_login_mismatch', () => (ctx) =>
  ctx.facts.saslUsername !== null ? authenticatedMismatch(ctx, true) : unauthenticatedMismatch(ctx),
);
