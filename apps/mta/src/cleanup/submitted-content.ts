// header_checks and body_checks on mail that does not come through smtpd: `postern sendmail`
// writes to the queue itself, as Postfix's postdrop → pickup → cleanup, and Postfix's cleanup
// applies the same tables there.
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { PosternConfig } from '@postern/config';
import { ContentChecksFilter, type CheckEvent } from './checks-filter.js';
import { compileContentChecks } from './content-checks.js';

/** The message as the tables leave it, and what they ask for (all null/empty when nothing matched or none is configured). */
export interface SubmittedContent {
  message: Buffer;
  reject: { enhanced: string; text: string } | null;
  hold: string | null;
  discard: string | null;
  events: CheckEvent[];
}

/** Runs smtpd.header_checks and smtpd.body_checks over a whole message; a bad table is the ConfigError start would raise. */
export async function checkSubmittedContent(config: PosternConfig, message: Buffer): Promise<SubmittedContent> {
  const checks = compileContentChecks(config);
  if (checks === null) return { message, reject: null, hold: null, discard: null, events: [] };
  const filter = new ContentChecksFilter(checks);
  const checked = await buffer(Readable.from([message]).pipe(filter));
  return { message: checked, reject: filter.reject, hold: filter.hold, discard: filter.discard, events: filter.events };
}
