import type { PosternConfig } from '@postern/config';
import { connections, sessionsOpen } from '@postern/metrics';
import { ConnectionLimiter } from './connection-limit.js';

/** Why a connection or a login was turned away. */
export type LimitRefusal = 'service' | 'address' | 'userip';

/** The three counts of `[limits]`, keyed as SessionLimits keys them. */
export type SessionLimitsConfig = Pick<PosternConfig['limits'], 'max_connections_per_service' | 'max_connections_per_ip' | 'mail_max_userip_connections'>;

/**
 * Where the counts live: in this process (LocalSlotCounts), or, for the workers of a
 * multi-process mailstore ([limits] mailstore_processes), in the primary, so that a
 * limit holds for the whole mailstore and not per process.
 */
export interface SlotCounts {
  take(counter: LimitRefusal, key: string): boolean | Promise<boolean>;
  release(counter: LimitRefusal, key: string): void;
  /** A reload's limits (counts kept elsewhere are reconfigured there). */
  setLimits(limits: SessionLimitsConfig): void;
}

/** The counts of one process: a ConnectionLimiter per limit. */
export class LocalSlotCounts implements SlotCounts {
  readonly limiters: Record<LimitRefusal, ConnectionLimiter>;

  constructor(limits: SessionLimitsConfig) {
    this.limiters = {
      service: new ConnectionLimiter(limits.max_connections_per_service),
      address: new ConnectionLimiter(limits.max_connections_per_ip),
      userip: new ConnectionLimiter(limits.mail_max_userip_connections),
    };
  }

  take(counter: LimitRefusal, key: string): boolean {
    return this.limiters[counter].acquire(key);
  }

  release(counter: LimitRefusal, key: string): void {
    this.limiters[counter].release(key);
  }

  setLimits(limits: SessionLimitsConfig): void {
    this.limiters.service.setLimit(limits.max_connections_per_service);
    this.limiters.address.setLimit(limits.max_connections_per_ip);
    this.limiters.userip.setLimit(limits.mail_max_userip_connections);
  }

  count(counter: LimitRefusal, key: string): number {
    return this.limiters[counter].count(key);
  }
}

/**
 * The connection slots one IMAP or POP3 session holds. Before login it counts against its
 * service and its client address (`limits.max_connections_per_ip`, so unauthenticated sockets
 * from one address stay few); a login moves it from the address count to the user+address count
 * (Dovecot's mail_max_userip_connections), so an office behind one NAT address is limited per user.
 */
export class SessionSlots {
  private releases: (() => void)[];
  private releaseAddress: (() => void) | null;
  private closed = false;

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
  async login(user: string): Promise<boolean> {
    const release = await this.limits.slot('userip', `${this.service}\0${user.toLowerCase()}\0${this.ip}`);
    if (release === null) return false;
    // Closed while the count was asked for: the slot goes straight back.
    if (this.closed) {
      release();
      return false;
    }
    this.releases.push(release);
    this.releaseAddress?.();
    this.releaseAddress = null;
    return true;
  }

  /** Gives every slot back (idempotent). */
  close(): void {
    this.closed = true;
    this.releaseAddress?.();
    this.releaseAddress = null;
    if (this.releases.length > 0) sessionsOpen.dec({ service: this.service });
    for (const release of this.releases) release();
    this.releases = [];
  }
}

/** The IMAP and POP3 connection limits of `[limits]`, shared by every listener of the mailstore. */
export class SessionLimits {
  constructor(
    public limits: SessionLimitsConfig,
    readonly counts: SlotCounts = new LocalSlotCounts(limits),
  ) {}

  /** A reload's `[limits]`: open sessions keep their slots, new ones count against the new limits. */
  reconfigure(limits: SessionLimitsConfig): void {
    this.limits = limits;
    this.counts.setLimits(limits);
  }

  /** At connect: the session's slots, or why it is refused. */
  async open(service: string, ip: string): Promise<SessionSlots | LimitRefusal> {
    const releaseService = await this.slot('service', service);
    if (releaseService === null) return 'service';
    const releaseAddress = await this.slot('address', ip);
    if (releaseAddress === null) {
      releaseService();
      return 'address';
    }
    connections.inc({ service });
    sessionsOpen.inc({ service });
    return new SessionSlots(this, service, ip, releaseService, releaseAddress);
  }

  /** One count taken, with its release (safe to call more than once), or null when refused. */
  async slot(counter: LimitRefusal, key: string): Promise<(() => void) | null> {
    if (!(await this.counts.take(counter, key))) return null;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.counts.release(counter, key);
    };
  }
}

/** The text a client gets for each refusal, with the limit's name as Dovecot and Postfix print it. */
export function limitText(refusal: LimitRefusal, limits: SessionLimitsConfig): string {
  switch (refusal) {
    case 'service':
      return `Too many connections to this service (max_connections_per_service=${limits.max_connections_per_service})`;
    case 'address':
      return `Too many connections from your address before login (max_connections_per_ip=${limits.max_connections_per_ip})`;
    case 'userip':
      return `Maximum number of connections from user+IP exceeded (mail_max_userip_connections=${limits.mail_max_userip_connections})`;
  }
}
