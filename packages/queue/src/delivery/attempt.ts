import { isIP } from 'node:net';
import { replyClass, SmtpClientError, SmtpSession, type Protocol, type SmtpReply } from '../smtp-client/index.js';
import type { DeliveryRequest, RecipientOutcome } from '../types.js';
import type { Credentials } from './credentials.js';
import { envelopeFor } from './envelope.js';
import { everyone, fromReply, ownFailure, replyFailure, type HostFailure, type HostResult } from './outcome.js';
import type { Route } from './routes.js';
import type { SessionCache } from './session-cache.js';
import { certificateResultType, type TlsObservation } from '../tlsrpt/session-result.js';
import { atLeast, type TlsPolicy } from './tls-policy.js';

/** How to talk to every server of one delivery. */
export interface AttemptPlan {
  protocol: Protocol;
  /** smtp.helo_name ?? hostname */
  heloName: string;
  /** The TLS level and what it asks of the certificate; always "none" for LMTP. */
  tls: TlsPolicy;
  /** smtp.tls_CAfile's certificates; undefined: the system store. */
  ca: Buffer | undefined;
  /** The relay host login, or null. */
  credentials: Credentials | null;
  connectTimeoutMs: number;
  replyTimeoutMs: number;
  localAddress: string | undefined;
  /** Sessions kept between deliveries (Postfix's connection cache); none: one session per delivery. */
  cache?: CachePlan | undefined;
  /** Told each SMTP session's TLS outcome (TLS-RPT, RFC 8460 §4.3). */
  observeTls?: ((observation: TlsObservation) => void) | undefined;
}

/** Where the sessions of one delivery are cached, under which key, and whether a session is kept after this one. */
export interface CachePlan {
  sessions: SessionCache;
  /**
   * What the session is set up under besides the route (TLS level and names,
   * login), so that a session is reused only by a delivery that asks for the
   * same; "" for LMTP.
   */
  scope: string;
  /** Asked after a clean transaction: keep the session (Postfix smtp_connection_cache_on_demand: the destination has a backlog). */
  wanted(): boolean;
}

/** Connection trouble in Postfix's DSN codes: 4.4.1 no answer, 4.4.2 bad connection, 4.7.5 TLS, 4.5.0 protocol. */
function clientFailure(error: SmtpClientError, relay: string): HostFailure {
  switch (error.kind) {
    case 'connect':
      return ownFailure('4.4.1', error.message, null);
    case 'tls':
      return ownFailure('4.7.5', `Cannot start TLS: ${error.message}`, relay);
    case 'protocol':
      return ownFailure('4.5.0', error.message, relay);
    default:
      return ownFailure('4.4.2', error.message, relay);
  }
}

const failed = (failure: HostFailure): HostResult => ({ kind: 'failed', failure });
const done = (outcomes: RecipientOutcome[]): HostResult => ({ kind: 'done', outcomes });

/**
 * One server, Postfix smtp(8)'s way: greeting, EHLO, STARTTLS as the level
 * says, AUTH for the relay host, then the transaction. Trouble before any
 * recipient is decided lets the next server try ('failed'); replies to RCPT,
 * DATA and the final "." decide this attempt ('done'). With a session cache,
 * a cached session set up the same way is tried first, after RSET (RFC 5321
 * §4.1.4); one the server closed, that refuses RSET, or that fails before any
 * recipient is decided is dropped, and the delivery goes on over a fresh
 * session within the same attempt.
 */
export async function attemptRoute(request: DeliveryRequest, route: Route, plan: AttemptPlan, startTls = true): Promise<HostResult> {
  const key = cacheKey(route, plan, startTls);
  const cached = plan.cache === undefined ? null : await plan.cache.sessions.take(key);
  if (cached !== null) {
    const result = await onSession(cached, request, route, plan, key, startTls, true);
    if (result.kind === 'done') return result;
  }
  const tcp = 'port' in route.endpoint ? route.endpoint : null;
  let session: SmtpSession;
  try {
    session = await SmtpSession.open({
      protocol: plan.protocol,
      endpoint: route.endpoint,
      localAddress: plan.localAddress,
      // RFC 8314 §3.3: port 465 is TLS from the first octet.
      implicitTls: plan.protocol === 'smtp' && tcp?.port === 465,
      servername: serverName(route),
      timeoutMs: plan.connectTimeoutMs,
      replyTimeoutMs: plan.replyTimeoutMs,
      peer: route.relay,
      ca: plan.ca,
    });
  } catch (error) {
    if (error instanceof SmtpClientError) return failed(clientFailure(error, route.relay));
    throw error;
  }
  return onSession(session, request, route, plan, key, startTls, false);
}

/** The cache key: the route (host, address, port), the plan's scope, and whether STARTTLS was left out (the plaintext retry). */
function cacheKey(route: Route, plan: AttemptPlan, startTls: boolean): string {
  return [route.relay, serverName(route) ?? '', plan.cache?.scope ?? '', startTls ? '' : 'no-starttls'].join(' ');
}

/** SNI: the host name of a TCP route; none for an IP literal (RFC 6066 §3) or a unix socket. */
function serverName(route: Route): string | null {
  return 'port' in route.endpoint && isIP(route.name) === 0 ? route.name : null;
}

/** Runs the delivery on an open session, then caches it (a clean end, a cache) or closes it. */
async function onSession(session: SmtpSession, request: DeliveryRequest, route: Route, plan: AttemptPlan, key: string, startTls: boolean, ready: boolean): Promise<HostResult> {
  let clean = false;
  try {
    if (!ready) {
      const refused = await setUp(session, route, plan, startTls, serverName(route));
      if (refused !== null) return refused;
    }
    const transaction = await transact(session, request, route.relay);
    clean = transaction.clean;
    return transaction.result;
  } catch (error) {
    if (error instanceof SmtpClientError) return failed(clientFailure(error, route.relay));
    throw error;
  } finally {
    if (clean && plan.cache !== undefined && plan.cache.wanted()) plan.cache.sessions.keep(key, session);
    // Not awaited: the replies to the final "." decide the outcome, and it is recorded at once
    // (Postfix marks a recipient done before QUIT); a crash while QUIT is pending re-sends nothing.
    else if (session.connection.usable) void session.quit();
    else session.abort();
  }
}

/** Greeting, EHLO/LHLO, TLS and AUTH: null when the session is ready for a transaction, else why this server is skipped. */
async function setUp(session: SmtpSession, route: Route, plan: AttemptPlan, startTls: boolean, servername: string | null): Promise<HostResult | null> {
  const { relay } = route;
  // Postfix smtp_skip_5xx_greeting: a server that will not talk is skipped, 4xx or 5xx.
  if (replyClass(session.greeting) !== 2) return failed(replyFailure(session.greeting, relay));
  let hello = await session.hello(plan.heloName);
  if (replyClass(hello) !== 2) return failed(replyFailure(hello, relay));

  const { level } = plan.tls;
  const required = atLeast(level, 'encrypt');
  const observe = (resultType: TlsObservation['resultType'], detail: string) =>
    plan.observeTls?.({ resultType, detail, mxHost: route.name, receivingIp: 'host' in route.endpoint ? route.endpoint.host : '', sendingIp: session.connection.localAddress });
  if (plan.protocol === 'smtp' && level !== 'none' && !session.secure) {
    if (startTls && session.capabilities.has('STARTTLS')) {
      let reply: SmtpReply;
      try {
        reply = await session.startTls(servername, plan.ca);
      } catch (error) {
        // Postfix "may": a failed handshake is retried once in plaintext on the same host.
        if (error instanceof SmtpClientError && error.kind === 'tls') {
          // RFC 8460 §4.3.1: a handshake that fails is a validation-failure.
          observe('validation-failure', error.message);
          return { kind: 'failed', failure: clientFailure(error, relay), retryPlaintext: level === 'may' };
        }
        throw error;
      }
      if (reply.code === 220) {
        hello = await session.hello(plan.heloName);
        if (replyClass(hello) !== 2) return failed(replyFailure(hello, relay));
      } else if (required) {
        observe('starttls-not-supported', `host ${relay} refused STARTTLS: ${reply.code}`);
        return failed(replyFailure(reply, relay));
      }
    }
    if (required && !session.secure) {
      observe('starttls-not-supported', `host ${relay} did not offer STARTTLS`);
      return failed(ownFailure('4.7.4', `TLS is required, but was not offered by host ${relay}`, relay));
    }
  }
  // Postfix "verify" matches the MX host name (the relay host's for a relay), "secure" the next hop itself.
  const certificateNames = level === 'secure' ? plan.tls.secureNames : [route.name];
  const tlsa = level === 'dane' ? plan.tls.tlsa : undefined;
  // RFC 7672 §3.1: at "dane" the TLSA records, not a CA, authenticate the server.
  const problem = plan.protocol !== 'smtp' || !session.secure ? 'no TLS' : tlsa !== undefined ? session.connection.daneProblem(tlsa.records, tlsa.names) : session.connection.certificateProblem(certificateNames);
  // A plaintext retry after a failed handshake was counted as that failure.
  // RFC 8460 §4.3.2: a certificate that matches none of the TLSA records is tlsa-invalid.
  if (plan.protocol === 'smtp' && level !== 'none' && startTls) observe(problem === null ? 'success' : tlsa !== undefined && problem !== 'no TLS' ? 'tlsa-invalid' : certificateResultType(problem), problem ?? '');
  if ((atLeast(level, 'verify') || tlsa !== undefined) && problem !== null) return failed(ownFailure('4.7.5', `${problem} for host ${relay} ${plan.tls.requiredBy ?? `at smtp.tls_security_level = "${level}"`}`, relay));

  // RFC 4954: the relay host login; a server that offers no AUTH is used without it, as Postfix does.
  if (plan.credentials !== null && session.capabilities.has('AUTH')) {
    if (!session.secure) return failed(ownFailure('4.7.0', `not sending credentials in cleartext to host ${relay} (no TLS)`, relay));
    if (problem !== null && !plan.tls.authOverUnverified) return failed(ownFailure('4.7.5', `not sending credentials to host ${relay}: ${problem}`, relay));
    const offered = session.capabilities.authMechanisms;
    const mechanism = (['PLAIN', 'LOGIN'] as const).find((name) => offered.includes(name));
    if (mechanism === undefined) return failed(ownFailure('4.7.0', `SASL authentication failed; host ${relay} offers no mechanism we have (${offered.join(' ') || 'none'}; we have PLAIN LOGIN)`, relay));
    const reply = await session.authenticate(mechanism, plan.credentials.username, plan.credentials.password);
    // Postfix defers on a refused login: the credentials may be fixed before the message expires.
    if (replyClass(reply) !== 2) return failed(replyFailure(reply, relay));
  }
  return null;
}

/** One mail transaction; `clean` when it ended with every reply read, so that the session can carry another. */
async function transact(session: SmtpSession, request: DeliveryRequest, relay: string): Promise<{ result: HostResult; clean: boolean }> {
  const unclean = (result: HostResult) => ({ result, clean: false });
  const { recipients } = request;
  // RFC 6531 §3.5: a message that needs SMTPUTF8 is not downgraded: it bounces.
  if (request.smtputf8 && !session.capabilities.has('SMTPUTF8')) {
    return { result: done(everyone(recipients, 'bounced', ownFailure('5.6.7', `SMTPUTF8 is required, but was not offered by host ${relay}`, relay))), clean: true };
  }
  const limit = session.capabilities.sizeLimit;
  // RFC 1870 §4: a message over the server's declared limit would only be refused.
  if (limit !== null && request.message.size > limit) {
    return { result: done(everyone(recipients, 'bounced', ownFailure('5.3.4', `message size ${request.message.size} exceeds size limit ${limit} of server ${relay}`, relay))), clean: true };
  }

  const result = await session.send(envelopeFor(request, session.capabilities, session.protocol));
  if (result.mail === null) return unclean(failed(clientFailure(result.failure ?? new SmtpClientError('lost', `lost connection with ${relay}`), relay)));
  const mailClass = replyClass(result.mail);
  // A 4xx to MAIL FROM is this server's trouble; a 5xx refuses the sender everywhere.
  if (mailClass === 4) return unclean(failed(replyFailure(result.mail, relay)));
  if (mailClass !== 2) return unclean(done(recipients.map(({ address }) => fromReply(address, result.mail!, relay))));
  const undecided = result.recipients.every((reply) => reply === null);
  if (result.failure !== null && undecided && !result.endOfDataSent) return unclean(failed(clientFailure(result.failure, relay)));
  const trouble = result.failure === null ? null : clientFailure(result.failure, relay);
  // RFC 3461 §5.2.1: NOTIFY went on with the RCPT, so success notifications are the server's to send.
  const dsnPassedOn = session.capabilities.has('DSN');
  // Only a transaction that reached its final replies leaves the server ready for the next MAIL (RFC 5321 §4.1.1.4).
  const clean = result.endOfDataSent && result.failure === null;
  const outcomes = done(
    recipients.map(({ address }, i) => {
      const reply = result.recipients[i];
      if (reply != null) return { ...fromReply(address, reply.reply, relay), dsnPassedOn };
      const failure = trouble ?? ownFailure('4.4.2', `no reply from ${relay} for this recipient`, relay);
      return { address, status: 'deferred', response: failure.response, dsn: failure.dsn, relay: failure.relay, remote: false };
    }),
  );
  return { result: outcomes, clean };
}
