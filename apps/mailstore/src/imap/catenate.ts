// CATENATE (RFC 4469): an APPEND message built from literals and from IMAP URLs to mail the same user can read.
import { plainClientIp } from '@postern/config';
import { addressKey, type MessageRecord, type UserId } from '@postern/store';
import type { MailstoreContext } from '../context.js';
import { sectionBytes, sectionExists } from './body-section.js';
import { nodeText, nodeWord } from './command-args.js';
import { imapTools, type CommandNode, type ImapSession } from './imap-core.js';
import { parseMessageUrl, type MessageUrl } from './imap-url.js';

/** RFC 4469 §5: cat-part = text-literal / url. */
export type CatenatePart = { text: Buffer } | { url: string };

/** Parts in one APPEND command (all its CATENATE lists): each URL costs a store read, so a client cannot ask for an unbounded number. */
export const MAX_CATENATE_PARTS = 1000;

/**
 * RFC 4469 §5: `"CATENATE" SP "(" cat-part *(SP cat-part) ")"` with
 * `text-literal = "TEXT" SP literal` (a literal8 `~{n}` too, RFC 3516 §4.4,
 * as BINARY is advertised) and `url = "URL" SP astring`. A malformed list
 * throws (a BAD).
 */
export function parseCatenate(list: CommandNode[]): CatenatePart[] {
  if (list.length === 0) throw new Error('Empty CATENATE list');
  if (list.length > 2 * MAX_CATENATE_PARTS) throw new Error(`Too many CATENATE parts (at most ${MAX_CATENATE_PARTS})`);
  const parts: CatenatePart[] = [];
  for (let i = 0; i < list.length; i += 2) {
    const kind = list[i];
    const value = list[i + 1];
    const word = kind && !Array.isArray(kind) && kind.type === 'ATOM' ? nodeWord(kind) : null;
    if (word === 'TEXT') {
      if (!value || Array.isArray(value) || value.type !== 'LITERAL') throw new Error('CATENATE TEXT takes a literal');
      parts.push({ text: Buffer.isBuffer(value.value) ? value.value : Buffer.from(String(value.value ?? ''), 'binary') });
    } else if (word === 'URL') {
      const url = value && !Array.isArray(value) && value.type !== 'SEQUENCE' ? nodeText(value) : null;
      if (!url) throw new Error('CATENATE URL takes an IMAP URL (astring)');
      parts.push({ url });
    } else throw new Error('Unknown CATENATE part type (TEXT or URL)');
  }
  return parts;
}

/** An APPEND refusal that carries its response code: imap-core answers it as `NO [code] message`. */
export class AppendRefusal extends Error {
  readonly response = 'NO';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** RFC 4469 §5 (erratum 2002, 4046): url-resp-text is the bare URL, any TEXT-CHAR but "]"; others are percent-encoded. */
function badUrl(url: string): AppendRefusal {
  // The command's octets come as a binary string: one char per octet.
  const text = url.replace(/[^\x21-\x5c\x5e-\x7e]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  return new AppendRefusal(`BADURL ${text.slice(0, 1024)}`, 'CATENATE append failed: the URL names no message this user can read');
}

/** Reads the referenced messages of one command, keeping only the last one (consecutive parts of one message are the common case). */
class UrlReader {
  private last: { key: string; raw: Buffer } | null = null;

  constructor(
    private readonly ctx: MailstoreContext,
    private readonly session: ImapSession,
    private readonly userId: UserId,
  ) {}

  /** RFC 4469 §3 / RFC 5092: the same server, and a user that is the session's own (we have no URLAUTH, RFC 4467). */
  private async sameUser(url: MessageUrl): Promise<boolean> {
    if (url.urlauth) return false;
    if (url.host !== null) {
      const local = this.session.socket?.localAddress;
      if (url.host !== this.ctx.config.hostname.toLowerCase() && (local === undefined || url.host !== plainClientIp(local))) return false;
    }
    if (url.user === null) return true;
    const owner = await this.ctx.store.getUser(addressKey(url.user));
    return owner?.id === this.userId;
  }

  private async message(url: MessageUrl): Promise<MessageRecord | null> {
    if (!(await this.sameUser(url))) return null;
    const mailbox = await this.ctx.store.getMailbox(this.userId, imapTools.normalizeMailbox(url.mailbox, false));
    // RFC 5092 §6: a URL with a UIDVALIDITY names nothing once the mailbox's has changed.
    if (!mailbox || (url.uidValidity !== null && url.uidValidity !== mailbox.uidValidity)) return null;
    return this.ctx.store.getMessage(mailbox.id, url.uid);
  }

  /**
   * RFC 5092 §5: the data is what `UID FETCH uid BODY.PEEK[section]<partial>`
   * returns — the stored octets, never decoded (8-bit and binary parts are
   * copied as they are); no flag changes. Null for a URL that names nothing;
   * TOOBIG once the command's running total passes `budget`.
   */
  async read(text: string, budget: number): Promise<Buffer | null> {
    const url = parseMessageUrl(text);
    const message = url && (await this.message(url));
    if (!url || !message || message.userId !== this.userId) return null;
    // A whole message larger than what is left is refused before it is read.
    if (!url.section && !url.partial && message.size > budget) throw tooBig();
    const key = `${message.mailboxId}/${message.uid}`;
    let raw = this.last?.key === key ? this.last.raw : null;
    if (!raw) {
      this.last = null;
      raw = await this.ctx.store.readMessage(message);
      this.last = { key, raw };
    }
    if (url.section && !sectionExists(raw, url.section)) return null;
    const bytes = url.section ? sectionBytes(raw, url.section) : raw;
    if (!url.partial) return bytes;
    const start = Math.min(url.partial.start, bytes.length);
    return bytes.subarray(start, url.partial.length === null ? bytes.length : start + url.partial.length);
  }
}

function tooBig(): AppendRefusal {
  return new AppendRefusal('TOOBIG', 'CATENATE result exceeds the maximum message size');
}

/** One APPEND message: its literal, or the CATENATE parts that make it. */
export type AppendData = Buffer | CatenatePart[];

/**
 * RFC 4469 §3: each CATENATE message is the concatenation of its parts, in
 * order; a URL that names nothing is NO [BADURL url] and nothing is appended.
 * RFC 4469 §4.2: NO [TOOBIG] when the result passes the size limit — counted
 * over the whole command as imap-core counts MULTIAPPEND's literals, so at most
 * one limit's worth of data is ever assembled.
 */
export async function assembleMessages(ctx: MailstoreContext, session: ImapSession, userId: UserId, messages: readonly AppendData[]): Promise<Buffer[]> {
  if (messages.every((data) => Buffer.isBuffer(data))) return messages as Buffer[];
  const limit = ctx.config.smtpd.message_size_limit;
  /** Every refusal is one log line (append_badurl, append_toobig) before its NO. */
  const refuse = (refusal: AppendRefusal, url?: string): AppendRefusal => {
    const code = refusal.code.split(' ')[0]!;
    ctx.logger.info(
      { service: 'imap', session: session.id, user: session.user?.username, code, limit, ...(url === undefined ? {} : { url: url.slice(0, 1024) }), event: `append_${code.toLowerCase()}` },
      `imap append refused: ${refusal.message}`,
    );
    return refusal;
  };
  let used = messages.reduce((sum, data) => sum + (Buffer.isBuffer(data) ? data.length : data.reduce((n, part) => n + ('text' in part ? part.text.length : 0), 0)), 0);
  if (used > limit) throw refuse(tooBig());
  const reader = new UrlReader(ctx, session, userId);
  const assembled: Buffer[] = [];
  for (const data of messages) {
    if (Buffer.isBuffer(data)) {
      assembled.push(data);
      continue;
    }
    const chunks: Buffer[] = [];
    for (const part of data) {
      if ('text' in part) {
        chunks.push(part.text);
        continue;
      }
      const bytes = await reader.read(part.url, limit - used).catch((err: unknown) => {
        throw err instanceof AppendRefusal ? refuse(err, part.url) : err;
      });
      if (!bytes) throw refuse(badUrl(part.url), part.url);
      used += bytes.length;
      if (used > limit) throw refuse(tooBig(), part.url);
      chunks.push(bytes);
    }
    assembled.push(Buffer.concat(chunks));
  }
  return assembled;
}
