import type { ListenAddress, PosternConfig } from '@postern/config';
import type { Resolver } from '@postern/dns';
import type { Logger } from '@postern/log';
import type { Store } from '@postern/store';
import type { SessionCache } from './delivery/session-cache.js';
import type { MessageContent } from './message-content.js';

// Shared between the delivery agent and the queue runner.

export interface DeliveryRecipient {
  address: string;
  notify?: string[] | null;
  orcpt?: string | null;
  /** The RCPT address that led here through an alias (Postfix's orig_to), when it differs. */
  origTo?: string | null;
}

export interface DeliveryRequest {
  queueId: string;
  /** '' = null reverse-path */
  from: string;
  /** every recipient is in this domain (lower case) */
  domain: string;
  recipients: DeliveryRecipient[];
  /** CRLF lines, not dot-stuffed, final as sent; read while it is sent (queued: part by part from the store) */
  message: MessageContent;
  dsn: { envid: string | null; ret: 'FULL' | 'HDRS' | null };
  /** the message/envelope needs SMTPUTF8 */
  smtputf8: boolean;
  /** BODY=8BITMIME */
  eightBit: boolean;
  /** A TLS-RPT report: no MTA-STS policy holds it back, and its sessions are not counted (RFC 8460 §5.3). */
  tlsReport?: boolean;
}

export type DeliveryStatus = 'delivered' | 'deferred' | 'bounced';

export interface RecipientOutcome {
  address: string;
  /** 2xx delivered; 4xx/connection trouble deferred; 5xx/permanent routing failure bounced */
  status: DeliveryStatus;
  /** "550 5.1.1 <bob@example.net>: Recipient address rejected" or our own "4.4.1 connect to mx.example.net[127.0.0.5]:25: Connection refused" */
  response: string;
  /** RFC 3463 code, e.g. "5.1.1" (ours when the remote gave none) */
  dsn: string;
  /** "mx.example.net[127.0.0.5]:25" or "lmtp[127.0.0.1:24]"; null when nothing was reached */
  relay: string | null;
  /** response came from the remote server (bounce: Remote-MTA + Diagnostic-Code smtp;) */
  remote: boolean;
  /**
   * The server advertised DSN, so NOTIFY/ORCPT went with the RCPT: a success
   * notification is its job, not ours (RFC 3461 §5.2.1). Absent means false.
   */
  dsnPassedOn?: boolean;
  /** The policy the delivery went under: "mta-sts:enforce", "mta-sts:testing", "tls:may", "plain", … (absent for LMTP). */
  policy?: string;
}

export interface DeliveryContext {
  config: PosternConfig;
  resolver: Resolver;
  logger: Logger;
  /** virtual_transport: where local domains are delivered */
  lmtp: ListenAddress;
  /** The LMTP transport's connection cache; none: one session per delivery. */
  lmtpSessions?: SessionCache;
  /** The SMTP transport's connection cache (Postfix smtp_connection_cache_on_demand); none: one session per delivery. */
  smtpSessions?: SessionCache;
  /** Whether more deliveries to this next hop (nextHopKey) are running or waiting: the SMTP cache keeps sessions only then. */
  backlog?(nextHop: string): boolean;
  /** The MTA-STS policy cache and TLS-RPT counts (RFC 8461 §5.1, RFC 8460); none: no MTA-STS, no TLS-RPT. */
  store?: Store;
  isLocalDomain(domain: string): Promise<boolean>;
}

export type Deliver = (ctx: DeliveryContext, request: DeliveryRequest) => Promise<RecipientOutcome[]>;
