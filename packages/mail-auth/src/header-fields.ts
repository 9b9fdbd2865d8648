/** One header field as it stands in the message: its name and every byte of it, folded lines and line ends included. */
export interface HeaderField {
  name: string;
  raw: Buffer;
}

export interface MessageHeader {
  fields: HeaderField[];
  /** Offset of the empty line that ends the header (message length when there is none). */
  headerEnd: number;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits the header section into fields (RFC 5322 §2.2, §2.2.3: a line
 * starting with a space or tab continues the field before it). Bytes are
 * kept as they are, so a message rebuilt from the fields is identical.
 */
export function parseHeader(message: Buffer): MessageHeader {
  const fields: HeaderField[] = [];
  let start = -1;
  let pos = 0;
  while (pos < message.length) {
    const newline = message.indexOf(LF, pos);
    const next = newline < 0 ? message.length : newline + 1;
    const first = message[pos];
    if (first === LF || (first === CR && message[pos + 1] === LF)) break;
    if (first !== 0x20 && first !== 0x09 && start >= 0) {
      fields.push(field(message.subarray(start, pos)));
      start = -1;
    }
    if (start < 0) start = pos;
    pos = next;
  }
  if (start >= 0) fields.push(field(message.subarray(start, pos)));
  return { fields, headerEnd: pos };
}

function field(raw: Buffer): HeaderField {
  const colon = raw.indexOf(0x3a);
  const name = colon < 0 ? '' : raw.subarray(0, colon).toString('latin1').trim();
  return { name, raw };
}

/** The field's value unfolded (RFC 5322 §2.2.3), decoded as UTF-8 (RFC 6532 allows it in headers). */
export function fieldValue(field: HeaderField): string {
  const text = field.raw.toString('utf8');
  const colon = text.indexOf(':');
  return text.slice(colon + 1).replace(/\r?\n(?=[ \t])/g, '').replace(/\r?\n$/, '');
}

export function fieldsNamed(header: MessageHeader, name: string): HeaderField[] {
  const wanted = name.toLowerCase();
  return header.fields.filter((f) => f.name.toLowerCase() === wanted);
}
