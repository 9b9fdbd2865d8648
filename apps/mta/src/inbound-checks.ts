import { authenticateInbound, removeOwnAuthenticationResults, sealKeyFor } from '@postern/mail-auth';
import type { SMTPServerSession } from 'smtp-server';
import type { MtaContext } from './context.js';
import { recordDmarcEvaluations } from './dmarc-recording.js';
import { logReject, sessionFields } from './maillog.js';
import { SmtpReply } from './replies.js';
import { sessionState, type Transaction } from './session.js';
import type { SpooledMessage } from './spooled-message.js';

/** Mail from the outside: port 25, no AUTH, not from mynetworks (what the guides run OpenDKIM verify, OpenDMARC and spamc on). */
export function isExternal(ctx: MtaContext, session: SMTPServerSession): boolean {
  const state = sessionState(session);
  return state.service === 'smtp' && state.login === null && !ctx.mynetworks(session.remoteAddress);
}

/** The domain of the first alias that forwards off-site: its key seals the ARC set (RFC 8617 §5.1). */
function forwardingDomain(transaction: Transaction): string | null {
  for (const recipient of transaction.recipients.values()) {
    if (recipient.forwarded) return recipient.address.slice(recipient.address.lastIndexOf('@') + 1).toLowerCase();
  }
  return null;
}

/**
 * The inbound milters in one place: our own Authentication-Results removed
 * (RFC 8601 §5), SPF/DKIM/DMARC/ARC verified with Authentication-Results and
 * Received-SPF added (and an ARC seal when an alias forwards the message),
 * the DMARC policy applied, then the content scanner. Returns the message
 * with the new header fields on top; throws the SMTP reply when it is refused.
 * DMARC quarantine and scanner spam put `X-Spam-Flag: YES` on top, which the
 * mailstore files into Junk.
 */
export async function checkInbound(ctx: MtaContext, session: SMTPServerSession, transaction: Transaction, received: SpooledMessage): Promise<SpooledMessage> {
  if (!isExternal(ctx, session)) return received;
  const fields = { ...sessionFields(session), queue_id: transaction.queueId };
  const recipients = [...transaction.recipients.values()].map((recipient) => recipient.address);
  let message = received;
  let prepend = '';
  let quarantine = false;
  if (ctx.config.inbound.authenticate) {
    // Only the header is read into memory; the verifiers read the spool as a stream.
    message = message.withHeader(removeOwnAuthenticationResults(message.header, ctx.config.hostname));
    const sealing = forwardingDomain(transaction);
    const seal = sealing === null ? null : await sealKeyFor(ctx.store, sealing);
    const facts = { ip: session.remoteAddress, helo: session.hostNameAppearsAs || null, sender: transaction.sender, hostname: ctx.config.hostname, queueId: transaction.queueId };
    const verdict = await authenticateInbound(message.stream(), facts, { resolver: ctx.env.resolver, config: ctx.config, seal });
    ctx.logger.info(
      { event: 'authentication', ...fields, spf: verdict.spf, dkim: verdict.dkim, dmarc: verdict.dmarc, arc: verdict.arc, dmarc_policy: verdict.dmarcPolicy, action: verdict.action, sealed: seal !== null },
      `${transaction.queueId}: spf=${verdict.spf} dkim=${verdict.dkim} dmarc=${verdict.dmarc} arc=${verdict.arc} action=${verdict.action}`,
    );
    await recordDmarcEvaluations(ctx, session, transaction, verdict.dmarcReports);
    if ((verdict.action === 'reject' || verdict.action === 'tempfail') && verdict.reply !== null) {
      const reply = new SmtpReply(verdict.reply.code, verdict.reply.enhanced, verdict.reply.text);
      logReject(ctx.logger, session, 'END-OF-MESSAGE', reply, { from: transaction.sender, to: recipients[0] ?? null, stage: 'dmarc' });
      throw reply;
    }
    prepend += verdict.headers;
    quarantine = verdict.action === 'quarantine';
  }
  if (ctx.scanner !== null) {
    // The scanner reads the bytes only when the message is within content_filter.max_size.
    const result = await ctx.scanner.scan(message.prepend(prepend), {
      ip: session.remoteAddress,
      helo: session.hostNameAppearsAs || null,
      from: transaction.sender,
      recipients,
      // rspamd's Hostname is the client's verified reverse name, not ours.
      hostname: sessionState(session).clientHostname ?? 'unknown',
      queueId: transaction.queueId,
      user: null,
    });
    const logged = { event: 'content_scan', ...fields, scanner: ctx.config.content_filter.scanner, status: result.status, score: result.score, threshold: result.threshold };
    if (result.status === 'unavailable') {
      // The guides' milter_default_action = accept: a scanner outage must not stop mail.
      ctx.logger.warn({ ...logged, detail: result.detail }, `${transaction.queueId}: content scanner unavailable, accepted unscanned: ${result.detail}`);
    } else {
      ctx.logger.info(logged, `${transaction.queueId}: content scan ${result.status}${result.score === null ? '' : ` score=${result.score}`}`);
    }
    if (result.status === 'reject') {
      const reply = new SmtpReply(550, '5.7.1', `Message content rejected as spam (score ${result.score ?? '?'}, queue id ${transaction.queueId})`);
      logReject(ctx.logger, session, 'END-OF-MESSAGE', reply, { from: transaction.sender, to: recipients[0] ?? null, stage: 'content_filter' });
      throw reply;
    }
    prepend = result.headers + prepend;
  }
  // The topmost X-Spam-Flag decides the folder: DMARC quarantine wins over a scanner's NO.
  if (quarantine) prepend = `X-Spam-Flag: YES\r\n${prepend}`;
  return message.prepend(prepend);
}
