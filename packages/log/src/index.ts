export { createLogger } from './logger.js';
export type { Logger, LoggerOptions } from './logger.js';
export { REDACTED, SECRET_KEYS, redactPaths } from './redact.js';
