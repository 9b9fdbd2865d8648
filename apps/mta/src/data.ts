import { messagesReceived } from '@postern/metrics';
import { MimeStructureScanner } from '@postern/mime';
import type { QueueEntry } from '@postern/store';
import type { SMTPServerDataStream, SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import { fitMessage, takeRoom } from './admission.js';
import { BareNewlineFilter } from './bare-newline.js';
import type { MtaContext } from './context.js';
import { ContentChecksFilter } from './cleanup/checks-filter.js';
import { commitForward, commitMessage, forwardSender, LOCAL_DELIVERY_WAIT_MS, localRecipients, remoteRecipients } from './commit.js';
import { verdictReply } from './envelope.js';
import { logReject, logWarnings, sessionFields } from './maillog.js';
import { checkInbound } from './inbound-checks.js';
import type { MessageRoom } from './in-flight-limits.js';
import { HeaderRewriter, receivedHeader, withProtocol } from './received.js';
import { SmtpReply, replies } from './replies.js';
import { clientLabel, sessionFacts, sessionState, type Transaction } from './session.js';
import { mayBeSigned, sign } from './signing.js';
import type { MessageSpool } from './spool.js';
import { SpooledMessage } from './spooled-message.js';

/** The DATA command itself: data restrictions (e.g. reject_unauth_pipelining) before the 354. */
export async function dataCommandCheck(ctx: MtaContext, session: SMTPServerSession, unreadInput: number): Promise<SmtpReply | null> {
  // RFC 2920 §3.1: DATA ends a pipelined group; content sent before the 354 came too early.
  const verdict = await ctx.policy.evaluate('data', sessionFacts(session, { pipelinedEarly: unreadInput > 0 }), ctx.env);
  logWarnings(ctx.logger, session, 'DATA', verdict);
  if (verdict.action === 'accept') {
    if (verdict.prepend) sessionState(session).transaction?.prepend.push(...verdict.prepend);
    return null;
  }
  const reply = verdictReply(verdict);
  logReject(ctx.logger, session, 'DATA', reply, { stage: verdict.stage, rule: verdict.rule, from: sessionState(session).transaction?.sender ?? null });
  return reply;
}

/** The restrictions' PREPEND fields, then the Received field (or none: submission with smtpd.strip_submission_received). */
function traceHeader(ctx: MtaContext, session: SMTPServerSession, transaction: Transaction, stripping: boolean): string {
  const prepended = transaction.prepend.map((field) => `${field}\r\n`).join('');
  if (stripping) return prepended;
  const state = sessionState(session);
  const recipients = [...transaction.recipients.values()];
  return prepended + receivedHeader({
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

/** Postfix cleanup's lines for header_checks/body_checks matches: `QUEUEID: warning: header Subject: … from client[ip]; from=<…> to=<…>: text`. */
function logContentChecks(ctx: MtaContext, session: SMTPServerSession, transaction: Transaction, checks: ContentChecksFilter): void {
  const to = [...transaction.recipients.values()][0]?.address ?? '';
  for (const event of checks.events) {
    ctx.logger.info(
      { event: `${event.part}_checks`, ...sessionFields(session), queue_id: transaction.queueId, action: event.action, line: event.line, text: event.text, rule: event.rule, from: transaction.sender, to },
      `${transaction.queueId}: ${event.action}: ${event.part} ${event.line} from ${clientLabel(session)}; from=<${transaction.sender}> to=<${to}>: ${event.text}`,
    );
  }
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
 * Receives the message into its spool (memory, then a file; bounded by
 * message_size_limit): client bytes → bare CR/LF handling → our Received
 * (and the submission strip) → the spool. Nothing is committed before the whole message is in, within the
 * size limit, free of bare newlines in "reject" mode and accepted by the
 * end-of-data restrictions, the DMARC policy and the content scanner. Then,
 * DKIM-signed when our users sent it, it is written once into the queue with
 * every recipient, local mailboxes and remote addresses alike (Postfix's
 * cleanup), and only then answered 250; this process's queue runner delivers
 * it at once, and the 250 waits a few seconds for the local mailboxes.
 */
async function receive(ctx: MtaContext, stream: SMTPServerDataStream, session: SMTPServerSession, spool: MessageSpool, room: MessageRoom): Promise<string> {
  const state = sessionState(session);
  const transaction = state.transaction;
  if (transaction === null) throw replies.localError();
  const fields = { ...sessionFields(session), queue_id: transaction.queueId };
  const stripping = state.service !== 'smtp' && ctx.config.smtpd.strip_submission_received;

  const filter = new BareNewlineFilter(ctx.config.smtpd.forbid_bare_newline);
  // Postfix cleanup: Date and Message-ID added only to our own users' mail, never to mail relayed from outside.
  const rewriter = new HeaderRewriter(traceHeader(ctx, session, transaction, stripping), stripping, mayBeSigned(ctx, session) ? { hostname: ctx.config.hostname, date: new Date() } : null);
  const clientDone = streamOutcome(stream);
  // Postfix cleanup's header_checks and body_checks see the header with our Received in it.
  const checks = ctx.contentChecks ? new ContentChecksFilter(ctx.contentChecks) : null;
  const rewritten = checks ? stream.pipe(filter).pipe(rewriter).pipe(checks) : stream.pipe(filter).pipe(rewriter);
  rewritten.pipe(spool);
  // The MIME structure of the message as it will be stored (our Received included), followed as the bytes
  // arrive (no parse): nesting, part count, header field size and lines — the mailstore's LMTP checks the same.
  const structure = new MimeStructureScanner(ctx.config.smtpd);
  rewritten.on('data', (chunk: Buffer) => structure.write(chunk));
  // Read the client's message to its end before answering (RFC 5321 §4.1.1.4).
  if (!(await clientDone)) {
    spool.destroy();
    ctx.logger.info({ event: 'lost', ...fields, size: stream.byteLength }, `${transaction.queueId}: lost connection after DATA (${stream.byteLength} bytes)`);
    throw replies.notReceived();
  }
  await spooled(spool);
  if (checks) logContentChecks(ctx, session, transaction, checks);

  const size = stream.byteLength;
  const refusal = async (): Promise<SmtpReply | null> => {
    if (stream.sizeExceeded || spool.overflowed) return new SmtpReply(552, '5.3.4', `Error: message file too big (limit ${ctx.config.smtpd.message_size_limit})`);
    if (filter.bareCount > 0 && ctx.config.smtpd.forbid_bare_newline === 'reject') return replies.bareNewline();
    // RFC 2046 §5.1 sets no bound on nesting or parts: Postfix's mime_nesting_limit/header_size_limit, Dovecot's part count (RFC 3463 5.6.0, 5.3.4).
    const exceeded = structure.end();
    if (exceeded) return new SmtpReply(exceeded.code, exceeded.status, `Error: message content rejected: ${exceeded.text}`);
    // RFC 5321 §6.3: a simple loop count of Received fields (ours included) against smtpd.hopcount_limit.
    if (rewriter.received + 1 > ctx.config.smtpd.hopcount_limit) return replies.tooManyHops(rewriter.received + 1, ctx.config.smtpd.hopcount_limit);
    // header_checks(5) REJECT: 550 5.7.1 text (a 4.x.y code in the text makes it 451, as Postfix's smtpd answers).
    if (checks?.reject) return new SmtpReply(checks.reject.enhanced.startsWith('4') ? 451 : 550, checks.reject.enhanced, checks.reject.text);
    const verdict = await ctx.policy.evaluate('end_of_data', sessionFacts(session), ctx.env);
    logWarnings(ctx.logger, session, 'END-OF-MESSAGE', verdict);
    return verdict.action === 'reject' ? verdictReply(verdict) : null;
  };
  const refused = await refusal();
  if (refused) {
    logReject(ctx.logger, session, 'END-OF-MESSAGE', refused, { from: transaction.sender, to: [...transaction.recipients.values()][0]?.address ?? null });
    throw refused;
  }
  // What follows holds the message in memory: its room grows to its size first.
  await fitMessage(ctx, session, room, spool.size);
  if (filter.bareCount > 0) ctx.logger.info({ event: 'bare_newline', ...fields, count: filter.bareCount }, `${transaction.queueId}: normalized ${filter.bareCount} bare <CR>/<LF> in message content`);

  const local = localRecipients(transaction);
  // SRS: an alias's off-site targets get the message from an SRS sender, in an entry of their own.
  const srsSender = await forwardSender(ctx, transaction, state.login);
  const recipients = [...local, ...remoteRecipients(transaction, srsSender === null ? 'all' : 'relayed')];
  const nrcpt = recipients.length + (srsSender === null ? 0 : remoteRecipients(transaction, 'forwarded').length);
  messagesReceived.inc({ service: state.service });
  ctx.logger.info(
    { event: 'received', ...fields, from: transaction.sender, to: [...transaction.recipients.values()].map((r) => r.address), size, nrcpt, message_id: rewriter.messageId ?? undefined },
    `${transaction.queueId}: from=<${transaction.sender}>, size=${size}, nrcpt=${nrcpt}${rewriter.messageId ? `, message-id=${rewriter.messageId}` : ''}`,
  );

  // header_checks(5) DISCARD: "claim successful delivery and silently discard" (logged with the match).
  if (checks?.discard !== null && checks?.discard !== undefined) return `2.0.0 Ok: queued as ${transaction.queueId}`;
  let spooledMessage = await checkInbound(ctx, session, transaction, await SpooledMessage.of(spool));
  if (mayBeSigned(ctx, session)) spooledMessage = await sign(ctx, session, transaction, spooledMessage);
  // The one copy in memory: the queue write takes the message as a buffer.
  const message = await spooledMessage.bytes();

  // The one commit point: nothing is delivered anywhere before this write, so a 451 here duplicates nothing.
  // With SRS the forward targets are a second entry: both are written or, the first taken back, neither.
  let entry: QueueEntry | null = null;
  let forward: QueueEntry | null = null;
  const held = checks?.hold != null;
  try {
    if (recipients.length > 0) entry = await commitMessage(ctx, session, transaction, message, recipients, held);
    if (srsSender !== null) forward = await commitForward(ctx, session, transaction, message, srsSender, held, entry === null);
  } catch (err) {
    if (entry !== null) await ctx.store.deleteQueueEntry(entry.id).catch(() => undefined);
    ctx.logger.error({ event: 'queue_error', ...fields, err }, `${transaction.queueId}: queue file write error: ${String(err)}`);
    throw new SmtpReply(451, '4.3.0', `Error: queue file write error, try again later (queue id ${transaction.queueId})`);
  }
  // A held message waits for `postern queue release` (Postfix's hold queue).
  if (forward !== null && !forward.held) void ctx.queue.deliverNow(forward, [], 0);
  if (entry !== null && !entry.held) await ctx.queue.deliverNow(entry, local.map((recipient) => recipient.address), LOCAL_DELIVERY_WAIT_MS);
  return `2.0.0 Ok: queued as ${transaction.queueId}`;
}

/** A message's room (admission.ts) and spool (spool.ts) last as long as its DATA, whatever the outcome. */
async function receiveWithin(ctx: MtaContext, stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string> {
  const room = await takeRoom(ctx, session);
  const spool = ctx.spoolDirectory.spool(ctx.config.smtpd.message_size_limit + 64 * 1024);
  try {
    return await receive(ctx, stream, session, spool, room);
  } finally {
    spool.destroy();
    room.release();
  }
}

export function onData(ctx: MtaContext): NonNullable<SMTPServerOptions['onData']> {
  return (stream, session, callback) => {
    const work = receiveWithin(ctx, stream, session).then(
      (message) => callback(null, message),
      (err: unknown) => {
        if (!(err instanceof SmtpReply)) ctx.logger.error({ event: 'error', command: 'DATA', ...sessionFields(session), err }, `DATA from ${session.remoteAddress}: ${String(err)}`);
        callback(err instanceof SmtpReply ? err : replies.localError());
      },
    );
    void ctx.inFlight.track(session.id, work);
  };
}
