export { deliverMessage, type DeliveryRecipient, type InboundMessage, type RecipientOutcome, type StoredCopy } from './deliver.js';
export { inboxOf } from './inbox.js';
export { junkOf } from './junk.js';
export { exceedsQuota, wouldExceedQuota } from './quota.js';
export { sieveServices, type SieveServices } from './sieve/index.js';
export { withTraceHeaders, type TraceFields } from './trace-headers.js';
export { deliveredToAddresses } from './trace-headers.js';
