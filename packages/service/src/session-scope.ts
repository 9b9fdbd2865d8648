// Which client session the running code works for, carried across callbacks and promises (AsyncLocalStorage).
import { AsyncLocalStorage } from 'node:async_hooks';

/** The session a piece of work belongs to: enough to name it in a log line and to end it. */
export interface SessionScope {
  /** The listener's service name: smtp, submission, lmtp, imap, pop3, … */
  service: string;
  /** The session id the service's own log lines carry. */
  session: string;
  client?: string;
  /** Ends the session's connection (the process-level policy calls it after an unexpected error). */
  close(): void;
}

const scopes = new AsyncLocalStorage<SessionScope>();

/** Where a synchronous throw out of a session's work goes (the process-level policy); unset, it propagates. */
let reportEscaped: ((error: unknown) => void) | null = null;

export function reportEscapedErrorsTo(handler: ((error: unknown) => void) | null): void {
  reportEscaped = handler;
}

/**
 * Runs `work` as part of the session: every callback, timer and promise it
 * starts keeps the scope, so an error escaping any of them can still be
 * traced to the session (and only that session closed). A synchronous throw
 * would leave the scope before the process saw it, so it is handed to the
 * process-level policy here, still inside the scope.
 */
export function inSession<T>(scope: SessionScope, work: () => T): T | undefined {
  try {
    return scopes.run(scope, work);
  } catch (error) {
    const report = reportEscaped;
    if (!report) throw error;
    scopes.run(scope, () => report(error));
    return undefined;
  }
}

/** The session the current code runs for, if any. */
export function currentSession(): SessionScope | undefined {
  return scopes.getStore();
}
