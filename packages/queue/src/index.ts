// @postern/queue: the outbound queue (Postfix qmgr), its delivery agent (smtp/lmtp) and bounces (bounce).
export type { Deliver, DeliveryContext, DeliveryRecipient, DeliveryRequest, DeliveryStatus, RecipientOutcome } from './types.js';
export { deliver, lmtpRelay, nextHopKey, relayTlsWarning, SessionCache } from './delivery/index.js';
export { enqueueMessage, queueMeta, readQueuedMessage } from './enqueue.js';
export { contentOf, queuedContent, queueParts, QUEUE_PART_BYTES } from './message-content.js';
export type { MessageContent } from './message-content.js';
export type { OutboundMessage, OwedSuccess, QueueMeta, RecipientAttempt } from './enqueue.js';
export { QueueRunner, QUEUE_LIVE_KEYS } from './runner.js';
export type { QueueRunnerOptions } from './runner.js';
export { retryDelay, queueLifetime, isExpired, delayWarningDue, willRetryUntil } from './schedule.js';
export { buildBounce, headerOf, FULL_RETURN_LIMIT } from './bounce.js';
export type { ComposedDsn, DsnKind, DsnRecipient, DsnReport } from './bounce.js';
export { returnToSender, reportSuccess, dsnId, EXPIRED_STATUS, EXPIRED_TEXT } from './bounce-send.js';
export { wantsNotification } from './dsn.js';
export type { NotifyCondition } from './dsn.js';
export { sendTlsReportsForDay, sendDueTlsReports } from './tlsrpt/send.js';
export type { ReportRun } from './tlsrpt/send.js';
export { TlsReportScheduler } from './tlsrpt/scheduler.js';
export { utcDay } from './tlsrpt/recorder.js';
