// A remote SMTP/LMTP server for delivery tests (the queue's and the end-to-end
// suites'): smtp-server 3.21.6 on a 127.0.0.x address, recording what it received.
import { SMTPServer, type SMTPServerAddress, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import type { Socket } from 'node:net';

export interface ReceivedMessage {
  mailFrom: string;
  /** MAIL FROM parameters as smtp-server parsed them (upper-case keys). */
  mailArgs: Record<string, unknown>;
  recipients: string[];
  rcptArgs: Record<string, unknown>[];
  message: Buffer;
  secure: boolean;
  user: string | null;
  helo: string;
}

/** The raw octets one client connection wrote, in the chunks they arrived in (plaintext part only). */
export interface RawConnection {
  /** The client's address as the server saw it. */
  clientAddress: string;
  chunks: string[];
}

/** [code, text] of a refusal: [550, '5.1.1 <bob@example.net>: Recipient address rejected']. */
export type Refusal = [number, string];

export interface RemoteOptions {
  host: string;
  port: number;
  /** Listens on this unix socket instead of host:port (LMTP). */
  path?: string;
  /** Passed to smtp-server as is (secure, lmtp, hideSTARTTLS, size, authMethods, key/cert …). */
  server?: Partial<SMTPServerOptions>;
  /** Recipients refused at RCPT TO, by address (lower case); read at each RCPT, so a test may change it. */
  refuseRecipients?: Record<string, Refusal>;
  /** Refuses MAIL FROM. */
  refuseMail?: Refusal;
  /** Refuses the message after the data (SMTP: one reply). */
  refuseData?: Refusal;
  /** LMTP: the reply for each accepted recipient after the data, by address; absent ones get 250. */
  lmtpReplies?: Record<string, Refusal>;
  /** Logins accepted by AUTH: username → password. */
  logins?: Record<string, string>;
  /**
   * Asked after each message has arrived in full: true drops the connection in
   * the middle of the 250 (a few octets of it, then a reset), as a peer that
   * crashes or loses its link does — RFC 1047's lost reply, which the client
   * must treat as a temporary failure and retry. The message lands in
   * `dropped`, not in `messages`: the peer never took it.
   */
  dropReply?: (message: ReceivedMessage) => boolean;
}

export interface RemoteSmtp {
  host: string;
  port: number;
  /** Messages answered 250 after the data (or refused there: refuseData, lmtpReplies). */
  readonly messages: ReceivedMessage[];
  /** Messages received in full whose reply was cut off by dropReply (the client never saw a 250). */
  readonly dropped: ReceivedMessage[];
  /** While true, a message is read to its final dot and never answered (a remote hanging in DATA). */
  stallData: boolean;
  /** How many messages arrived in full but were left unanswered by stallData. */
  readonly stalled: number;
  /** Waits until `count` messages were answered; throws after the timeout naming how many were. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMessage[]>;
  readonly connections: RawConnection[];
  /** Client connections open now. */
  readonly open: number;
  /** AUTH attempts: username, password, accepted. */
  readonly logins: { username: string; password: string; accepted: boolean }[];
  stop(): Promise<void>;
}

function refusal([code, text]: Refusal): Error {
  return Object.assign(new Error(text), { responseCode: code });
}

export async function startRemoteSmtp(options: RemoteOptions): Promise<RemoteSmtp> {
  const messages: ReceivedMessage[] = [];
  const dropped: ReceivedMessage[] = [];
  /** Client sockets by remote port, so that a reply can be cut off in the middle. */
  const socketsByPort = new Map<number, Socket>();
  const connections: RawConnection[] = [];
  const logins: RemoteSmtp['logins'] = [];
  const sockets = new Set<Socket>();
  const stall = { on: false, count: 0 };
  const server = new SMTPServer({
    logger: false,
    // Enhanced codes come from the refusal texts, so replies read exactly as the test wrote them.
    hideENHANCEDSTATUSCODES: true,
    authOptional: options.logins === undefined,
    disabledCommands: options.logins === undefined ? ['AUTH'] : [],
    ...options.server,
    onAuth(auth, _session, callback) {
      const expected = options.logins?.[auth.username ?? ''];
      const accepted = expected !== undefined && auth.password === expected;
      logins.push({ username: auth.username ?? '', password: auth.password ?? '', accepted });
      if (accepted) callback(null, { user: auth.username });
      else callback(refusal([535, '5.7.8 Error: authentication failed']));
    },
    onMailFrom(_address: SMTPServerAddress, _session: SMTPServerSession, callback) {
      callback(options.refuseMail ? refusal(options.refuseMail) : null);
    },
    onRcptTo(address: SMTPServerAddress, _session: SMTPServerSession, callback) {
      const refused = options.refuseRecipients?.[address.address.toLowerCase()];
      callback(refused ? refusal(refused) : null);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (stall.on) {
          stall.count++;
          return;
        }
        const envelope = session.envelope;
        const from = envelope.mailFrom === false ? { address: '', args: {} } : envelope.mailFrom;
        const received: ReceivedMessage = {
          mailFrom: from.address,
          mailArgs: (from.args ?? {}) as Record<string, unknown>,
          recipients: envelope.rcptTo.map((rcpt) => rcpt.address),
          rcptArgs: envelope.rcptTo.map((rcpt) => (rcpt.args ?? {}) as Record<string, unknown>),
          message: Buffer.concat(chunks),
          secure: session.secure,
          user: typeof session.user === 'string' ? session.user : null,
          helo: session.hostNameAppearsAs,
        };
        const socket = socketsByPort.get(session.remotePort);
        if (socket && options.dropReply?.(received)) {
          dropped.push(received);
          // Half a reply and a reset: the client cannot tell whether the message was taken.
          socket.write('250 2.0', () => socket.resetAndDestroy());
          return;
        }
        messages.push(received);
        if (options.lmtpReplies !== undefined) {
          const replies = envelope.rcptTo.map((rcpt) => {
            const refused = options.lmtpReplies?.[rcpt.address.toLowerCase()];
            return refused ? refusal(refused) : `2.1.5 <${rcpt.address}> delivered`;
          });
          (callback as (err: Error | null, message: unknown) => void)(null, replies);
        } else if (options.refuseData) {
          callback(refusal(options.refuseData));
        } else {
          callback(null, '2.0.0 Ok: queued as REMOTE1');
        }
      });
    },
  });
  server.server.on('connection', (socket: Socket) => {
    const record: RawConnection = { clientAddress: socket.remoteAddress ?? '', chunks: [] };
    connections.push(record);
    sockets.add(socket);
    const port = socket.remotePort ?? 0;
    socketsByPort.set(port, socket);
    socket.once('close', () => {
      sockets.delete(socket);
      if (socketsByPort.get(port) === socket) socketsByPort.delete(port);
    });
    socket.on('data', (chunk: Buffer) => record.chunks.push(chunk.toString('latin1')));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (options.path !== undefined) server.listen(options.path, () => resolve());
    else server.listen(options.port, options.host, () => resolve());
  });
  server.on('error', () => undefined);
  return {
    host: options.host,
    port: options.port,
    messages,
    dropped,
    connections,
    logins,
    get open() {
      return sockets.size;
    },
    get stallData() {
      return stall.on;
    },
    set stallData(value: boolean) {
      stall.on = value;
    },
    get stalled() {
      return stall.count;
    },
    async waitFor(count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        if (Date.now() > deadline) throw new Error(`remote ${options.host}:${options.port} answered ${messages.length} of ${count} messages in ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return messages;
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
