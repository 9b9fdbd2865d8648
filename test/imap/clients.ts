// Python's imaplib as a real IMAP client of the end-to-end tests (imapflow is imported where it is used).
import { python } from '../support/python.js';

const HELPERS = `
import imaplib

def text(data):
    return [item.decode(errors='replace') if isinstance(item, bytes) else [part.decode(errors='replace') if isinstance(part, bytes) else part for part in item] if isinstance(item, tuple) else item for item in data]
`;

/** Runs a Python imaplib script (with `args`, `tls`, `out` and `text()`) and returns the `out` dict it fills. */
export function imaplib<T = Record<string, unknown>>(script: string, args: Record<string, unknown>): Promise<T> {
  return python<T>(script, args, HELPERS);
}
