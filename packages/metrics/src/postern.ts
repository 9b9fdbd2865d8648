// The metrics every part of Postern counts into: one registry per process, scraped at /metrics.
import { Counter, Gauge, Histogram, Registry } from './registry.js';

export const registry = new Registry();

/** Accepted at end of DATA, per listener (smtp, submission, submissions). */
export const messagesReceived = registry.register(new Counter('postern_messages_received_total', 'Messages accepted at end of DATA, by service', ['service']));

/** One per recipient, as the maillog's status=sent|deferred|bounced; `transport` is lmtp (local) or smtp (the queue). */
export const messagesDelivered = registry.register(new Counter('postern_messages_delivered_total', 'Recipients delivered (status=sent), by transport', ['transport']));
export const messagesDeferred = registry.register(new Counter('postern_messages_deferred_total', 'Recipient delivery attempts that failed temporarily (status=deferred), by transport', ['transport']));
export const messagesBounced = registry.register(new Counter('postern_messages_bounced_total', 'Recipients that failed permanently (status=bounced), by transport and reason', ['transport', 'reason']));

/** SMTP refusals, by the command they answered and the restriction stage. */
export const messagesRejected = registry.register(new Counter('postern_messages_rejected_total', 'SMTP commands refused with 4xx/5xx, by command and restriction stage', ['command', 'stage']));

export const connections = registry.register(new Counter('postern_connections_total', 'Client connections accepted, by service', ['service']));
export const sessionsOpen = registry.register(new Gauge('postern_sessions_open', 'Client sessions open now, by service', ['service']));

export const authFailures = registry.register(new Counter('postern_auth_failures_total', 'Failed logins (wrong password or unknown user), by service', ['service']));
export const authBans = registry.register(new Counter('postern_auth_bans_total', 'Client addresses banned after repeated auth failures'));

/** Every store call of the process (timedCalls at the place the store is opened), by method and backend. */
export const storeOperationSeconds = registry.register(
  new Histogram('postern_store_operation_duration_seconds', 'Store operation latency, by operation (the store method) and backend', ['backend', 'operation'], [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]),
);

/** `reason` of a bounce: the class of its enhanced status code (RFC 3463 §3.1-3.9), cheap and bounded. */
export function bounceReason(dsn: string | null | undefined): string {
  const match = /^[245]\.(\d{1,3})\./.exec(dsn ?? '');
  const subject: Record<string, string> = { '0': 'other', '1': 'address', '2': 'mailbox', '3': 'mail_system', '4': 'network', '5': 'protocol', '6': 'content', '7': 'policy' };
  return (match && subject[match[1]!]) ?? 'other';
}

/** Counts one recipient outcome under its maillog status word. */
export function countDelivery(transport: 'lmtp' | 'smtp', status: 'sent' | 'deferred' | 'bounced', dsn?: string | null): void {
  if (status === 'sent') messagesDelivered.inc({ transport });
  else if (status === 'deferred') messagesDeferred.inc({ transport });
  else messagesBounced.inc({ transport, reason: bounceReason(dsn) });
}
