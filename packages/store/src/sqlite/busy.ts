// Waiting for another process's write lock without blocking the event loop.
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { StoreBusyError } from '../errors.js';

/**
 * How long a store call waits for the lock. better-sqlite3 is synchronous: with
 * SQLite's own busy_timeout the whole process would sleep inside the call, so
 * the connection fails at once (busy_timeout 0) and the wait happens here, on
 * timers, between whole attempts.
 */
export interface BusyRetry {
  /** Total time a call may spend waiting before it gives up with StoreBusyError. */
  boundMs: number;
  /** The first backoff step; each further step doubles, up to maxDelayMs. */
  firstDelayMs: number;
  maxDelayMs: number;
  /** A number in [0, 1) for the jitter (tests pass a fixed one). */
  random: () => number;
}

/**
 * 5 s, as the busy_timeout it replaces: a delivery waits that long before it is
 * answered 451 and retried by the client; steps of 2 ms to 100 ms.
 */
export const DEFAULT_BUSY_RETRY: BusyRetry = { boundMs: 5000, firstDelayMs: 2, maxDelayMs: 100, random: Math.random };

/** SQLITE_BUSY and its extended codes (_RECOVERY, _SNAPSHOT, _TIMEOUT): another connection holds a lock. */
export function isBusy(err: unknown): boolean {
  return err instanceof Database.SqliteError && err.code.startsWith('SQLITE_BUSY');
}

/**
 * The backoff before attempt `attempt + 1`: "full jitter" over an exponential
 * ceiling, so processes that collided do not wake together and collide again.
 */
export function backoffDelay(retry: BusyRetry, attempt: number): number {
  const ceiling = Math.min(retry.maxDelayMs, retry.firstDelayMs * 2 ** Math.min(attempt, 30));
  return retry.firstDelayMs / 2 + retry.random() * (ceiling - retry.firstDelayMs / 2);
}

/**
 * Runs `attempt` (one whole transaction, or one statement) until it does not
 * fail with SQLITE_BUSY, sleeping on timers between tries; other errors pass
 * through at once. Every attempt either committed everything or nothing (a
 * busy BEGIN IMMEDIATE has done nothing yet), so trying again is safe. Past
 * `retry.boundMs` of waiting: StoreBusyError.
 */
export async function retryWhileBusy<T>(operation: string, attempt: () => T, retry: BusyRetry = DEFAULT_BUSY_RETRY): Promise<T> {
  const started = performance.now();
  for (let attempts = 1; ; attempts++) {
    try {
      return attempt();
    } catch (err) {
      if (!isBusy(err)) throw err;
      const waited = performance.now() - started;
      if (waited >= retry.boundMs) throw new StoreBusyError(operation, waited, attempts);
      // The last sleep is cut short so that the final attempt falls at the bound.
      await sleep(Math.min(backoffDelay(retry, attempts - 1), retry.boundMs - waited));
    }
  }
}
