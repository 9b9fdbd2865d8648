import type { SessionFacts } from '@postern/smtp-policy';
import type { QueueId } from '@postern/store';
import type { SMTPServerSession } from 'smtp-server';

/** The three listeners of the MTA by their IANA service names. */
export type SmtpService = SessionFacts['service'];

/** A recipient accepted at RCPT and where it goes. */
export interface AcceptedRecipient {
  /** The RCPT TO address as the client wrote it. */
  address: string;
  /** The local mailboxes it reaches, as LMTP recipient addresses (user address with its +tag). */
  mailboxes: string[];
  /** Addresses to deliver through the outbound queue: the RCPT itself when relayed, or an alias's remote targets. */
  remote: string[];
  /** True when `remote` are an alias's targets (the message is forwarded: ARC-sealed, never DKIM-signed as ours). */
  forwarded: boolean;
  /** RFC 3461 NOTIFY and ORCPT given with the RCPT. */
  notify: string[] | null;
  orcpt: string | null;
}

/** One mail transaction, from MAIL FROM to the reply after DATA (Postfix's queue file). */
export interface Transaction {
  /** The queue id every log line of this message carries. */
  queueId: QueueId;
  sender: string;
  /** By lower-cased RCPT address, in RCPT order. */
  recipients: Map<string, AcceptedRecipient>;
  startedAt: number;
  /** Header fields the restrictions asked for (access(5) PREPEND, e.g. postgrey's X-Greylist), put in front of the message. */
  prepend: string[];
}

/** What the MTA knows about one SMTP session beyond smtp-server's session object. */
export interface SessionState {
  service: SmtpService;
  /** Verified reverse name: Postfix's client_name (null is "unknown"). */
  clientHostname: string | null;
  /** The PTR name even when unverified: Postfix's reverse_client_name. */
  reverseClientHostname: string | null;
  /** The SASL login (a user address) once AUTH succeeded. */
  login: string | null;
  /** The SASL mechanism of that login (PLAIN, LOGIN). */
  saslMethod: string | null;
  transaction: Transaction | null;
  /** True once this session holds a slot of the per-IP connection limit. */
  /** Gives back the connection-limit slots the session holds (null when it holds none). */
  releaseSlots: (() => void) | null;
  /** Bytes the client sent that the server has not read yet (for reject_unauth_pipelining). */
  unreadInput(): number;
}

const states = new WeakMap<SMTPServerSession, SessionState>();

export function initSession(session: SMTPServerSession, service: SmtpService, unreadInput: () => number): SessionState {
  const state: SessionState = { service, clientHostname: null, reverseClientHostname: null, login: null, saslMethod: null, transaction: null, releaseSlots: null, unreadInput };
  states.set(session, state);
  return state;
}

export function sessionState(session: SMTPServerSession): SessionState {
  const state = states.get(session);
  if (!state) throw new Error(`SMTP session ${session.id} has no MTA state (onConnect did not run)`);
  return state;
}

/** The open transaction: RSET, HELO and the end of DATA end one inside smtp-server, whose envelope says whether one is open. */
export function currentTransaction(session: SMTPServerSession): Transaction | null {
  return session.envelope.mailFrom ? sessionState(session).transaction : null;
}

/** The facts the restriction rules see at the current command. */
export function sessionFacts(session: SMTPServerSession, extra: { helo?: string; sender?: string | null; recipient?: string | null; pipelinedEarly?: boolean } = {}): SessionFacts {
  const state = sessionState(session);
  const transaction = currentTransaction(session);
  const tls = session.secure && session.tlsOptions ? session.tlsOptions : null;
  const mailFrom = session.envelope.mailFrom ? (session.envelope.mailFrom as { args?: Record<string, string> | false }) : null;
  return {
    service: state.service,
    clientAddress: session.remoteAddress,
    clientHostname: state.clientHostname,
    reverseClientHostname: state.reverseClientHostname,
    helo: extra.helo ?? (session.hostNameAppearsAs || null),
    saslUsername: state.login,
    tls: session.secure,
    sender: extra.sender !== undefined ? extra.sender : transaction ? transaction.sender : null,
    recipient: extra.recipient ?? null,
    recipientCount: transaction ? transaction.recipients.size : 0,
    pipelinedEarly: extra.pipelinedEarly ?? false,
    session: {
      id: session.id,
      queueId: transaction?.queueId ?? null,
      protocolName: session.openingCommand === 'HELO' ? 'SMTP' : 'ESMTP',
      clientPort: session.remotePort,
      serverAddress: session.localAddress,
      serverPort: session.localPort,
      size: Number(mailFrom?.args ? mailFrom.args.SIZE : undefined) || null,
      saslMethod: state.saslMethod,
      tlsProtocol: tls?.version ?? null,
      tlsCipher: tls ? tls.standardName || tls.name : null,
    },
  };
}

/** Postfix's client= form: "name[ip]", with "unknown" when the name is not verified. */
export function clientLabel(session: SMTPServerSession): string {
  const state = states.get(session);
  return `${state?.clientHostname ?? 'unknown'}[${session.remoteAddress}]`;
}
