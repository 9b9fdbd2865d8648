export { deliverMessage, type DeliveryRecipient, type InboundMessage, type RecipientOutcome, type StoredCopy } from './deliver.js';
export { inboxOf } from './inbox.js';
export { isFlaggedSpam, junkOf } from './junk.js';
export { exceedsQuota, wouldExceedQuota } from './quota.js';
export { withTraceHeaders, type TraceFields } from './trace-headers.js';
export { deliveredToAddresses } from './trace-headers.js';
