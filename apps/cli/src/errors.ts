import { AddressError } from '@postern/address';
import { ConfigError } from '@postern/config';
import { DirectoryError } from '@postern/directory';
import { StoreError } from '@postern/store';

/** A failure the person at the terminal can act on: printed as one line, exit 1. */
export class UsageFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageFailure';
  }
}

/** Errors whose message is already written for the person at the terminal. */
export function isExpectedError(err: unknown): err is Error {
  return (
    err instanceof UsageFailure ||
    err instanceof DirectoryError ||
    err instanceof ConfigError ||
    err instanceof AddressError ||
    err instanceof StoreError
  );
}

/** One line, whatever the error carried. */
export function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}
