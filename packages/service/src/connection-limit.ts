/**
 * limits.max_connections_per_ip (Postfix's smtpd_client_connection_count_limit,
 * Dovecot's mail_max_userip_connections by address): open sessions per client IP.
 */
export class ConnectionLimiter {
  private readonly open = new Map<string, number>();

  constructor(private readonly maxPerIp: number) {}

  /** True when the connection may proceed; every true must be paired with release(). */
  acquire(ip: string): boolean {
    const count = this.open.get(ip) ?? 0;
    if (count >= this.maxPerIp) return false;
    this.open.set(ip, count + 1);
    return true;
  }

  release(ip: string): void {
    const count = (this.open.get(ip) ?? 1) - 1;
    if (count <= 0) this.open.delete(ip);
    else this.open.set(ip, count);
  }
}
