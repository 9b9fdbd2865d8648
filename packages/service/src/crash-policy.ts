// The process-level policy for an error no handler caught: log it with its session, close that session, keep serving.
import type { Logger } from '@postern/log';
import { currentSession, reportEscapedErrorsTo } from './session-scope.js';

/**
 * SPEC §4: no client input may end a process. Node's default for an uncaught
 * exception or an unhandled rejection is to exit, which would take every
 * protocol and every other client with it. Installed once per serving process;
 * returns the function that removes it.
 */
export function installCrashPolicy(logger: Logger): () => void {
  const contain = (kind: 'uncaughtException' | 'unhandledRejection', reason: unknown): void => {
    const err = reason instanceof Error ? reason : new Error(String(reason));
    const scope = currentSession();
    logger.error(
      { event: kind, err, ...(scope ? { service: scope.service, session: scope.session, client: scope.client } : {}) },
      scope ? `${scope.service} session ${scope.session} closed after an unexpected error: ${err.message}` : `unexpected error outside any session: ${err.message}`,
    );
    if (!scope) return;
    try {
      scope.close();
    } catch (closeError) {
      logger.error({ event: kind, err: closeError, service: scope.service, session: scope.session }, `could not close ${scope.service} session ${scope.session}`);
    }
  };
  const onException = (err: unknown): void => contain('uncaughtException', err);
  const onRejection = (reason: unknown): void => contain('unhandledRejection', reason);
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  reportEscapedErrorsTo(onException);
  return () => {
    reportEscapedErrorsTo(null);
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
