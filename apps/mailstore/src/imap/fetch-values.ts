// The value of each FETCH data item for one message (RFC 3501 §6.4.5, §7.4.2).
import { domainToASCII } from 'node:url';
import libmime from 'libmime';
import type { MessageRecord, Store } from '@postern/store';
import { binaryBytes } from './binary-section.js';
import { sectionBytes } from './body-section.js';
import type { FetchQueryItem } from './imap-core.js';
import { messageStructure, type MessageStructure } from './structure.js';

/** A message's bytes and structure, each read or parsed at most once per FETCH. */
export class FetchedMessage {
  private structure: MessageStructure | null = null;
  /** Meta to store for this message when its structure had to be parsed (no cache yet). */
  newMeta: Record<string, unknown> | null = null;

  constructor(
    private readonly store: Store,
    readonly record: MessageRecord,
    /** The bytes when they were read already (a pipelined FETCH read ahead). */
    private rawBytes: Buffer | null = null,
  ) {}

  async raw(): Promise<Buffer> {
    this.rawBytes ??= await this.store.readMessage(this.record);
    return this.rawBytes;
  }

  async parsed(): Promise<MessageStructure> {
    if (!this.structure) {
      const { structure, newMeta } = await messageStructure(this.store, this.record, this.rawBytes ?? undefined);
      this.structure = structure;
      this.newMeta = newMeta;
    }
    return this.structure;
  }
}

const ASCII = /^[\x00-\x7f]*$/;

/**
 * Text inside ENVELOPE/BODYSTRUCTURE as the client may receive it: raw UTF-8
 * after ENABLE UTF8=ACCEPT (RFC 6855 §3), otherwise RFC 2047 encoded words.
 */
function clientText(value: unknown, utf8: boolean): unknown {
  if (!Buffer.isBuffer(value) && typeof value !== 'string') return value;
  const text = Buffer.isBuffer(value) ? value.toString('utf8') : value;
  if (ASCII.test(text)) return text;
  return utf8 ? Buffer.from(text, 'utf8') : libmime.encodeWords(text, 'Q', 0);
}

function clientTree(value: unknown, utf8: boolean): unknown {
  return Array.isArray(value) ? value.map((child) => clientTree(child, utf8)) : clientText(value, utf8);
}

/** RFC 3501 §7.4.2 ENVELOPE; an address host is IDNA A-label unless UTF-8 is accepted. */
function clientEnvelope(envelope: unknown[], utf8: boolean): unknown[] {
  return envelope.map((field, index) => {
    if (index < 2 || index > 7 || !Array.isArray(field)) return clientText(field, utf8);
    return field.map((address: unknown) => {
      if (!Array.isArray(address)) return address;
      const [name, adl, mailbox, host] = address as unknown[];
      let hostValue = clientText(host, true);
      if (!utf8 && Buffer.isBuffer(hostValue)) hostValue = domainToASCII(hostValue.toString('utf8')) || hostValue.toString('utf8');
      return [clientText(name, utf8), adl ?? null, clientText(mailbox, utf8), hostValue];
    });
  });
}

function partial(bytes: Buffer, item: FetchQueryItem): Buffer {
  if (!item.partial) return bytes;
  const { startFrom, maxLength } = item.partial;
  return bytes.subarray(startFrom, maxLength ? startFrom + maxLength : undefined);
}

/** Values in query order, in the form imap-core's formatResponse takes them. */
export async function fetchValues(message: FetchedMessage, query: readonly FetchQueryItem[], utf8: boolean): Promise<unknown[]> {
  const record = message.record;
  const values: unknown[] = [];
  for (const item of query) {
    switch (item.item) {
      case 'uid':
        values.push(record.uid);
        break;
      case 'modseq':
        values.push(record.modseq);
        break;
      case 'flags':
        // fetch.ts has set \Recent in the flags when the message is recent for this session (RFC 3501 §2.3.2).
        values.push(record.flags);
        break;
      case 'internaldate':
        values.push(record.internalDate);
        break;
      case 'rfc822.size':
        values.push(record.size);
        break;
      case 'envelope':
        values.push(clientEnvelope((await message.parsed()).envelope, utf8));
        break;
      case 'bodystructure':
        values.push(clientTree((await message.parsed()).bodystructure, utf8));
        break;
      case 'body':
        if (item.type === undefined) values.push(clientTree((await message.parsed()).body, utf8));
        else values.push(partial(sectionBytes(await message.raw(), item), item));
        break;
      case 'binary': {
        // RFC 3516 §4.2: decoded content; literal8 when it holds a NUL, which a literal may not carry.
        const bytes = partial(binaryBytes(await message.raw(), item.path ?? ''), item);
        item.literal8 = bytes.includes(0);
        values.push(bytes);
        break;
      }
      case 'binary.size':
        // RFC 3516 §4.2: the size of the decoded section, a number, not a literal.
        item.isLiteral = false;
        values.push(binaryBytes(await message.raw(), item.path ?? '').length);
        break;
      case 'rfc822':
        values.push(await message.raw());
        break;
      case 'rfc822.header':
        values.push(sectionBytes(await message.raw(), { type: 'header' }));
        break;
      case 'rfc822.text':
        values.push(sectionBytes(await message.raw(), { type: 'text' }));
        break;
      default:
        // imap-core's schema admits nothing else; an empty value keeps the response well-formed.
        values.push('');
    }
  }
  return values;
}
