/**
 * What went wrong below the level of replies: the words of Postfix's smtp(8)
 * messages ("connect to …: Connection refused", "conversation with … timed
 * out while …", "lost connection with … while …").
 */
export type SmtpFailureKind = 'connect' | 'timeout' | 'lost' | 'protocol' | 'tls';

export class SmtpClientError extends Error {
  constructor(
    readonly kind: SmtpFailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'SmtpClientError';
  }
}
