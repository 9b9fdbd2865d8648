import type { PosternConfig } from '@postern/config';
import { connections, sessionsOpen } from '@postern/metrics';
import { ConnectionLimiter } from './connection-limit.js';

/** Why a connection or a login was turned away. */
export type LimitRefusal = 'service' | 'address' | 'userip';

/**
 * The connection slots one IMAP or POP3 session holds. Before login it counts against its
 * service and its client address (`limits.max_connections_per_ip`, so unauthenticated sockets
 * from one address stay few); a login moves it from the address count to the user+address count
 * (Dovecot's mail_max_userip_connections), so an office behind one NAT address is limited per user.
 */
export class SessionSlots {
  private releases: (() => void)[];
  private releaseAddress: (() => void) | null;

  constructor(
    private readonly limits: SessionLimits,
    private readonly service: string,
    private readonly ip: string,
    releaseService: () => void,
    releaseAddress: () => void,
  ) {
    this.releases = [releaseService];
    this.releaseAddress = releaseAddress;
  }

  /** At a successful login: false when the user already has the most sessions from this address. */
  login(user: string): boolean {
    const release = this.limits.userIp.slot(`${this.service}\0${user.toLowerCase()}\0${this.ip}`);
    if (release === null) return false;
    this.releases.push(release);
    this.releaseAddress?.();
    this.releaseAddress = null;
    return true;
  }

  /** Gives every slot back (idempotent). */
  close(): void {
    this.releaseAddress?.();
    this.releaseAddress = null;
    if (this.releases.length > 0) sessionsOpen.dec({ service: this.service });
    for (const release of this.releases) release();
    this.releases = [];
  }
}

/** The IMAP and POP3 connection limits of `[limits]`, shared by every listener of the mailstore. */
export class SessionLimits {
  readonly perService: ConnectionLimiter;
  readonly preLogin: ConnectionLimiter;
  readonly userIp: ConnectionLimiter;

  constructor(public limits: Pick<PosternConfig['limits'], 'max_connections_per_service' | 'max_connections_per_ip' | 'mail_max_userip_connections'>) {
    this.perService = new ConnectionLimiter(limits.max_connections_per_service);
    this.preLogin = new ConnectionLimiter(limits.max_connections_per_ip);
    this.userIp = new ConnectionLimiter(limits.mail_max_userip_connections);
  }

  /** A reload's `[limits]`: open sessions keep their slots, new ones count against the new limits. */
  reconfigure(limits: SessionLimits['limits']): void {
    this.limits = limits;
    this.perService.setLimit(limits.max_connections_per_service);
    this.preLogin.setLimit(limits.max_connections_per_ip);
    this.userIp.setLimit(limits.mail_max_userip_connections);
  }

  /** At connect: the session's slots, or why it is refused. */
  open(service: string, ip: string): SessionSlots | LimitRefusal {
    const releaseService = this.perService.slot(service);
    if (releaseService === null) return 'service';
    const releaseAddress = this.preLogin.slot(ip);
    if (releaseAddress === null) {
      releaseService();
      return 'address';
    }
    connections.inc({ service });
    sessionsOpen.inc({ service });
    return new SessionSlots(this, service, ip, releaseService, releaseAddress);
  }
}

/** The text a client gets for each refusal, with the limit's name as Dovecot and Postfix print it. */
export function limitText(refusal: LimitRefusal, limits: SessionLimits['limits']): string {
  switch (refusal) {
    case 'service':
      return `Too many connections to this service (max_connections_per_service=${limits.max_connections_per_service})`;
    case 'address':
      return `Too many connections from your address before login (max_connections_per_ip=${limits.max_connections_per_ip})`;
    case 'userip':
      return `Maximum number of connections from user+IP exceeded (mail_max_userip_connections=${limits.mail_max_userip_connections})`;
  }
}
