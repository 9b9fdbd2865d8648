// Runs the Sieve chain of one delivery: sieve.before, the user's active script, sieve.after
// (Pigeonhole's order), and merges what they decided. A script that fails ends in keep.
import type { PosternConfig } from '@postern/config';
import type { Logger } from '@postern/log';
import { compileSieve, runSieve, type SieveEnvelope, type SieveResult, type SieveScript } from '@postern/sieve';
import type { Store, User } from '@postern/store';
import { GlobalScripts } from './global-scripts.js';
import { mailboxesFor } from './mailbox.js';
import { mergeResults, type DeliveryPlan } from './plan.js';

/** Compiled user scripts by content: a script is compiled once per version, not per message. */
const COMPILED_CACHE_SIZE = 256;

export class SieveFilter {
  private readonly globals: GlobalScripts;
  private readonly compiled = new Map<string, ReturnType<typeof compileSieve>>();

  constructor(
    private readonly store: Store,
    private readonly config: () => PosternConfig,
    private readonly log: Logger,
  ) {
    this.globals = new GlobalScripts(log);
  }

  /** What to do with `message` (as it will be stored, trace fields on top) for `user`. */
  async plan(user: User, message: Buffer, envelope: SieveEnvelope): Promise<DeliveryPlan> {
    const settings = this.config().sieve;
    const chain: { name: string; script: SieveScript }[] = [];
    const before = await this.globals.load(settings.before, 'before');
    if (before) chain.push({ name: 'sieve_before', script: before });
    const own = await this.userScript(user);
    if (own) chain.push(own);
    const after = await this.globals.load(settings.after, 'after');
    if (after) chain.push({ name: 'sieve_after', script: after });
    const mailboxExists = await mailboxesFor(this.store, user);
    const now = new Date();
    const results: { name: string; result: SieveResult }[] = chain.map(({ name, script }) => ({
      name,
      result: runSieve(script, {
        message,
        envelope,
        now,
        mailboxExists,
        userAddresses: [user.address],
      }),
    }));
    const plan = mergeResults(results);
    for (const error of plan.errors) {
      this.log.warn({ event: 'sieve_error', user: user.address, error }, `sieve for ${user.address}: ${error}; the message is kept`);
    }
    return plan;
  }

  /** The user's active script, compiled; one that does not compile (stored before an upgrade) is logged and skipped. */
  private async userScript(user: User): Promise<{ name: string; script: SieveScript } | null> {
    const active = await this.store.getActiveSieveScript(user.id);
    if (!active) return null;
    let result = this.compiled.get(active.content);
    if (!result) {
      result = compileSieve(active.content);
      if (this.compiled.size >= COMPILED_CACHE_SIZE) this.compiled.delete(this.compiled.keys().next().value as string);
      this.compiled.set(active.content, result);
    }
    if (!result.ok) {
      this.log.warn(
        { event: 'sieve_error', user: user.address, script: active.name, line: result.error.line, column: result.error.column },
        `sieve script ${active.name} of ${user.address} does not compile (line ${result.error.line} column ${result.error.column}: ${result.error.message}); the message is kept`,
      );
      return null;
    }
    return { name: `script ${active.name}`, script: result.script };
  }
}
