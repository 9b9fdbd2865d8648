/**
 * Authentication-failure throttling per client IP (what fail2ban/crowdsec do
 * from outside, built in): after `maxFailures` failures within `windowMs` the
 * IP is banned for `banMs`. In memory, per process.
 */
export interface ThrottleOptions {
  maxFailures: number;
  banMs: number;
  /** Failures older than this are forgotten (default: banMs). */
  windowMs?: number;
  now?: () => number;
}

export interface BanState {
  banned: boolean;
  /** Milliseconds until the ban ends (0 when not banned). */
  remainingMs: number;
  failures: number;
}

export class AuthThrottle {
  private readonly failures = new Map<string, number[]>();
  private readonly bans = new Map<string, number>();
  private readonly now: () => number;
  private readonly windowMs: number;

  constructor(private readonly options: ThrottleOptions) {
    this.now = options.now ?? Date.now;
    this.windowMs = options.windowMs ?? options.banMs;
  }

  state(ip: string): BanState {
    const now = this.now();
    const until = this.bans.get(ip);
    if (until !== undefined && until <= now) this.bans.delete(ip);
    const remainingMs = until !== undefined && until > now ? until - now : 0;
    return { banned: remainingMs > 0, remainingMs, failures: this.recent(ip, now).length };
  }

  /** Records one failure; returns the state after it (banned once the limit is reached). */
  fail(ip: string): BanState {
    const now = this.now();
    const recent = [...this.recent(ip, now), now];
    this.failures.set(ip, recent);
    if (recent.length >= this.options.maxFailures) {
      this.bans.set(ip, now + this.options.banMs);
      this.failures.delete(ip);
    }
    return this.state(ip);
  }

  succeed(ip: string): void {
    this.failures.delete(ip);
  }

  private recent(ip: string, now: number): number[] {
    const list = (this.failures.get(ip) ?? []).filter((t) => now - t < this.windowMs);
    if (list.length === 0) this.failures.delete(ip);
    return list;
  }
}
