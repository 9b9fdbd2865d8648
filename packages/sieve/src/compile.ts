import type { CompileResult } from './types.js';

/** Every capability this implementation offers, for `require` and ManageSieve's "SIEVE" capability (RFC 5804 §1.7). */
export const SIEVE_CAPABILITIES: readonly string[] = ['fileinto'];

/** Parses and checks a script (RFC 5228 grammar + checks). Skeleton: accepts only an empty script or `keep;`. */
export function compileSieve(source: string): CompileResult {
  const text = source.replace(/#.*$/gm, '').trim();
  if (text === '' || text === 'keep;') {
    return { ok: true, script: { kind: 'sieve-script', capabilities: [], ast: { commands: [] } } };
  }
  return { ok: false, error: { line: 1, column: 1, message: 'not implemented yet' } };
}
