import type { SMTPServerDataStream, SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import { BareNewlineFilter } from './bare-newline.js';
import type { MtaContext } from './context.js';
import { DotStuffer } from './dot-stuffing.js';
import { verdictReply } from './envelope.js';
import { describeReply, smtpReplyFor, type HandoffTransaction, type RecipientResult } from './handoff.js';
import { logReject, logWarnings, sessionFields } from './maillog.js';
import { HeaderRewriter, receivedHeader, withProtocol } from './received.js';
import { SmtpReply, replies } from './replies.js';
import { sessionFacts, sessionState, type Transaction } from './session.js';

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

/**
 * Receives the message and hands it over LMTP while it arrives: client bytes
 * → bare CR/LF handling → our Received (and the submission strip) → dot
 * stuffing → the LMTP session. The final dot goes to LMTP only after the
 * whole message is in, within the size limit, free of bare newlines in
 * "reject" mode and accepted by the end-of-data restrictions; otherwise the
 * LMTP transaction is dropped unfinished and nothing is delivered.
 */
async function receive(ctx: MtaContext, stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string> {
  const state = sessionState(session);
  const transaction = state.transaction;
  if (transaction === null) throw replies.localError();
  const fields = { ...sessionFields(session), queue_id: transaction.queueId };
  const stripping = state.service !== 'smtp' && ctx.config.smtpd.strip_submission_received;

  const filter = new BareNewlineFilter(ctx.config.smtpd.forbid_bare_newline);
  const rewriter = new HeaderRewriter(traceHeader(ctx, session, transaction, stripping), stripping);
  const stuffer = new DotStuffer();
  const clientDone = streamOutcome(stream);
  stream.pipe(filter).pipe(rewriter).pipe(stuffer);
  // Client gone mid-message: stop the chain so that nothing waits for an end that never comes.
  let clientGone = false;
  void clientDone.then((complete) => {
    if (complete) return;
    clientGone = true;
    stuffer.destroy(new Error('client left during DATA'));
  });

  // Each local mailbox once, remembering the first RCPT that reached it (Postfix's orig_to).
  const origin = new Map<string, string>();
  for (const recipient of transaction.recipients.values()) {
    for (const mailbox of recipient.mailboxes) if (!origin.has(mailbox)) origin.set(mailbox, recipient.address);
  }
  const started = Date.now();
  let lmtp: HandoffTransaction | null = null;
  let results: RecipientResult[] = [];
  let failure: SmtpReply | null = null;
  try {
    const opened = await ctx.handoff.begin({
      sender: transaction.sender,
      recipients: [...origin.keys()],
      smtputf8: session.envelope.smtpUtf8 === true,
      eightBit: session.envelope.bodyType === '8bitmime',
    });
    lmtp = opened.transaction;
    results = opened.refused;
    if (lmtp !== null) {
      const complete = await lmtp.write(stuffer, () => stream.sizeExceeded);
      if (!complete) lmtp.abort();
    }
  } catch (err) {
    lmtp?.abort();
    if (!clientGone) ctx.logger.error({ event: 'lmtp_error', ...fields, relay: `lmtp[${ctx.handoff.destination}]`, err }, `${transaction.queueId}: LMTP ${ctx.handoff.destination}: ${String(err)}`);
    failure = new SmtpReply(451, '4.3.0', `Error: local delivery failed, try again later (queue id ${transaction.queueId})`);
  }
  // Whatever happened, read the client's message to its end before answering (RFC 5321 §4.1.1.4).
  stuffer.resume();
  if (!(await clientDone)) {
    lmtp?.abort();
    ctx.logger.info({ event: 'lost', ...fields, size: stream.byteLength }, `${transaction.queueId}: lost connection after DATA (${stream.byteLength} bytes)`);
    throw replies.notReceived();
  }
  await new Promise<void>((resolve) => (stuffer.readableEnded || stuffer.destroyed ? resolve() : stuffer.once('end', resolve).once('close', resolve)));

  const size = stream.byteLength;
  const refusal = async (): Promise<SmtpReply | null> => {
    if (failure) return failure;
    if (stream.sizeExceeded) return new SmtpReply(552, '5.3.4', `Error: message file too big (limit ${ctx.config.smtpd.message_size_limit})`);
    if (filter.bareCount > 0 && ctx.config.smtpd.forbid_bare_newline === 'reject') return replies.bareNewline();
    const verdict = await ctx.policy.evaluate('end_of_data', sessionFacts(session), ctx.env);
    logWarnings(ctx.logger, session, 'END-OF-MESSAGE', verdict);
    return verdict.action === 'reject' ? verdictReply(verdict) : null;
  };
  const refused = await refusal();
  if (refused) {
    lmtp?.abort();
    if (refused !== failure) logReject(ctx.logger, session, 'END-OF-MESSAGE', refused, { from: transaction.sender, to: [...transaction.recipients.values()][0]?.address ?? null });
    throw refused;
  }
  if (filter.bareCount > 0) ctx.logger.info({ event: 'bare_newline', ...fields, count: filter.bareCount }, `${transaction.queueId}: normalized ${filter.bareCount} bare <CR>/<LF> in message content`);

  ctx.logger.info(
    { event: 'received', ...fields, from: transaction.sender, to: [...transaction.recipients.values()].map((r) => r.address), size, nrcpt: origin.size, message_id: rewriter.messageId ?? undefined },
    `${transaction.queueId}: from=<${transaction.sender}>, size=${size}, nrcpt=${origin.size}${rewriter.messageId ? `, message-id=${rewriter.messageId}` : ''}`,
  );
  if (lmtp !== null) results = [...results, ...(await lmtp.finish())];
  const relay = `lmtp[${ctx.handoff.destination}]`;
  const delay = (Date.now() - transaction.startedAt) / 1000;
  for (const result of results) {
    const status = result.reply.code === 250 ? 'sent' : result.reply.code < 500 ? 'deferred' : 'bounced';
    ctx.logger.info(
      { event: 'delivery', ...fields, to: result.recipient, orig_to: origin.get(result.recipient), relay, delay, delays: { lmtp: (Date.now() - started) / 1000 }, dsn: result.reply.enhanced ?? undefined, status, reply: describeReply(result.reply) },
      `${transaction.queueId}: to=<${result.recipient}>, orig_to=<${origin.get(result.recipient) ?? result.recipient}>, relay=${relay}, delay=${delay}, dsn=${result.reply.enhanced ?? ''}, status=${status} (${describeReply(result.reply)})`,
    );
  }
  const outcome = smtpReplyFor(results, transaction.queueId);
  if (!outcome.ok) {
    logReject(ctx.logger, session, 'END-OF-MESSAGE', outcome.reply, { from: transaction.sender });
    throw outcome.reply;
  }
  return outcome.message;
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
