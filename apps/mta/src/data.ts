import { messagesReceived } from '@postern/metrics';
import type { QueueEntry } from '@postern/store';
import type { SMTPServerDataStream, SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import { BareNewlineFilter } from './bare-newline.js';
import type { MtaContext } from './context.js';
import { commitMessage, LOCAL_DELIVERY_WAIT_MS, localRecipients, remoteRecipients } from './commit.js';
import { verdictReply } from './envelope.js';
import { logReject, logWarnings, sessionFields } from './maillog.js';
import { checkInbound } from './inbound-checks.js';
import { HeaderRewriter, receivedHeader, withProtocol } from './received.js';
import { SmtpReply, replies } from './replies.js';
import { sessionFacts, sessionState, type Transaction } from './session.js';
import { mayBeSigned, sign } from './signing.js';
import { MessageSpool } from './spool.js';

/** The DATA command itself: data restrictions (e.g. reject_unauth_pipelining) before the 354. */
export async function dataCommandCheck(ctx: MtaContext, session: SMTPServerSession, unreadInput: number): Promise<SmtpReply | null> {
  // RFC 2920 §3.1: DATA ends a pipelined group; content sent before the 354 came too early.
  const verdict = await ctx.policy.evaluate('data', sessionFacts(session, { pipelinedEarly: unreadInput > 0 }), ctx.env);
  logWarnings(ctx.logger, session, 'DATA', verdict);
  if (verdict.action === 'accept') return null;
  const reply = verdictReply(verdict);
  logReject(ctx.logger, session, 'DATA', reply, { stage: verdict.stage, rule: verdict.rule, from: sessionState(session).transaction?.sender ?? null });
  return reply;
}

/** The Received field (or none: submission with smtpd.strip_submission_received). */
function traceHeader(ctx: MtaContext, session: SMTPServerSession, transaction: Transaction, stripping: boolean): string {
  if (stripping) return '';
  const state = sessionState(session);
  const recipients = [...transaction.recipients.values()];
  return receivedHeader({
    helo: session.hostNameAppearsAs || null,
    clientHostname: state.clientHostname,
    clientAddress: session.remoteAddress,
    hostname: ctx.config.hostname,
    protocol: withProtocol({ ehlo: session.openingCommand === 'EHLO', tls: session.secure, authenticated: state.login !== null, smtputf8: session.envelope.smtpUtf8 === true }),
    queueId: transaction.queueId,
    tls: session.secure ? session.tlsOptions : false,
    recipient: recipients.length === 1 ? recipients[0]!.address : null,
    date: new Date(),
  });
}

/** Resolves when the client's DATA stream has ended, false when the client went away first. */
function streamOutcome(stream: SMTPServerDataStream): Promise<boolean> {
  return new Promise((resolve) => {
    let ended = false;
    stream.once('end', () => {
      ended = true;
      resolve(true);
    });
    stream.once('close', () => resolve(ended));
    // smtp-server destroys the stream with an error when the connection drops mid-message.
    stream.on('error', () => resolve(false));
  });
}

/** Resolves once the spool has taken every byte the filters passed on. */
function spooled(spool: MessageSpool): Promise<void> {
  return new Promise((resolve) => (spool.writableFinished || spool.destroyed ? resolve() : spool.once('finish', resolve).once('close', resolve)));
}

/**
 * Receives the message into memory (bounded by message_size_limit): client
 * bytes → bare CR/LF handling → our Received (and the submission strip) →
 * the spool. Nothing is committed before the whole message is in, within the
 * size limit, free of bare newlines in "reject" mode and accepted by the
 * end-of-data restrictions, the DMARC policy and the content scanner. Then,
 * DKIM-signed when our users sent it, it is written once into the queue with
 * every recipient, local mailboxes and remote addresses alike (Postfix's
 * cleanup), and only then answered 250; this process's queue runner delivers
 * it at once, and the 250 waits a few seconds for the local mailboxes.
 */
async function receive(ctx: MtaContext, stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string> {
  const state = sessionState(session);
  const transaction = state.transaction;
  if (transaction === null) throw replies.localError();
  const fields = { ...sessionFields(session), queue_id: transaction.queueId };
  const stripping = state.service !== 'smtp' && ctx.config.smtpd.strip_submission_received;

  const filter = new BareNewlineFilter(ctx.config.smtpd.forbid_bare_newline);
  const rewriter = new HeaderRewriter(traceHeader(ctx, session, transaction, stripping), stripping);
  const spool = new MessageSpool(ctx.config.smtpd.message_size_limit + 64 * 1024);
  const clientDone = streamOutcome(stream);
  stream.pipe(filter).pipe(rewriter).pipe(spool);
  // Read the client's message to its end before answering (RFC 5321 §4.1.1.4).
  if (!(await clientDone)) {
    spool.destroy();
    ctx.logger.info({ event: 'lost', ...fields, size: stream.byteLength }, `${transaction.queueId}: lost connection after DATA (${stream.byteLength} bytes)`);
    throw replies.notReceived();
  }
  await spooled(spool);

  const size = stream.byteLength;
  const refusal = async (): Promise<SmtpReply | null> => {
    if (stream.sizeExceeded || spool.overflowed) return new SmtpReply(552, '5.3.4', `Error: message file too big (limit ${ctx.config.smtpd.message_size_limit})`);
    if (filter.bareCount > 0 && ctx.config.smtpd.forbid_bare_newline === 'reject') return replies.bareNewline();
    // RFC 5321 §6.3: a simple loop count of Received fields (ours included) against smtpd.hopcount_limit.
    if (rewriter.received + 1 > ctx.config.smtpd.hopcount_limit) return replies.tooManyHops(rewriter.received + 1, ctx.config.smtpd.hopcount_limit);
    const verdict = await ctx.policy.evaluate('end_of_data', sessionFacts(session), ctx.env);
    logWarnings(ctx.logger, session, 'END-OF-MESSAGE', verdict);
    return verdict.action === 'reject' ? verdictReply(verdict) : null;
  };
  const refused = await refusal();
  if (refused) {
    logReject(ctx.logger, session, 'END-OF-MESSAGE', refused, { from: transaction.sender, to: [...transaction.recipients.values()][0]?.address ?? null });
    throw refused;
  }
  if (filter.bareCount > 0) ctx.logger.info({ event: 'bare_newline', ...fields, count: filter.bareCount }, `${transaction.queueId}: normalized ${filter.bareCount} bare <CR>/<LF> in message content`);

  const local = localRecipients(transaction);
  const recipients = [...local, ...remoteRecipients(transaction)];
  const nrcpt = recipients.length;
  messagesReceived.inc({ service: state.service });
  ctx.logger.info(
    { event: 'received', ...fields, from: transaction.sender, to: [...transaction.recipients.values()].map((r) => r.address), size, nrcpt, message_id: rewriter.messageId ?? undefined },
    `${transaction.queueId}: from=<${transaction.sender}>, size=${size}, nrcpt=${nrcpt}${rewriter.messageId ? `, message-id=${rewriter.messageId}` : ''}`,
  );

  let message = await checkInbound(ctx, session, transaction, spool.content());
  if (mayBeSigned(ctx, session)) message = await sign(ctx, session, transaction, message);

  // The one commit point: nothing is delivered anywhere before this write, so a 451 here duplicates nothing.
  let entry: QueueEntry;
  try {
    entry = await commitMessage(ctx, session, transaction, message, recipients);
  } catch (err) {
    ctx.logger.error({ event: 'queue_error', ...fields, err }, `${transaction.queueId}: queue file write error: ${String(err)}`);
    throw new SmtpReply(451, '4.3.0', `Error: queue file write error, try again later (queue id ${transaction.queueId})`);
  }
  await ctx.queue.deliverNow(entry, local.map((recipient) => recipient.address), LOCAL_DELIVERY_WAIT_MS);
  return `2.0.0 Ok: queued as ${transaction.queueId}`;
}

export function onData(ctx: MtaContext): NonNullable<SMTPServerOptions['onData']> {
  return (stream, session, callback) => {
    const work = receive(ctx, stream, session).then(
      (message) => callback(null, message),
      (err: unknown) => {
        if (!(err instanceof SmtpReply)) ctx.logger.error({ event: 'error', command: 'DATA', ...sessionFields(session), err }, `DATA from ${session.remoteAddress}: ${String(err)}`);
        callback(err instanceof SmtpReply ? err : replies.localError());
      },
    );
    void ctx.inFlight.track(session.id, work);
  };
}
