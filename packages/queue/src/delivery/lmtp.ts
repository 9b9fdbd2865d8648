import type { ListenAddress } from '@postern/config';
import type { DeliveryContext, DeliveryRequest, RecipientOutcome } from '../types.js';
import { attemptRoute } from './attempt.js';
import { everyone } from './outcome.js';
import type { Route } from './routes.js';

/** Postfix's relay= for LMTP: "lmtp[127.0.0.1:24]", "lmtp[/run/postern/lmtp]". */
export function lmtpRelay(address: ListenAddress): string {
  if (address.kind === 'unix') return `lmtp[${address.path}]`;
  return address.host.includes(':') ? `lmtp[[${address.host}]:${address.port}]` : `lmtp[${address.host}:${address.port}]`;
}

/** Whether a relay= is the LMTP transport's ("lmtp[…]", no port after it as an SMTP relay has): the mail reached its mailbox. */
export function isLmtpRelay(relay: string | null): boolean {
  return relay !== null && /^lmtp\[.*\]$/.test(relay);
}

/**
 * Delivery to a local domain (Postfix lmtp(8), virtual_transport): one LMTP
 * session to the mailstore (reused from the connection cache when the
 * context has one), one reply per recipient after the data (RFC 2033 §4.2).
 * Any trouble reaching it defers: there is no other host to try.
 */
export async function deliverLmtp(ctx: DeliveryContext, request: DeliveryRequest): Promise<RecipientOutcome[]> {
  const { config } = ctx;
  const address = ctx.lmtp;
  const route: Route = {
    name: address.kind === 'unix' ? 'localhost' : address.host,
    endpoint: address.kind === 'unix' ? { path: address.path } : { host: address.host, port: address.port },
    relay: lmtpRelay(address),
  };
  const result = await attemptRoute(request, route, {
    protocol: 'lmtp',
    heloName: config.smtp.helo_name ?? config.hostname,
    tls: { level: 'none', secureNames: [], authOverUnverified: false },
    ca: undefined,
    credentials: null,
    connectTimeoutMs: config.smtp.connect_timeout,
    replyTimeoutMs: config.smtp.timeout,
    localAddress: undefined,
    cache: ctx.lmtpSessions === undefined ? undefined : { sessions: ctx.lmtpSessions, scope: '', wanted: () => true },
  });
  return result.kind === 'done' ? result.outcomes : everyone(request.recipients, 'deferred', result.failure);
}
