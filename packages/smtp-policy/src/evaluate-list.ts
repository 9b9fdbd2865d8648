import type { CompiledList } from './restriction-list.js';
import { stageSubject } from './reply.js';
import type { Deferral, RuleContext, RuleResult } from './types.js';

/** What a list's rules asked for besides their decision: PREPEND fields and the DEFER_IF_* deferrals (access(5)). */
export interface ListSideEffects {
  warnings: string[];
  prepend: string[];
  deferIfPermit?: Deferral;
  deferIfReject?: Deferral;
}

/** What one restriction list decided: Postfix's OK, REJECT or DUNNO (end of list). */
export type ListOutcome = ListSideEffects &
  ({ action: 'permit' } | { action: 'dunno' } | { action: 'reject'; code: number; enhanced: string; text: string; rule: string });

/** Postfix keeps the first DEFER_IF_PERMIT and the first DEFER_IF_REJECT of a command (smtpd_check.c defer_if). */
export function collectSideEffects(
  into: ListSideEffects,
  from: Pick<RuleResult, 'warnings' | 'prepend'> & { deferIfPermit?: Omit<Deferral, 'rule'> & { rule?: string }; deferIfReject?: Omit<Deferral, 'rule'> & { rule?: string } },
  rule: string,
): void {
  if (from.warnings) into.warnings.push(...from.warnings);
  if (from.prepend) into.prepend.push(...from.prepend);
  if (from.deferIfPermit && !into.deferIfPermit) into.deferIfPermit = { rule, ...from.deferIfPermit };
  if (from.deferIfReject && !into.deferIfReject) into.deferIfReject = { rule, ...from.deferIfReject };
}

/**
 * Runs a list in order until a rule permits or rejects (Postfix's
 * generic_checks). A reject after warn_if_reject becomes a "reject_warning"
 * and evaluation goes on; a rule that fails (store or table error) is a
 * temporary reject that warn_if_reject cannot soften, as in Postfix.
 */
export async function evaluateList(list: CompiledList, ctx: RuleContext): Promise<ListOutcome> {
  const effects: ListSideEffects = { warnings: [], prepend: [] };
  for (const entry of list) {
    let result;
    try {
      result = await entry.rule.evaluate(ctx);
    } catch (error) {
      effects.warnings.push(`${ctx.stage} ${entry.rule.name} (${entry.source}) failed: ${(error as Error).message}`);
      const subject = stageSubject(ctx.stage, ctx.facts);
      return { action: 'reject', code: 451, enhanced: '4.3.0', text: `<${subject.name}>: Temporary lookup failure`, rule: entry.rule.name, ...effects };
    }
    collectSideEffects(effects, result, entry.rule.name);
    if (result.action === 'permit') return { action: 'permit', ...effects };
    if (result.action === 'reject') {
      if (entry.warnIfReject) {
        effects.warnings.push(`reject_warning: ${ctx.stage} ${entry.rule.name}: ${result.code} ${result.enhanced} ${result.text}`);
        continue;
      }
      return { action: 'reject', code: result.code, enhanced: result.enhanced, text: result.text, rule: entry.rule.name, ...effects };
    }
  }
  return { action: 'dunno', ...effects };
}
