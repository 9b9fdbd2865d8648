export { Counter, EXPOSITION_CONTENT_TYPE, Gauge, Registry, type Labels } from './registry.js';
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
} from './postern.js';
