// The postmaster's global scripts (sieve.before / sieve.after, Pigeonhole's sieve_before and
// sieve_after), compiled once per file version; unset `before` is the shipped spam rule.
import { stat, readFile } from 'node:fs/promises';
import type { Logger } from '@postern/log';
import { compileSieve, SPAM_TO_JUNK_SCRIPT, type SieveScript } from '@postern/sieve';

interface Compiled {
  mtimeMs: number;
  size: number;
  script: SieveScript | null;
}

const SHIPPED = compileSieve(SPAM_TO_JUNK_SCRIPT);

export class GlobalScripts {
  private readonly cache = new Map<string, Compiled>();

  constructor(private readonly log: Logger) {}

  /** The shipped spam → Junk rule (RFC 5228 script in @postern/sieve). */
  static shippedBefore(): SieveScript {
    if (!SHIPPED.ok) throw new Error(`the shipped sieve_before script does not compile: ${SHIPPED.error.message}`);
    return SHIPPED.script;
  }

  /**
   * The compiled script at `path`, read again when the file changes. A file that cannot be read
   * or does not compile is logged and skipped (delivery goes on without it, never stops).
   */
  async load(path: string | undefined, which: 'before' | 'after'): Promise<SieveScript | null> {
    if (path === undefined) return which === 'before' ? GlobalScripts.shippedBefore() : null;
    try {
      const info = await stat(path);
      const cached = this.cache.get(path);
      if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached.script;
      const result = compileSieve(await readFile(path, 'utf8'));
      if (!result.ok) {
        this.log.error({ event: 'sieve_global_error', script: path, line: result.error.line, column: result.error.column }, `sieve.${which} ${path}: line ${result.error.line} column ${result.error.column}: ${result.error.message}; not run`);
      }
      const script = result.ok ? result.script : null;
      this.cache.set(path, { mtimeMs: info.mtimeMs, size: info.size, script });
      return script;
    } catch (error) {
      this.log.error({ event: 'sieve_global_error', script: path, err: error }, `sieve.${which} ${path} cannot be read: ${(error as Error).message}; not run`);
      return null;
    }
  }
}
