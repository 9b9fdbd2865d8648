import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import { parseListenAddress, type PosternConfig } from '@postern/config';
import { UsageFailure, oneLine } from '../errors.js';

export interface MtaAddress {
  host: string;
  port: number;
}

/** The first listen.smtp address, a wildcard one reached on loopback (0.0.0.0 → 127.0.0.1, :: → ::1). */
export function localMtaAddress(config: PosternConfig): MtaAddress {
  const first = config.listen.smtp[0];
  if (first === undefined) throw new UsageFailure('listen.smtp is empty: no local MTA to submit to (set it with: postern config set listen.smtp \'["127.0.0.1:25"]\')');
  const address = parseListenAddress(first, { allowUnix: false });
  if (address.kind !== 'tcp') throw new UsageFailure(`listen.smtp ${first} is not a TCP address`);
  const host = address.host === '0.0.0.0' || address.host === '' ? '127.0.0.1' : address.host === '::' ? '::1' : address.host;
  return { host, port: address.port };
}

export interface Submission {
  /** Envelope sender; '' is the null reverse-path. */
  from: string;
  recipients: string[];
  /** CRLF lines, not dot-stuffed. */
  message: Buffer;
}

function hostPort(mta: MtaAddress): string {
  return mta.host.includes(':') ? `[${mta.host}]:${mta.port}` : `${mta.host}:${mta.port}`;
}

// Node's system error codes for the ways a connection fails before the greeting.
const SOCKET_PROBLEMS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
  ETIMEDOUT: 'timed out',
};

type SmtpError = SMTPConnection.SMTPError & { recipient?: string; rejectedErrors?: SmtpError[] };

/** One line for the person at the terminal: which recipient or step the MTA refused, with its reply. */
function describeFailure(err: SmtpError, mta: MtaAddress): string {
  if (err.rejectedErrors?.length) return refusedRecipients(err.rejectedErrors);
  if (err.response) {
    if (err.command === 'MAIL FROM') return `the MTA at ${hostPort(mta)} refused the sender: ${oneLine(err.response)}`;
    if (err.command === 'DATA') return `the MTA at ${hostPort(mta)} refused the message: ${oneLine(err.response)}`;
    return `the MTA at ${hostPort(mta)} refused the session: ${oneLine(err.response)}`;
  }
  // nodemailer replaces the socket error's code with its own; the system one is still in the message.
  const system = Object.keys(SOCKET_PROBLEMS).find((code) => err.message.includes(code));
  if (system !== undefined) return `cannot reach the MTA at ${hostPort(mta)}: ${SOCKET_PROBLEMS[system]} (is \`postern start\` running?)`;
  return `the MTA at ${hostPort(mta)}: ${oneLine(err.message)}`;
}

function refusedRecipients(errors: SmtpError[]): string {
  return errors.map((e) => `${e.recipient ?? 'a recipient'}: ${oneLine(e.response ?? e.message)}`).join('; ');
}

/**
 * Hands the message to the local MTA over SMTP, as Postfix's sendmail hands
 * it to pickup: EHLO with our hostname, no AUTH (loopback is in mynetworks,
 * so the MTA relays and signs it), no STARTTLS on loopback. Throws
 * UsageFailure with one line when the MTA is not there or refuses anything;
 * recipients it accepted got the message even when others were refused.
 */
export async function submitToMta(mta: MtaAddress, hostname: string, submission: Submission): Promise<void> {
  const connection = new SMTPConnection({ host: mta.host, port: mta.port, name: hostname, ignoreTLS: true, connectionTimeout: 10_000, greetingTimeout: 30_000 });
  // Every failure after the connect arrives as an 'error' event too; the first one decides.
  const failed = new Promise<never>((_resolve, reject) => connection.on('error', reject));
  failed.catch(() => {});
  try {
    await Promise.race([new Promise<void>((resolve) => connection.connect(() => resolve())), failed]);
    const info = await Promise.race([
      new Promise<SMTPConnection.SentMessageInfo>((resolve, reject) => {
        connection.send(
          {
            from: submission.from,
            to: submission.recipients,
            size: submission.message.length,
            // RFC 6152: BODY=8BITMIME when the message holds bytes beyond ASCII.
            use8BitMime: submission.message.some((byte) => byte > 0x7f),
          },
          submission.message,
          (err, sent) => (err ? reject(err) : resolve(sent)),
        );
      }),
      failed,
    ]);
    if (info.rejected.length > 0) {
      const accepted = info.accepted.length;
      throw new UsageFailure(`${refusedRecipients((info.rejectedErrors ?? []) as SmtpError[])} (sent to the other ${accepted} recipient${accepted === 1 ? '' : 's'})`);
    }
    connection.quit();
  } catch (err) {
    connection.close();
    if (err instanceof UsageFailure) throw err;
    throw new UsageFailure(describeFailure(err as SmtpError, mta));
  }
}
