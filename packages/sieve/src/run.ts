import type { SieveResult, SieveRunInput, SieveScript } from './types.js';

/** Runs a compiled script over one message. Skeleton: implicit keep. */
export function runSieve(_script: SieveScript, _input: SieveRunInput): SieveResult {
  return { actions: [{ type: 'keep', flags: [] }], error: null };
}
