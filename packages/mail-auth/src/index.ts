export type { InboundFacts, InboundVerdict, SealKey, SignatureFields, Signed } from './types.js';
export { authenticateInbound, type AuthenticateOptions } from './inbound.js';
export { removeOwnAuthenticationResults } from './authentication-results.js';
export { dkimSignatureFields, signMessage, type SignInput, type SignOptions } from './sign.js';
export { sealKeyFor } from './keys.js';
export { activateDkimKey, activateDueDkimKeys, isPendingDkimKey, type Activation } from './dkim-activation.js';
export type { DmarcReportEntry } from './dmarc-report-entry.js';
export { parseDmarcRecord } from './dmarc-record.js';
export { sameOrganizationalDomain } from './organizational-domain.js';
