/** What went wrong in a store call, in terms a caller can act on. */
export type StoreErrorCode = 'conflict' | 'not_found' | 'invalid' | 'over_quota';

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
