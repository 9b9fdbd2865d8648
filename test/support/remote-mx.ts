// A remote mail server for outbound tests: smtp-server on a loopback address,
// keeping every message it accepted and answering RCPTs as a test tells it.
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';

export interface ReceivedMessage {
  from: string;
  to: string[];
  raw: Buffer;
  /** The address of the client that delivered it. */
  client: string;
  tls: boolean;
}

export interface RemoteMx {
  host: string;
  port: number;
  readonly messages: ReceivedMessage[];
  /** Replies to a RCPT: return an error text with a code ("550 5.1.1 no such user") to refuse it, null to accept. */
  rcptReply: (address: string) => string | null;
  /** While true, a message is read to its final dot and never answered (a remote that hangs in DATA). */
  stallData: boolean;
  /** How many messages arrived in full but were never answered because of stallData. */
  stalled: number;
  /** Waits until `count` messages arrived (or throws after the timeout, naming how many did). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMessage[]>;
  stop(): Promise<void>;
}

function smtpError(text: string): Error & { responseCode: number } {
  const code = Number(text.slice(0, 3));
  return Object.assign(new Error(text.slice(4)), { responseCode: code });
}

export async function startRemoteMx(host: string, port: number, options: { name?: string } = {}): Promise<RemoteMx> {
  const messages: ReceivedMessage[] = [];
  const remote: RemoteMx = {
    host,
    port,
    messages,
    rcptReply: () => null,
    stallData: false,
    stalled: 0,
    async waitFor(count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        if (Date.now() > deadline) throw new Error(`remote ${host}:${port} received ${messages.length} of ${count} messages in ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return messages;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = new SMTPServer({
    name: options.name ?? `mx.${host}`,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    hideDSN: false,
    logger: false,
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      const refusal = remote.rcptReply(address.address);
      callback(refusal === null ? undefined : smtpError(refusal));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (remote.stallData) {
          remote.stalled++;
          return;
        }
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          raw: Buffer.concat(chunks),
          client: session.remoteAddress,
          tls: session.secure,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return remote;
}
