import { checkScript } from './check.js';
import { SieveSyntaxError } from './lexer.js';
import { parseScript } from './parser.js';
import { CAPABILITIES } from './spec.js';
import type { CompileResult } from './types.js';

/** Every capability this implementation offers, for `require` and ManageSieve's "SIEVE" capability (RFC 5804 §1.7). */
export const SIEVE_CAPABILITIES: readonly string[] = CAPABILITIES;

/** Parses and checks a script (RFC 5228 §8 grammar, §2.6 argument checks, §3.2 require). Never throws. */
export function compileSieve(source: string): CompileResult {
  try {
    const { capabilities, commands } = checkScript(parseScript(source));
    return { ok: true, script: { kind: 'sieve-script', capabilities, commands } };
  } catch (error) {
    if (error instanceof SieveSyntaxError) return { ok: false, error: { ...error.pos, message: error.message } };
    if (error instanceof RangeError) return { ok: false, error: { line: 1, column: 1, message: `script too complex: ${error.message}` } };
    throw error;
  }
}
