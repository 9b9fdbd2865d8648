import { interpret } from './interpreter.js';
import type { SieveResult, SieveRunInput, SieveScript } from './types.js';

/**
 * Runs a compiled script over one message and its envelope. Never throws: a runtime error or an
 * exceeded budget gives `error` and the implicit keep alone (RFC 5228 §2.10.6).
 */
export function runSieve(script: SieveScript, input: SieveRunInput): SieveResult {
  return interpret(script, input);
}
