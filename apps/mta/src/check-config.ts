import type { PosternConfig } from '@postern/config';
import { compilePolicy } from '@postern/smtp-policy';
import { compileContentChecks } from './cleanup/content-checks.js';
import { lmtpDestination } from './virtual-transport.js';

/**
 * What `startMta` refuses before it listens, without listening: the
 * restriction lists (unknown rules, bad arguments, unreadable tables, an open
 * relay), the header_checks and body_checks files (a bad line by file:line)
 * and the local-delivery destination. Throws ConfigError naming the key;
 * `postern config check` runs it so that a file it passes also starts.
 */
export function checkMtaConfig(config: PosternConfig): void {
  compilePolicy(config);
  compileContentChecks(config);
  lmtpDestination(config);
}
