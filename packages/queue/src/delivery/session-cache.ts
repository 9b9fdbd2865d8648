import { replyClass, SmtpClientError, type SmtpSession } from '../smtp-client/index.js';

/** How long and how often a session may be reused: Postfix's smtp_connection_cache_* and smtp_connection_reuse_* parameters. */
export interface SessionCacheLimits {
  /** smtp_connection_cache_time_limit: an idle session waits this long for the next message. */
  idleMs: number;
  /** smtp_connection_reuse_time_limit: a session this old is not cached again. */
  reuseTimeMs: number;
  /** smtp_connection_reuse_count_limit: a session that carried this many transactions is not cached again; 0: no limit. */
  reuseCount: number;
  /** Idle sessions kept per destination; more are closed (QUIT) at once. */
  maxIdle: number;
}

/** Postfix's defaults (the LMTP transport's cache uses them as they are). */
export const DEFAULT_CACHE_LIMITS: SessionCacheLimits = { idleMs: 2_000, reuseTimeMs: 300_000, reuseCount: 0, maxIdle: 10 };

interface Idle {
  session: SmtpSession;
  timer: NodeJS.Timeout;
}

/**
 * Postfix's connection cache (scache): sessions that finished a transaction
 * cleanly wait a moment, keyed by destination, for the next delivery there,
 * which skips the connect, greeting, EHLO/LHLO, STARTTLS and AUTH. The key
 * says everything the session was set up under (next hop, TLS level and
 * names, login): a session is never handed to a delivery that asks for
 * different ones.
 */
export class SessionCache {
  private readonly idle = new Map<string, Idle[]>();
  private closed = false;

  constructor(private readonly limits: SessionCacheLimits = DEFAULT_CACHE_LIMITS) {}

  /**
   * A cached session to `key` that answered RSET with 250, the most recently
   * used first; null when none. RFC 5321 §4.1.4: a reused session sends RSET
   * before its next MAIL; a session the server closed, or whose RSET gets
   * anything else (421 after the server's idle timeout), is dropped.
   */
  async take(key: string): Promise<SmtpSession | null> {
    const sessions = this.idle.get(key);
    while (sessions !== undefined && sessions.length > 0) {
      const { session, timer } = sessions.pop()!;
      clearTimeout(timer);
      if (sessions.length === 0) this.idle.delete(key);
      if (!session.connection.usable) {
        session.abort();
        continue;
      }
      try {
        const reply = await session.rset();
        if (replyClass(reply) === 2) return session;
        // A 421 closes the session on the server's side too (RFC 5321 §3.8); anything else leaves it unknown.
        session.abort();
      } catch (error) {
        if (!(error instanceof SmtpClientError)) throw error;
        session.abort();
      }
    }
    return null;
  }

  /** Keeps a session that ended its transaction cleanly; QUITs it when it is past its reuse limits or the cache is full or closed. */
  keep(key: string, session: SmtpSession): void {
    const sessions = this.idle.get(key) ?? [];
    const { idleMs, reuseTimeMs, reuseCount, maxIdle } = this.limits;
    const worn = Date.now() - session.openedAt >= reuseTimeMs || (reuseCount > 0 && session.transactions >= reuseCount);
    if (this.closed || !session.connection.usable || worn || sessions.length >= maxIdle) {
      void session.quit();
      return;
    }
    const entry: Idle = {
      session,
      timer: setTimeout(() => {
        const i = sessions.indexOf(entry);
        if (i >= 0) sessions.splice(i, 1);
        if (sessions.length === 0 && this.idle.get(key) === sessions) this.idle.delete(key);
        void session.quit();
      }, idleMs),
    };
    // An idle session must not keep the process alive.
    entry.timer.unref();
    sessions.push(entry);
    this.idle.set(key, sessions);
  }

  /** Idle sessions waiting now, in all (for tests and diagnostics). */
  get size(): number {
    let count = 0;
    for (const sessions of this.idle.values()) count += sessions.length;
    return count;
  }

  /** QUITs every idle session; sessions kept afterwards are closed at once. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.idle.values()].flatMap((sessions) => sessions.splice(0));
    this.idle.clear();
    await Promise.all(
      all.map(({ session, timer }) => {
        clearTimeout(timer);
        return session.quit();
      }),
    );
  }
}
