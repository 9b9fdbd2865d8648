import { collectSideEffects, evaluateList, type ListSideEffects } from './evaluate-list.js';
import type { CompiledList } from './restriction-list.js';
import type { PolicyEnvironment, SessionFacts, Stage, Verdict } from './types.js';

/** The SMTP moments at which the MTA asks the policy. */
export type PolicyCommand = 'connect' | 'helo' | 'mail' | 'rcpt' | 'data' | 'end_of_data';

export interface Policy {
  evaluate(command: PolicyCommand, facts: SessionFacts, env: PolicyEnvironment): Promise<Verdict>;
}

/**
 * Which lists run at a command. With smtpd_delay_reject (the default) the
 * client, helo and sender lists wait for RCPT TO and run again for every
 * recipient, so that a rejection names a recipient and a client that was
 * refused can still be told why; the relay list always runs before the
 * recipient list.
 */
export function stagesAt(command: PolicyCommand, delayReject: boolean): readonly Stage[] {
  switch (command) {
    case 'connect':
      return delayReject ? [] : ['client'];
    case 'helo':
      return delayReject ? [] : ['helo'];
    case 'mail':
      return delayReject ? [] : ['sender'];
    case 'rcpt':
      return delayReject ? ['client', 'helo', 'sender', 'relay', 'recipient'] : ['relay', 'recipient'];
    case 'data':
      return ['data'];
    case 'end_of_data':
      return ['end_of_data'];
  }
}

/** Postfix skips the helo list before HELO and the sender list before MAIL FROM (there is nothing to check). */
function hasSubject(stage: Stage, facts: SessionFacts): boolean {
  if (stage === 'helo') return facts.helo !== null;
  if (stage === 'sender') return facts.sender !== null;
  return true;
}

/**
 * The compiled restriction stages. Each list runs in order and the first
 * permit or reject decides that list only: a permit ends the list and the
 * next stage's list still runs; the first reject ends the command.
 */
export class PolicyEngine implements Policy {
  constructor(
    private readonly lists: Readonly<Record<Stage, CompiledList>>,
    readonly delayReject: boolean,
  ) {}

  /** The compiled rules of one stage, for logs and `postern config check`. */
  ruleNames(stage: Stage): string[] {
    return this.lists[stage].map((entry) => (entry.warnIfReject ? `warn_if_reject ${entry.rule.name}` : entry.rule.name));
  }

  async evaluate(command: PolicyCommand, facts: SessionFacts, env: PolicyEnvironment): Promise<Verdict> {
    if (command === 'rcpt') {
      if (facts.recipient === null) throw new TypeError('policy: RCPT TO is evaluated without facts.recipient');
      // RFC 5321 §4.5.1: a bare "postmaster" must be accepted, whatever the restrictions.
      if (facts.recipient.toLowerCase() === 'postmaster') return { action: 'accept', warnings: [] };
    }
    const effects: ListSideEffects = { warnings: [], prepend: [] };
    let lastStage: Stage | null = null;
    for (const stage of stagesAt(command, this.delayReject)) {
      if (!hasSubject(stage, facts)) continue;
      lastStage = stage;
      const outcome = await evaluateList(this.lists[stage], { facts, env, stage });
      collectSideEffects(effects, outcome, '');
      if (outcome.action === 'reject') {
        const warnings = effects.warnings;
        // access(5) DEFER_IF_REJECT: an earlier rule asked that a reject of this command be only temporary.
        const deferral = outcome.code >= 500 ? effects.deferIfReject : undefined;
        if (deferral) return { action: 'reject', code: deferral.code, enhanced: deferral.enhanced, text: deferral.text, stage, rule: deferral.rule, warnings };
        return { action: 'reject', code: outcome.code, enhanced: outcome.enhanced, text: outcome.text, stage, rule: outcome.rule, warnings };
      }
    }
    // access(5) DEFER_IF_PERMIT: the command passed every list, so the deferral stands (postgrey's greylisting).
    const deferral = effects.deferIfPermit;
    if (deferral && lastStage) return { action: 'reject', code: deferral.code, enhanced: deferral.enhanced, text: deferral.text, stage: lastStage, rule: deferral.rule, warnings: effects.warnings };
    return effects.prepend.length > 0 ? { action: 'accept', warnings: effects.warnings, prepend: effects.prepend } : { action: 'accept', warnings: effects.warnings };
  }
}
