// Python's poplib as a real POP3 client of the end-to-end tests.
import { python } from '../support/python.js';

const HELPERS = `
import poplib

def error_of(call):
    """The -ERR line a poplib call raised, or None when it succeeded."""
    try:
        call()
        return None
    except poplib.error_proto as e:
        first = e.args[0]
        return first.decode() if isinstance(first, bytes) else str(first)

def text(lines):
    return [line.decode() for line in lines]

def stls_session():
    pop = poplib.POP3('127.0.0.1', args['port'], timeout=10)
    pop.stls(context=tls)
    return pop
`;

/** Runs a Python poplib script (with `args`, `tls`, `out` and the helpers above) and returns the `out` dict it fills. */
export function poplib<T = Record<string, unknown>>(script: string, args: Record<string, unknown>): Promise<T> {
  return python<T>(script, args, HELPERS);
}
