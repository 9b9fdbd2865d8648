/** What went wrong in a store call, in terms a caller can act on. */
export type StoreErrorCode = 'conflict' | 'not_found' | 'invalid' | 'over_quota' | 'journal_pruned' | 'busy' | 'unsupported';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

/** A unique constraint refused the write (duplicate domain, user, mailbox path, …). */
export class StoreConflictError extends StoreError {
  constructor(message: string) {
    super('conflict', message);
    this.name = 'StoreConflictError';
  }
}

export class StoreNotFoundError extends StoreError {
  constructor(message: string) {
    super('not_found', message);
    this.name = 'StoreNotFoundError';
  }
}

/**
 * readJournal was asked for changes after a MODSEQ whose successors were
 * pruned (journal retention): the journal cannot answer exactly, so the caller
 * resynchronises from the mailbox's current state instead (RFC 7162 §3.1:
 * never an incomplete answer).
 */
export class JournalPrunedError extends StoreError {
  constructor(
    readonly mailboxId: string,
    readonly since: number,
    /** The oldest MODSEQ the journal still holds for the mailbox. */
    readonly oldestKept: number,
  ) {
    super('journal_pruned', `journal of mailbox ${mailboxId}: changes after modseq ${since} were pruned (oldest kept: ${oldestKept})`);
    this.name = 'JournalPrunedError';
  }
}

/**
 * The database stayed locked by another process (or connection) for longer
 * than the store waits: nothing was written, and the same call may succeed
 * later. A temporary failure: protocols answer it as one (SMTP/LMTP 451 4.3.0,
 * IMAP NO [UNAVAILABLE], POP3 -ERR [SYS/TEMP]) and the queue retries later.
 */
export class StoreBusyError extends StoreError {
  constructor(
    /** The store method that gave up. */
    readonly operation: string,
    /** How long it waited for the lock, in milliseconds. */
    readonly waitedMs: number,
    /** How many times it tried. */
    readonly attempts: number,
  ) {
    super('busy', `store busy: ${operation} could not take the database lock within ${Math.round(waitedMs)} ms (${attempts} attempts); try again later`);
    this.name = 'StoreBusyError';
  }
}

/** Whether a store call failed for a reason that passes: the caller answers "try again later", never "rejected". */
export function isTemporaryStoreError(err: unknown): err is StoreBusyError {
  return err instanceof StoreBusyError;
}
