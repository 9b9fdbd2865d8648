/**
 * Open connections per key (a client address, a service, a user and address) up to a limit:
 * the counter behind Postfix's smtpd_client_connection_count_limit, Dovecot's
 * mail_max_userip_connections and the per-service caps.
 */
export class ConnectionLimiter {
  private readonly open = new Map<string, number>();

  constructor(private max: number) {}

  /** A reloaded limit: counts in hand stay; connections beyond the new one are refused from now on. */
  setLimit(max: number): void {
    this.max = max;
  }

  /** True when the connection may proceed; every true must be paired with release(). */
  acquire(key: string): boolean {
    const count = this.open.get(key) ?? 0;
    if (count >= this.max) return false;
    this.open.set(key, count + 1);
    return true;
  }

  release(key: string): void {
    const count = (this.open.get(key) ?? 1) - 1;
    if (count <= 0) this.open.delete(key);
    else this.open.set(key, count);
  }

  /** acquire() that returns its release (safe to call more than once), or null when refused. */
  slot(key: string): (() => void) | null {
    if (!this.acquire(key)) return null;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.release(key);
    };
  }

  count(key: string): number {
    return this.open.get(key) ?? 0;
  }
}
