import type { CompiledList } from './restriction-list.js';
import { stageSubject } from './reply.js';
import type { RuleContext } from './types.js';

/** What one restriction list decided: Postfix's OK, REJECT or DUNNO (end of list). */
export type ListOutcome =
  | { action: 'permit'; warnings: string[] }
  | { action: 'dunno'; warnings: string[] }
  | { action: 'reject'; code: number; enhanced: string; text: string; rule: string; warnings: string[] };

/**
 * Runs a list in order until a rule permits or rejects (Postfix's
 * generic_checks). A reject after warn_if_reject becomes a "reject_warning"
 * and evaluation goes on; a rule that fails (store or table error) is a
 * temporary reject that warn_if_reject cannot soften, as in Postfix.
 */
export async function evaluateList(list: CompiledList, ctx: RuleContext): Promise<ListOutcome> {
  const warnings: string[] = [];
  for (const entry of list) {
    let result;
    try {
      result = await entry.rule.evaluate(ctx);
    } catch (error) {
      warnings.push(`${ctx.stage} ${entry.rule.name} (${entry.source}) failed: ${(error as Error).message}`);
      const subject = stageSubject(ctx.stage, ctx.facts);
      return { action: 'reject', code: 451, enhanced: '4.3.0', text: `<${subject.name}>: Temporary lookup failure`, rule: entry.rule.name, warnings };
    }
    if (result.warnings) warnings.push(...result.warnings);
    if (result.action === 'permit') return { action: 'permit', warnings };
    if (result.action === 'reject') {
      if (entry.warnIfReject) {
        warnings.push(`reject_warning: ${ctx.stage} ${entry.rule.name}: ${result.code} ${result.enhanced} ${result.text}`);
        continue;
      }
      return { action: 'reject', code: result.code, enhanced: result.enhanced, text: result.text, rule: entry.rule.name, warnings };
    }
  }
  return { action: 'dunno', warnings };
}
