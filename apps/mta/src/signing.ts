import { signMessage } from '@postern/mail-auth';
import type { SMTPServerSession } from 'smtp-server';
import type { MtaContext } from './context.js';
import { sessionFields } from './maillog.js';
import { sessionState, type Transaction } from './session.js';

/** Mail our users send: authenticated submission or a client in mynetworks (OpenDKIM's InternalHosts). */
export function mayBeSigned(ctx: MtaContext, session: SMTPServerSession): boolean {
  return sessionState(session).login !== null || ctx.mynetworks(session.remoteAddress);
}

/** DKIM-signs with the From domain's keys when it is one of ours and has any; logs each signature. */
export async function sign(ctx: MtaContext, session: SMTPServerSession, transaction: Transaction, message: Buffer): Promise<Buffer> {
  const signed = await signMessage(message, { store: ctx.store, config: ctx.config, sender: transaction.sender });
  for (const signature of signed.signatures) {
    ctx.logger.info(
      { event: 'dkim_signed', ...sessionFields(session), queue_id: transaction.queueId, domain: signature.domain, selector: signature.selector, algorithm: signature.algorithm },
      `${transaction.queueId}: DKIM-Signature field added (s=${signature.selector}, d=${signature.domain}, ${signature.algorithm})`,
    );
  }
  return signed.message;
}
