import type { Logger } from '@postern/log';
import { messagesRejected } from '@postern/metrics';
import type { Verdict } from '@postern/smtp-policy';
import type { SMTPServerSession } from 'smtp-server';
import type { SmtpReply } from './replies.js';
import { clientLabel, currentTransaction, sessionState } from './session.js';

/**
 * The maillog fields of Postfix's smtpd lines (client=, helo=, from=, to=,
 * proto=) as JSON, with the queue id once MAIL FROM gave the message one
 * ("NOQUEUE" before, as Postfix writes it).
 */
export function sessionFields(session: SMTPServerSession): Record<string, unknown> {
  const state = sessionState(session);
  return {
    session: session.id,
    queue_id: currentTransaction(session)?.queueId ?? 'NOQUEUE',
    service: state.service,
    client: clientLabel(session),
    helo: session.hostNameAppearsAs || undefined,
    proto: session.openingCommand || undefined,
    sasl_username: state.login ?? undefined,
  };
}

/** One line per refusal, Postfix's "reject: RCPT from …: 554 5.7.1 …; from=<…> to=<…>". */
export function logReject(
  logger: Logger,
  session: SMTPServerSession,
  command: string,
  reply: SmtpReply,
  details: { stage?: string; rule?: string; from?: string | null; to?: string | null },
): void {
  const fields = sessionFields(session);
  messagesRejected.inc({ command, stage: details.stage ?? 'protocol' });
  logger.info(
    { event: 'reject', command, ...fields, stage: details.stage, rule: details.rule, code: reply.code, dsn: reply.enhanced, reply: reply.line, from: details.from ?? undefined, to: details.to ?? undefined },
    `${String(fields.queue_id)}: reject: ${command} from ${String(fields.client)}: ${reply.line}${details.from != null ? `; from=<${details.from}>` : ''}${details.to != null ? ` to=<${details.to}>` : ''}`,
  );
}

/** warn_if_reject: what would have been refused, logged and let through. */
export function logWarnings(logger: Logger, session: SMTPServerSession, command: string, verdict: Verdict): void {
  for (const warning of verdict.warnings) {
    logger.warn({ event: 'reject_warning', command, ...sessionFields(session), warning }, `reject_warning: ${command} from ${clientLabel(session)}: ${warning}`);
  }
}
