import type { SMTPServerAddress, SMTPServerSession } from 'smtp-server';
import type { MtaContext } from './context.js';
import type { MessageRoom } from './in-flight-limits.js';
import { logReject, sessionFields } from './maillog.js';
import { replies, type SmtpReply } from './replies.js';
import { MEMORY_SPOOL_LIMIT } from './spool.js';

/** What a session holds or waits for: the room reserved at DATA, and a way to stop waiting when it closes. */
interface Admission {
  room: MessageRoom | null;
  gone: AbortController;
}

const admissions = new WeakMap<SMTPServerSession, Admission>();

/** RFC 1870 §4: the SIZE= of a MAIL FROM, the client's estimate of the message size; null when it gave none. */
export function declaredSize(mailFrom: SMTPServerAddress | false): number | null {
  const args = mailFrom ? (mailFrom.args as Record<string, unknown> | false) : false;
  const size = args ? args['SIZE'] : undefined;
  return typeof size === 'string' && /^\d{1,20}$/.test(size) ? Number(size) : null;
}

/**
 * MAIL FROM with SIZE=: RFC 1870 §6.1 lets the server see whether it has the
 * room to take a message that large and answer 452 when it has not (the
 * client retries later, §6.2). Larger than message_size_limit is the
 * library's 552 before this runs.
 */
export function sizeRefusal(ctx: MtaContext, mailFrom: SMTPServerAddress): SmtpReply | null {
  const size = declaredSize(mailFrom);
  return size !== null && !ctx.inFlightLimits.fits(size) ? replies.insufficientStorage(ctx.inFlightLimits.maxBytes) : null;
}

/**
 * DATA, before the 354: a slot of smtpd.message_concurrency_limit and the
 * declared size (or the in-memory part of the spool when none was declared)
 * of smtpd.in_flight_bytes_limit. While none is free the client is not
 * answered, so it sends nothing; after in_flight_wait_time, 451 4.3.1.
 */
export async function reserveRoom(ctx: MtaContext, session: SMTPServerSession): Promise<SmtpReply | null> {
  const admission = admissionOf(session);
  admission.room?.release();
  admission.room = null;
  const limits = ctx.inFlightLimits;
  const wanted = declaredSize(session.envelope.mailFrom) ?? MEMORY_SPOOL_LIMIT;
  const waitMs = ctx.config.smtpd.in_flight_wait_time;
  const room = await limits.acquire(wanted, waitMs, admission.gone.signal);
  if (admission.gone.signal.aborted) {
    room?.release();
    return null;
  }
  if (room === null) {
    const reply = replies.mailSystemFull();
    logNoRoom(ctx, session, wanted);
    logReject(ctx.logger, session, 'DATA', reply, { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null });
    return reply;
  }
  admission.room = room;
  return null;
}

/** The room the DATA gate reserved, now the message's (its receiver releases it); reserved here if the gate did not run. */
export async function takeRoom(ctx: MtaContext, session: SMTPServerSession): Promise<MessageRoom> {
  const admission = admissionOf(session);
  if (admission.room === null) {
    const refusal = await reserveRoom(ctx, session);
    if (refusal !== null) throw refusal;
  }
  const room = admission.room;
  admission.room = null;
  if (room === null) throw replies.notReceived();
  return room;
}

/**
 * At the final dot the message's size is known: its room grows to it, ahead
 * of new messages, within in_flight_wait_time. RFC 1870 §6.3: a message larger
 * than the room this server has is refused with 452 4.3.1 even when no SIZE
 * was declared; one that waited in vain gets 451 4.3.1.
 */
export async function fitMessage(ctx: MtaContext, session: SMTPServerSession, room: MessageRoom, size: number): Promise<void> {
  if (!ctx.inFlightLimits.fits(size)) throw replies.insufficientStorage(ctx.inFlightLimits.maxBytes);
  if (await room.grow(size, ctx.config.smtpd.in_flight_wait_time)) return;
  logNoRoom(ctx, session, size);
  throw replies.mailSystemFull();
}

/** The warning for a message that found no room within in_flight_wait_time, with what held it. */
function logNoRoom(ctx: MtaContext, session: SMTPServerSession, wanted: number): void {
  const usage = ctx.inFlightLimits.usage;
  ctx.logger.warn(
    { event: 'in_flight_limit', ...sessionFields(session), messages: usage.messages, bytes: usage.bytes, waiting: usage.waiting, wanted },
    `${session.remoteAddress}: no room for a message of ${wanted} bytes in ${ctx.config.smtpd.in_flight_wait_time / 1000} s (${usage.messages} messages, ${usage.bytes} bytes in flight)`,
  );
}

/** The session closed: a wait for room ends, and room held is given back. */
export function releaseAdmission(session: SMTPServerSession): void {
  const admission = admissions.get(session);
  if (!admission) return;
  admission.gone.abort();
  admission.room?.release();
  admission.room = null;
}

function admissionOf(session: SMTPServerSession): Admission {
  let admission = admissions.get(session);
  if (!admission) {
    admission = { room: null, gone: new AbortController() };
    admissions.set(session, admission);
  }
  return admission;
}
