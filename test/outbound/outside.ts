// A client outside mynetworks (bound to 127.0.0.2; the MTA instances trust
// only 127.0.0.1) sending one message on port 25: the MX role.
import assert from 'node:assert/strict';
import type { MtaInstance } from '../mta/instance.js';
import { SmtpDialogue, sendMail, type Reply } from '../mta/smtp-dialogue.js';

export const OUTSIDE = '127.0.0.2';

/** EHLO client.outside.test, MAIL, RCPT, DATA: the reply to the final dot (or to the command that refused). */
export async function sendFromOutside(mta: MtaInstance, mailFrom: string, content: string, to = 'alice@example.com'): Promise<Reply> {
  const smtp = await SmtpDialogue.open(mta.ports.smtp, { localAddress: OUTSIDE });
  try {
    assert.equal((await smtp.ehlo('client.outside.test')).code, 250);
    return await sendMail(smtp, mailFrom, [to], content);
  } finally {
    await smtp.command('QUIT').catch(() => undefined);
  }
}
