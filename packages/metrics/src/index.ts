export { Counter, DEFAULT_BUCKETS, EXPOSITION_CONTENT_TYPE, Gauge, Histogram, Registry, type Labels } from './registry.js';
export { mergeExpositions } from './merge.js';
export { timedCalls } from './timed-calls.js';
export {
  authBans,
  authFailures,
  bounceReason,
  connections,
  countDelivery,
  messagesBounced,
  messagesDeferred,
  messagesDelivered,
  messagesReceived,
  messagesRejected,
  registry,
  sessionsOpen,
  storeOperationSeconds,
} from './postern.js';
