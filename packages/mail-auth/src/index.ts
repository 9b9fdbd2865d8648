export type { InboundFacts, InboundVerdict, SealKey, Signed } from './types.js';
export { authenticateInbound, type AuthenticateOptions } from './inbound.js';
export { removeOwnAuthenticationResults } from './authentication-results.js';
export { signMessage, type SignOptions } from './sign.js';
export { sealKeyFor } from './keys.js';
