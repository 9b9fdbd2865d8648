import { AddressError, parseAddress } from '@postern/address';
import { checkSenderLogin, type Verdict } from '@postern/smtp-policy';
import { newId, type QueueId } from '@postern/store';
import type { SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import { sizeRefusal } from './admission.js';
import type { MtaContext } from './context.js';
import { logReject, logWarnings, sessionFields } from './maillog.js';
import { postmasterAddress, routeRecipient } from './recipients.js';
import { SmtpReply, replies } from './replies.js';
import { sessionFacts, sessionState, type SessionState } from './session.js';

type Handler<K extends 'onMailFrom' | 'onRcptTo'> = NonNullable<SMTPServerOptions[K]>;

/** A policy rejection as the SMTP reply it becomes. */
export function verdictReply(verdict: Extract<Verdict, { action: 'reject' }>): SmtpReply {
  return new SmtpReply(verdict.code, verdict.enhanced, verdict.text);
}

/**
 * reject_unauth_pipelining's fact at MAIL and RCPT: the client sent more
 * before our reply although it never learnt that we pipeline (it said HELO,
 * not EHLO; RFC 2920 §3.1).
 */
function pipelinedWithoutEhlo(session: SMTPServerSession, state: SessionState): boolean {
  return state.unreadInput() > 0 && session.openingCommand !== 'EHLO';
}

/** Sends the reply through the callback and logs it as a refusal. */
function refuse(ctx: MtaContext, session: SMTPServerSession, command: string, reply: SmtpReply, details: Parameters<typeof logReject>[4], callback: (err?: Error | null) => void): void {
  logReject(ctx.logger, session, command, reply, details);
  callback(reply);
}

/**
 * MAIL FROM: encryption and authentication required where configured, the
 * sender-login map for authenticated clients, then the policy (sender
 * restrictions, or nothing yet with smtpd_delay_reject). A queue id is given
 * to the message here, as Postfix's cleanup does.
 */
export function onMailFrom(ctx: MtaContext): Handler<'onMailFrom'> {
  return (address, session, callback) => {
    const state = sessionState(session);
    const sender = address.address;
    const details = { from: sender };
    if (ctx.closing) return callback(replies.shuttingDown(ctx.config.hostname));
    // smtpd_tls_security_level = encrypt (RFC 3207 §4: 530 until STARTTLS).
    if (ctx.config.smtpd.tls_security_level === 'encrypt' && !session.secure) return refuse(ctx, session, 'MAIL', replies.encryptionRequired(), details, callback);
    // Submission (587/465) is for authenticated clients only (RFC 6409 §4.3).
    if (state.service !== 'smtp' && state.login === null) return refuse(ctx, session, 'MAIL', replies.authRequired(), details, callback);
    // RFC 1870 §6.1: SIZE= larger than this process can ever hold is 452 4.3.1 now, not after the transfer.
    const tooLarge = sizeRefusal(ctx, address);
    if (tooLarge) return refuse(ctx, session, 'MAIL', tooLarge, details, callback);
    if (sender !== '') {
      try {
        parseAddress(sender);
      } catch (err) {
        if (err instanceof AddressError) return refuse(ctx, session, 'MAIL', replies.badSender(sender, err.message), details, callback);
        throw err;
      }
    }
    void (async () => {
      // smtpd_sender_login_maps: an authenticated client sends only as an address it owns (the
      // guides' reject_sender_login_mismatch on submission); the null sender is never checked.
      if (state.login !== null && sender !== '' && !(await checkSenderLogin(ctx.store, sender, state.login)).owned) {
        return refuse(ctx, session, 'MAIL', replies.senderNotOwned(sender, state.login), details, callback);
      }
      state.transaction = null;
      const verdict = await ctx.policy.evaluate('mail', sessionFacts(session, { sender, pipelinedEarly: pipelinedWithoutEhlo(session, state) }), ctx.env);
      logWarnings(ctx.logger, session, 'MAIL', verdict);
      if (verdict.action === 'reject') return refuse(ctx, session, 'MAIL', verdictReply(verdict), { ...details, stage: verdict.stage, rule: verdict.rule }, callback);
      state.transaction = { queueId: newId<QueueId>(), sender, recipients: new Map(), startedAt: Date.now(), prepend: verdict.prepend ?? [] };
      const fields = sessionFields(session);
      ctx.logger.info({ event: 'mail', ...fields, queue_id: state.transaction.queueId, from: sender }, `${state.transaction.queueId}: client=${String(fields.client)}, from=<${sender}>`);
      callback();
    })().catch((err: unknown) => {
      ctx.logger.error({ event: 'error', command: 'MAIL', ...sessionFields(session), err }, `MAIL from ${session.remoteAddress}: ${String(err)}`);
      callback(replies.localError());
    });
  };
}

/**
 * RCPT TO: the policy first (relay restrictions, then recipient
 * restrictions; with smtpd_delay_reject also client, helo and sender), then
 * where the address leads. Unknown local recipients are refused here, never
 * bounced later (no backscatter).
 */
export function onRcptTo(ctx: MtaContext): Handler<'onRcptTo'> {
  return (address, session, callback) => {
    const state = sessionState(session);
    const transaction = state.transaction;
    if (ctx.closing) return callback(replies.shuttingDown(ctx.config.hostname));
    if (transaction === null) return callback(replies.localError());
    void (async () => {
      let rcpt = address.address;
      const bare = rcpt.toLowerCase() === 'postmaster';
      if (bare) {
        const postmaster = await postmasterAddress(ctx.store, ctx.config);
        if (postmaster === null) {
          ctx.logger.error({ event: 'postmaster_missing', ...sessionFields(session) }, 'RCPT TO:<postmaster> but no local domain exists: add one with postern domain add');
          return refuse(ctx, session, 'RCPT', replies.unknownRecipient(rcpt, 550), { from: transaction.sender, to: rcpt }, callback);
        }
        rcpt = postmaster;
      }
      const details = { from: transaction.sender, to: rcpt };
      let domain: string;
      try {
        domain = parseAddress(rcpt).domain;
      } catch (err) {
        if (err instanceof AddressError) return refuse(ctx, session, 'RCPT', replies.badRecipient(rcpt, err.message), details, callback);
        throw err;
      }
      // The policy accepts a bare "postmaster" whatever the restrictions (RFC 5321 §4.5.1): it sees it as sent.
      const verdict = await ctx.policy.evaluate('rcpt', sessionFacts(session, { recipient: bare ? address.address : rcpt, pipelinedEarly: pipelinedWithoutEhlo(session, state) }), ctx.env);
      logWarnings(ctx.logger, session, 'RCPT', verdict);
      if (verdict.action === 'reject') return refuse(ctx, session, 'RCPT', verdictReply(verdict), { ...details, stage: verdict.stage, rule: verdict.rule }, callback);
      if (verdict.prepend) transaction.prepend.push(...verdict.prepend);

      const route = await routeRecipient(ctx, rcpt, domain);
      const dsn = (address as { dsn?: { notify?: string[]; orcpt?: string } }).dsn;
      const accepted = { address: rcpt, notify: dsn?.notify ?? null, orcpt: dsn?.orcpt ?? null };
      switch (route.kind) {
        case 'remote':
          // The relay restrictions permitted it: the outbound queue takes it after DATA.
          transaction.recipients.set(address.address.toLowerCase(), { ...accepted, mailboxes: [], remote: [rcpt], forwarded: false });
          return callback();
        case 'unknown':
          if (rcpt.slice(0, rcpt.lastIndexOf('@')).toLowerCase() === 'postmaster') {
            // RFC 5321 §4.5.1 requires postmaster for every domain: this is a setup error worth an error line.
            ctx.logger.error({ event: 'postmaster_missing', ...sessionFields(session), to: rcpt }, `${rcpt} does not exist: RFC 5321 requires it; add it with: postern alias add ${rcpt} USER@${domain}`);
          }
          return refuse(ctx, session, 'RCPT', replies.unknownRecipient(rcpt, ctx.config.smtpd.unknown_local_recipient_reject_code), details, callback);
        case 'srs_refused':
          // Never relayed: a forged SRS address would make us an open relay (the SRS paper, postsrsd).
          return refuse(ctx, session, 'RCPT', replies.badSrsAddress(rcpt, route.reason), { ...details, stage: 'srs' }, callback);
        case 'disabled':
          return refuse(ctx, session, 'RCPT', replies.mailboxDisabled(rcpt, ctx.config.smtpd.disabled_mailbox_reject_code), details, callback);
        case 'local':
          if (route.unknownTargets.length > 0) {
            ctx.logger.warn({ event: 'alias_unknown_targets', ...sessionFields(session), to: rcpt, unknown: route.unknownTargets }, `${rcpt}: alias targets lead nowhere: ${route.unknownTargets.join(', ')}`);
          }
          transaction.recipients.set(address.address.toLowerCase(), { ...accepted, mailboxes: route.mailboxes, remote: route.remote, forwarded: route.forwarded });
          return callback();
      }
    })().catch((err: unknown) => {
      ctx.logger.error({ event: 'error', command: 'RCPT', ...sessionFields(session), to: address.address, err }, `RCPT from ${session.remoteAddress}: ${String(err)}`);
      callback(replies.lookupFailed(address.address));
    });
  };
}
