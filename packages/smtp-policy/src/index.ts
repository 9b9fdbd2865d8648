export type * from './types.js';
export { STAGES } from './types.js';
export { compilePolicy, restrictionsKey } from './compile.js';
export { PolicyEngine, stagesAt, type Policy, type PolicyCommand } from './engine.js';
export { RULES } from './registry.js';
export { isLocalDomain } from './local-domains.js';
export { isAuthorizedDestination } from './rules/unauth-destination.js';
export { checkSenderLogin, type SenderLoginCheck } from './rules/sender-login.js';
