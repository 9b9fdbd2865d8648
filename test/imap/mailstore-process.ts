// A `postern init` instance whose `postern mailstore` process serves IMAP (STARTTLS), IMAPS and LMTP on loopback.
import { startInstance, type PosternInstance } from '../support/instance.js';

export const PASSWORD = 'imap e2e password';

export type ImapInstance = PosternInstance<'imap' | 'imaps' | 'lmtp'>;

export function startImapInstance(backend: 'sqlite' | 'mongodb', settings: [string, string][] = []): Promise<ImapInstance> {
  return startInstance(backend, { listen: ['imap', 'imaps', 'lmtp'], settings, roles: ['mailstore'] });
}

export function testMessage(n: number, subject = `E2E message ${n}`, body = `Body of e2e message ${n}.\r\n`): string {
  return `From: sender@example.org\r\nTo: reader@example.com\r\nSubject: ${subject}\r\nMessage-ID: <e2e-${n}.${process.pid}@example.org>\r\nDate: Fri, 21 Nov 2025 10:00:00 +0000\r\n\r\n${body}`;
}
