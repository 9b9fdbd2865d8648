import type { PosternConfig } from '@postern/config';
import { parseAccessAction, type AccessAction } from '../access/action.js';
import { parsePolicyEndpoint } from '../policy-service/endpoint.js';
import { policyRequest } from '../policy-service/attributes.js';
import { PolicyClient } from '../policy-service/client.js';
import { stageSubject } from '../reply.js';
import type { RuleContext, RuleDefinition, RuleResult } from '../types.js';
import { applyAction, type NestedCompiler } from './access.js';

let requests = 0;

/** Postfix's "instance": the same for every request about one message, different for the next (policy servers count per message with it). */
function instance(ctx: RuleContext): string {
  const session = ctx.facts.session;
  return session ? `${session.id}.${session.queueId ?? '0'}` : `${process.pid}.${++requests}`;
}

/**
 * check_policy_service inet:host:port | unix:/path — Postfix's policy
 * delegation (SMTPD_POLICY_README): the session's attributes go to the
 * service, whose `action=` is an access(5) action for this command. When the
 * service cannot be asked (down, too slow, a reply without an action or with
 * an action Postern does not know), smtpd.policy_service_default_action
 * applies and a warning is logged, as Postfix does.
 */
export function checkPolicyService(compileNested: NestedCompiler): RuleDefinition {
  return {
    name: 'check_policy_service',
    arity: 1,
    usage: 'check_policy_service inet:host:port|unix:/path',
    create(args, config: PosternConfig) {
      const client = new PolicyClient(parsePolicyEndpoint(args[0] ?? ''), {
        timeoutMs: config.smtpd.policy_service_timeout,
        maxIdleMs: config.smtpd.policy_service_max_idle,
        maxTtlMs: config.smtpd.policy_service_max_ttl,
      });
      const parse = (value: string): AccessAction => parseAccessAction(value, (items) => compileNested(items.map((text) => ({ text, source: `${client.name} reply` })), config));
      const defaultAction = parse(config.smtpd.policy_service_default_action);
      return {
        name: 'check_policy_service',
        async evaluate(ctx): Promise<RuleResult> {
          const lookup = { subject: stageSubject(ctx.stage, ctx.facts), keys: [] };
          let action: AccessAction;
          try {
            action = parse(await client.query(policyRequest(ctx.stage, ctx.facts, instance(ctx))));
          } catch (error) {
            const result = await applyAction(defaultAction, lookup, ctx, 'check_policy_service', config);
            const warning = `${ctx.stage} check_policy_service: problem talking to ${client.name}: ${(error as Error).message}; default action ${config.smtpd.policy_service_default_action}`;
            return { ...result, warnings: [...(result.warnings ?? []), warning] };
          }
          return applyAction(action, lookup, ctx, 'check_policy_service', config);
        },
      };
    },
  };
}
