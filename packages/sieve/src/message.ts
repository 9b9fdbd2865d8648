// The message as Sieve tests see it: header fields (RFC 5228 §2.7.2: unfolded, RFC 2047-decoded for
// comparison) and the body's text parts for the body test (RFC 5173 §5), editable by editheader (RFC 5293).
import { headerEnd, mimeEntity, multipartParts, parseContentType, parseHeaderFields } from '@postern/mime';
import { createRequire } from 'node:module';
import type { Budget } from './budget.js';

// libmime ships no types; the one function used here, typed where it is loaded.
const libmime = createRequire(import.meta.url)('libmime') as { decodeWords(value: string): string };

export interface HeaderField {
  /** Lower-case field name. */
  name: string;
  /** The unfolded value, leading and trailing whitespace removed, not decoded. */
  raw: string;
}

/** Most MIME parts and nesting the body test walks; deeper or further parts are not searched. */
const MAX_PARTS = 500;
const MAX_DEPTH = 32;

export class SieveMessage {
  private fieldList: HeaderField[];
  /** Fields by lower-case name, built on first lookup and dropped when editheader changes the fields. */
  private byName: Map<string, HeaderField[]> | null = null;
  private readonly bodyStart: number;

  constructor(readonly raw: Buffer) {
    this.bodyStart = headerEnd(raw, 0, raw.length);
    this.fieldList = parseHeaderFields(raw.subarray(0, this.bodyStart)).map(([name, raw]) => ({ name, raw }));
  }

  get fields(): readonly HeaderField[] {
    return this.fieldList;
  }

  /** Every field with this name, in order. */
  named(name: string): HeaderField[] {
    if (!this.byName) {
      this.byName = new Map();
      for (const field of this.fieldList) {
        const list = this.byName.get(field.name);
        if (list) list.push(field);
        else this.byName.set(field.name, [field]);
      }
    }
    return this.byName.get(name.toLowerCase()) ?? [];
  }

  /** Decoded values of every field with this name, in order (RFC 5228 §2.7.2, §5.7). */
  values(name: string): string[] {
    return this.named(name).map((f) => decodeHeader(f.raw));
  }

  /** Raw values of every field with this name, in order (for address parsing). */
  rawValues(name: string): string[] {
    return this.named(name).map((f) => f.raw);
  }

  /** RFC 5293 §4 addheader: at the top, or at the end with :last. */
  add(field: HeaderField, last: boolean): void {
    if (last) this.fieldList.push(field);
    else this.fieldList.unshift(field);
    this.byName = null;
  }

  /** RFC 5293 §5 deleteheader: removes these fields. */
  remove(fields: ReadonlySet<HeaderField>): void {
    this.fieldList = this.fieldList.filter((f) => !fields.has(f));
    this.byName = null;
  }

  /** RFC 5173 §5.1 :raw — the body undecoded, without MIME processing. */
  rawBody(): string {
    return this.raw.subarray(this.bodyStart).toString('utf8');
  }

  /**
   * RFC 5173 §5.2 :content — the decoded text of each leaf part whose type matches one of
   * `types` ("" any, "text" a main type, "text/html" exact); §5.3 :text is :content "text".
   */
  content(types: string[], budget: Budget): string[] {
    const wanted = (type: string): boolean =>
      types.some((t) => {
        const want = t.toLowerCase();
        return want === '' || want === type || (!want.includes('/') && type.startsWith(`${want}/`));
      });
    const out: string[] = [];
    let parts = 0;
    const walk = (start: number, end: number, depth: number, defaultType: string): void => {
      if (++parts > MAX_PARTS || depth > MAX_DEPTH) return;
      const entity = mimeEntity(this.raw, start, end);
      const declared = parseHeaderFields(this.raw.subarray(start, entity.bodyStart)).some(([n]) => n === 'content-type');
      const type = declared ? entity.contentType : defaultType;
      budget.spendBytes(entity.bodyStart - start);
      if (type.startsWith('multipart/')) {
        // RFC 2046 §5.1.5: inside multipart/digest a part without Content-Type is message/rfc822.
        const inner = type === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
        for (const part of multipartParts(this.raw, entity)) walk(part.start, part.end, depth + 1, inner);
        return;
      }
      if (type === 'message/rfc822' && !wanted(type)) {
        walk(entity.bodyStart, end, depth + 1, 'text/plain');
        return;
      }
      if (!wanted(type)) return;
      budget.spendBytes(end - entity.bodyStart);
      const charset = parseContentType(fieldValue(this.raw.subarray(start, entity.bodyStart), 'content-type')).charset;
      out.push(decodeCharset(decodeTransfer(this.raw.subarray(entity.bodyStart, end), entity.transferEncoding), charset));
    };
    walk(0, this.raw.length, 0, 'text/plain');
    return out;
  }
}

function fieldValue(header: Buffer, name: string): string {
  return parseHeaderFields(header).find(([n]) => n === name)?.[1] ?? '';
}

/** RFC 2047 encoded-words decoded; a value that cannot be decoded is compared as written. */
export function decodeHeader(value: string): string {
  if (!value.includes('=?')) return value;
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}

/** RFC 2045 §6.7, §6.8: quoted-printable and base64 bodies decoded to octets. */
function decodeTransfer(body: Buffer, encoding: string): Buffer {
  if (encoding === 'base64') return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (encoding === 'quoted-printable') {
    const text = body.toString('latin1').replace(/=\r?\n/g, '');
    return Buffer.from(text.replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1');
  }
  return body;
}

function decodeCharset(octets: Buffer, charset: string | null): string {
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(octets);
  } catch {
    // An unknown charset: Latin-1 keeps every octet, so ASCII keys still match.
    return octets.toString('latin1');
  }
}
