import { randomBytes } from 'node:crypto';

/**
 * RFC 5322 §3.6.4: a msg-id unique by the time and 64 random bits, with our
 * hostname on the right of the "@" (the form Postfix's cleanup gives the
 * Message-ID it adds).
 */
export function newMessageId(hostname: string, now: Date): string {
  return `<${now.getTime().toString(36)}.${randomBytes(8).toString('hex')}@${hostname}>`;
}
