import type { NewMessage } from '@postern/store';
import { headerLength } from '@postern/mime';
import { summarizeHeaders } from './headers.js';

/**
 * Cuts a message into what the store keeps: the header and the body as
 * separate blobs, so that one message delivered to many users (each copy
 * with its own Delivered-To) stores its body once.
 */
export function prepareMessage(raw: Buffer, options: { flags?: string[]; internalDate?: Date } = {}): NewMessage {
  const split = headerLength(raw);
  const header = raw.subarray(0, split);
  const body = raw.subarray(split);
  return {
    parts: body.length > 0 ? [header, body] : [header],
    headers: summarizeHeaders(header),
    flags: options.flags ?? [],
    internalDate: options.internalDate ?? new Date(),
  };
}
