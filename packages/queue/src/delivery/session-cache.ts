import type { SmtpSession } from '../smtp-client/index.js';

// Postfix smtp_connection_cache_time_limit: an idle session waits this long for the next message.
const IDLE_MS = 2_000;
// A handful of idle sessions per destination; more are closed (QUIT) at once.
const MAX_IDLE = 10;

interface Idle {
  session: SmtpSession;
  timer: NodeJS.Timeout;
}

/**
 * Postfix's connection cache (scache): sessions that finished a transaction
 * cleanly wait a moment, keyed by destination, for the next delivery there,
 * which skips the connect, greeting and LHLO/EHLO.
 */
export class SessionCache {
  private readonly idle = new Map<string, Idle[]>();
  private closed = false;

  /** A cached session to `key`, the most recently used first; null when none. */
  take(key: string): SmtpSession | null {
    const sessions = this.idle.get(key);
    while (sessions !== undefined && sessions.length > 0) {
      const { session, timer } = sessions.pop()!;
      clearTimeout(timer);
      if (session.connection.usable) return session;
      session.abort();
    }
    return null;
  }

  /** Keeps a session that ended its transaction cleanly; QUITs it when the cache is full or closed. */
  keep(key: string, session: SmtpSession): void {
    const sessions = this.idle.get(key) ?? [];
    if (this.closed || !session.connection.usable || sessions.length >= MAX_IDLE) {
      void session.quit();
      return;
    }
    const entry: Idle = {
      session,
      timer: setTimeout(() => {
        const i = sessions.indexOf(entry);
        if (i >= 0) sessions.splice(i, 1);
        void session.quit();
      }, IDLE_MS),
    };
    // An idle session must not keep the process alive.
    entry.timer.unref();
    sessions.push(entry);
    this.idle.set(key, sessions);
  }

  /** QUITs every idle session; sessions kept afterwards are closed at once. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.idle.values()].flatMap((sessions) => sessions.splice(0));
    await Promise.all(
      all.map(({ session, timer }) => {
        clearTimeout(timer);
        return session.quit();
      }),
    );
  }
}
