import type { PosternConfig } from '@postern/config';
import type { RuleContext, RuleDefinition, RuleResult } from '../types.js';

type Decide = (ctx: RuleContext) => Promise<RuleResult> | RuleResult;

/** A rule without arguments; `build` runs once at compile time (codes from config, matchers). */
export function defineRule(name: string, build: (config: PosternConfig) => Decide): RuleDefinition {
  return {
    name,
    arity: 0,
    create(_args, config) {
      const decide = build(config);
      return { name, evaluate: async (ctx) => decide(ctx) };
    },
  };
}

/** A rule with one argument, checked by `build` (which throws a one-line reason when it is wrong). */
export function defineRuleWithArgument(name: string, usage: string, build: (argument: string, config: PosternConfig) => Decide): RuleDefinition {
  return {
    name,
    arity: 1,
    usage,
    create(args, config) {
      const decide = build(args[0] ?? '', config);
      return { name, evaluate: async (ctx) => decide(ctx) };
    },
  };
}
