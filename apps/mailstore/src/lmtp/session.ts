import { MimeStructureScanner } from '@postern/mime';
import type { InFlight } from '@postern/service';
import { isTemporaryStoreError } from '@postern/store';
import type { SMTPServerAddress, SMTPServerDataResult, SMTPServerDataStream, SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import type { MailstoreContext } from '../context.js';
import { deliveredToAddresses, deliverMessage, sieveServices, type RecipientOutcome } from '../delivery/index.js';
import { headerLength, parseHeaderFields } from '../message/index.js';
import { readMessage } from './data.js';
import { forwardRemoteTargets } from './forward.js';
import { acceptRecipient, type AcceptedRecipient } from './recipients.js';
import { LmtpReply, replies } from './replies.js';

type Handlers = Required<Pick<SMTPServerOptions, 'onConnect' | 'onMailFrom' | 'onRcptTo' | 'onData' | 'onClose'>>;

export interface SessionHooks {
  /** True once shutdown began: new transactions are refused with 421. */
  closing(): boolean;
  inFlight: InFlight;
}

/** Recipients accepted in the current transaction, by lower-cased address (as smtp-server keys them). */
const transactions = new WeakMap<SMTPServerSession, Map<string, AcceptedRecipient>>();

const recipientKey = (address: string): string => address.toLowerCase();

/** The XFORWARD IDENT of the current transaction (the client's queue id), taken at MAIL FROM. */
const deliveryIds = new WeakMap<SMTPServerSession, string>();

/** smtp-server fills session.xForward (its types do not declare it). */
type XForwardSession = SMTPServerSession & { xForward?: Map<string, string | number | false> };

// A queue id as Postfix and our queue write them: letters, digits and a few separators, bounded.
const QUEUE_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Postfix XFORWARD_README: IDENT is the client's local queue id. It is taken off the session at
 * MAIL FROM, so that it names this one transaction (Postfix resets the XFORWARD attributes at the
 * end of each transaction; smtp-server would keep them for the whole connection).
 */
function takeIdent(session: SMTPServerSession): { ident: string | null; refused: string | null } {
  const xforward = (session as XForwardSession).xForward;
  const value = xforward?.get('IDENT');
  xforward?.delete('IDENT');
  if (value === undefined || value === false) return { ident: null, refused: null };
  const text = String(value);
  return QUEUE_ID.test(text) ? { ident: text, refused: null } : { ident: null, refused: text };
}

/** The queue entry holding the transaction's remote alias targets (null: none, or its write failed). */
interface Forwarding {
  queueId: string | null;
}

function sizeParameter(session: SMTPServerSession): number | null {
  const args = session.envelope.mailFrom ? session.envelope.mailFrom.args : false;
  const size = args ? args['SIZE'] : undefined;
  return typeof size === 'string' && /^\d+$/.test(size) ? Number(size) : null;
}

function messageIdOf(raw: Buffer): string | undefined {
  return parseHeaderFields(raw.subarray(0, headerLength(raw))).find(([name]) => name === 'message-id')?.[1];
}

/** The LMTP session handlers over the store, in the order a session runs. */
export function lmtpHandlers(ctx: MailstoreContext, hooks: SessionHooks): Handlers {
  const log = ctx.logger.child({ service: 'lmtp' });
  const sieve = sieveServices(ctx, log);

  const onConnect: Handlers['onConnect'] = (session, callback) => {
    log.info({ session: session.id, client: session.remoteAddress || 'unix' }, `connect from ${session.remoteAddress || 'unix socket'}`);
    callback();
  };

  const onMailFrom: Handlers['onMailFrom'] = (_address, session, callback) => {
    const { ident, refused } = takeIdent(session);
    deliveryIds.delete(session);
    if (hooks.closing()) return callback(replies.shuttingDown());
    // Not a queue id: delivered without the identity (never refused: the message must not be held up by a label).
    if (refused !== null) log.warn({ session: session.id, ident: refused }, `XFORWARD IDENT ${JSON.stringify(refused.slice(0, 80))} is not a queue id: ignored`);
    if (ident !== null) deliveryIds.set(session, ident);
    transactions.set(session, new Map());
    callback();
  };

  const onRcptTo: Handlers['onRcptTo'] = (address: SMTPServerAddress, session, callback) => {
    const accepted = transactions.get(session) ?? new Map<string, AcceptedRecipient>();
    transactions.set(session, accepted);
    const key = recipientKey(address.address);
    // smtp-server keeps one entry for a repeated RCPT, so a second 250 would leave the
    // client waiting for a reply after DATA that never comes (RFC 2033 §4.2: one per 250).
    if (accepted.has(key)) return callback(replies.duplicateRecipient(address.address));
    acceptRecipient(ctx, address.address, sizeParameter(session)).then(
      (recipient) => {
        accepted.set(key, recipient);
        callback();
      },
      (err: unknown) => {
        const reply = err instanceof LmtpReply ? err : replies.localError(address.address);
        if (err instanceof LmtpReply) log.info({ session: session.id, rcpt: address.address, reply: reply.line }, `rcpt ${address.address} refused`);
        else log.error({ session: session.id, rcpt: address.address, err }, `rcpt ${address.address}: lookup failed`);
        callback(reply);
      },
    );
  };

  const replyFor = (session: SMTPServerSession, recipient: AcceptedRecipient, outcome: RecipientOutcome | undefined, messageId: string | undefined, forward: Forwarding): LmtpReply => {
    const base = { session: session.id, rcpt: recipient.address, from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', messageId };
    if (recipient.unknown.length > 0) {
      log.warn({ ...base, unknown: recipient.unknown }, `${recipient.address}: alias targets that lead nowhere: ${recipient.unknown.join(', ')}`);
    }
    if (!outcome) return replies.localError(recipient.address);
    const ident = deliveryIds.get(session);
    switch (outcome.status) {
      case 'delivered':
        for (const copy of outcome.copies) {
          const fields = { ...base, user: copy.user.address, mailbox: copy.mailbox, uid: copy.uid, size: copy.size, shared: copy.shared, queue_id: ident };
          if (copy.alreadyDelivered) log.info({ ...fields, duplicate: true }, `${recipient.address}: already delivered to ${copy.user.address} ${copy.mailbox} uid ${copy.uid} (queue id ${ident}): nothing stored`);
          else log.info(fields, `delivered ${recipient.address} to ${copy.user.address} ${copy.mailbox} uid ${copy.uid}`);
        }
        if (recipient.remote.length === 0) {
          const repeated = ident !== undefined && outcome.copies.length > 0 && outcome.copies.every((copy) => copy.alreadyDelivered);
          return repeated ? replies.alreadyDelivered(recipient.address, ident) : replies.saved(recipient.address);
        }
        // The local copies are stored; the remote targets count only once their queue entry is durable.
        if (forward.queueId === null) return replies.localError(recipient.address);
        log.info({ ...base, remote: recipient.remote, queue_id: forward.queueId }, `${recipient.address}: forwarded to ${recipient.remote.join(', ')} (queued as ${forward.queueId})`);
        return outcome.copies.length > 0 ? replies.saved(recipient.address) : replies.forwarded(recipient.address, forward.queueId);
      case 'rejected':
        log.info({ ...base, user: outcome.user.address, reason: outcome.reason }, `${recipient.address}: rejected by the Sieve script of ${outcome.user.address}`);
        return replies.sieveRejected(recipient.address, outcome.reason);
      case 'over-quota':
        log.info({ ...base, user: outcome.user.address }, `${recipient.address}: ${outcome.user.address} is over quota`);
        return replies.mailboxFull(recipient.address);
      case 'failed':
        if (isTemporaryStoreError(outcome.error)) {
          log.warn({ ...base, user: outcome.user.address, err: outcome.error }, `${recipient.address}: storing for ${outcome.user.address} deferred: ${outcome.error.message}`);
          return replies.storeBusy(recipient.address);
        }
        log.error({ ...base, user: outcome.user.address, err: outcome.error }, `${recipient.address}: storing for ${outcome.user.address} failed`);
        return replies.localError(recipient.address);
    }
  };

  /** IDLE sessions of this process hear of the new messages now, not at the next journal poll. */
  const announce = (outcomes: RecipientOutcome[]): void => {
    const mailboxes = new Set(outcomes.flatMap((outcome) => (outcome.status === 'delivered' ? outcome.copies.map((copy) => copy.mailboxId) : [])));
    for (const mailboxId of mailboxes) ctx.mailboxChanges.changed(mailboxId);
  };

  const deliver = async (stream: SMTPServerDataStream, session: SMTPServerSession): Promise<SMTPServerDataResult[]> => {
    let raw: Buffer | null;
    // The MIME structure, followed as the bytes arrive (no parse): nesting, part count, header field size and lines.
    const structure = new MimeStructureScanner(ctx.config.smtpd);
    try {
      raw = await readMessage(stream, structure);
    } catch {
      log.info({ session: session.id, bytes: stream.byteLength }, 'client left during DATA: nothing stored');
      throw replies.notReceived();
    }
    if (raw === null) {
      log.info({ session: session.id, bytes: stream.byteLength, limit: ctx.config.smtpd.message_size_limit }, 'message over message_size_limit: nothing stored');
      // smtp-server answers 552 5.3.4 for each recipient itself (rejectOversized).
      throw replies.messageTooBig(ctx.config.smtpd.message_size_limit);
    }
    const accepted = transactions.get(session);
    transactions.delete(session);
    const exceeded = structure.end();
    if (exceeded) {
      // RFC 2033 §4.2: one reply per accepted recipient, each refusing the content (RFC 3463 5.6.0 / 5.3.4).
      log.info({ session: session.id, bytes: stream.byteLength, limit: exceeded.limit, max: exceeded.max }, `message refused: ${exceeded.text}: nothing stored`);
      return session.envelope.rcptTo.map((rcpt) => replies.contentRefused(rcpt.address, exceeded));
    }
    // The replies follow the order of the accepted RCPT commands (RFC 2033 §4.2).
    const recipients = session.envelope.rcptTo.map((rcpt) => accepted?.get(recipientKey(rcpt.address)) ?? null);
    // Postfix local(8): a message that already carries our Delivered-To for this recipient came round a forwarding loop (5.4.6).
    const alreadyDelivered = deliveredToAddresses(raw);
    const looping = (recipient: AcceptedRecipient): boolean => alreadyDelivered.has(recipientKey(recipient.address));
    const known = recipients.filter((recipient): recipient is AcceptedRecipient => recipient !== null && !looping(recipient));
    const messageId = messageIdOf(raw);
    const sender = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
    let outcomes = new Map<AcceptedRecipient, RecipientOutcome>();
    try {
      const results = await deliverMessage(ctx.store, sieve, { sender, raw, receivedAt: new Date(), deliveryId: deliveryIds.get(session), eightBit: session.envelope.bodyType === '8bitmime' }, known);
      outcomes = new Map(known.map((recipient, i) => [recipient, results[i]!]));
    } catch (err) {
      log.error({ session: session.id, messageId, err }, 'delivery failed');
    }
    announce([...outcomes.values()]);
    // Remote alias targets of the recipients whose local part is stored go to the queue; a recipient
    // refused locally is retried by the client whole, so its targets are not queued now.
    const forwarding = known.filter((recipient) => recipient.remote.length > 0 && outcomes.get(recipient)?.status === 'delivered');
    const forward: Forwarding = { queueId: null };
    try {
      forward.queueId = await forwardRemoteTargets(ctx, { sender, raw, smtputf8: session.envelope.smtpUtf8 === true, eightBit: session.envelope.bodyType === '8bitmime' }, forwarding);
    } catch (err) {
      log.error({ session: session.id, messageId, rcpt: forwarding.map((recipient) => recipient.address), err }, `queue file write error: ${String(err)}`);
    }
    return session.envelope.rcptTo.map((rcpt, i) => {
      const recipient = recipients[i];
      if (recipient === null || recipient === undefined) return replies.localError(rcpt.address);
      if (looping(recipient)) {
        log.info({ session: session.id, rcpt: recipient.address, from: sender, messageId }, `${recipient.address}: mail forwarding loop (the message already has Delivered-To: ${recipient.address})`);
        return replies.forwardingLoop(recipient.address);
      }
      return replyFor(session, recipient, outcomes.get(recipient), messageId, forward);
    });
  };

  const onData: Handlers['onData'] = (stream, session, callback) => {
    const work = deliver(stream, session).then(
      (results) => callback(null, results),
      (err: unknown) => callback(err instanceof Error ? err : replies.localError()),
    );
    void hooks.inFlight.track(session.id, work);
  };

  const onClose: Handlers['onClose'] = (session, callback) => {
    transactions.delete(session);
    deliveryIds.delete(session);
    log.debug({ session: session.id }, 'disconnect');
    callback();
  };

  return { onConnect, onMailFrom, onRcptTo, onData, onClose };
}
