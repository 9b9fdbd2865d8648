// editheader (RFC 5293): addheader and deleteheader applied to the copy the user stores.
import { headerLength } from '../../message/index.js';
import type { HeaderEdit } from './plan.js';

// RFC 5293 §9 leaves trace fields alone: a script cannot hide where a message came from.
const PROTECTED = new Set(['received', 'auto-submitted', 'return-path', 'delivered-to']);

interface Field {
  name: string;
  text: string;
}

function splitFields(header: string): Field[] {
  const fields: Field[] = [];
  for (const line of header.split(/(?<=\r?\n)/)) {
    if (line === '' || line === '\r\n' || line === '\n') continue;
    if (/^[ \t]/.test(line) && fields.length > 0) fields[fields.length - 1]!.text += line;
    else fields.push({ name: line.slice(0, Math.max(line.indexOf(':'), 0)).trim().toLowerCase(), text: line });
  }
  return fields;
}

function valueOf(field: Field): string {
  return field.text.slice(field.text.indexOf(':') + 1).replace(/\r?\n[ \t]/g, ' ').trim();
}

/** The message with the edits made, in order; fields it may not touch are left as they are. */
export function applyHeaderEdits(raw: Buffer, edits: HeaderEdit[]): Buffer {
  if (edits.length === 0) return raw;
  const length = headerLength(raw);
  let fields = splitFields(raw.subarray(0, length).toString('utf8'));
  for (const edit of edits) {
    const name = edit.name.toLowerCase();
    if (PROTECTED.has(name) || !/^[\x21-\x39\x3b-\x7e]+$/.test(edit.name)) continue;
    if (edit.type === 'addheader') {
      const field = { name, text: `${edit.name}: ${edit.value.replace(/\r?\n/g, ' ')}\r\n` };
      // RFC 5293 §4: at the top unless :last; our trace fields stay above it.
      const top = fields.findIndex((f) => !PROTECTED.has(f.name));
      if (edit.last) fields.push(field);
      else fields.splice(top === -1 ? fields.length : top, 0, field);
      continue;
    }
    const matching = fields.filter((f) => f.name === name);
    let targets = matching;
    if (edit.index !== undefined) {
      const at = edit.last ? matching.length - edit.index : edit.index - 1;
      targets = at >= 0 && at < matching.length ? [matching[at]!] : [];
    }
    if (edit.patterns && edit.patterns.length > 0) {
      const wanted = edit.patterns.map((p) => p.toLowerCase());
      targets = targets.filter((f) => wanted.includes(valueOf(f).toLowerCase()));
    }
    const drop = new Set(targets);
    fields = fields.filter((f) => !drop.has(f));
  }
  const tail = raw.subarray(0, length).toString('utf8').match(/\r?\n$/)?.[0] ?? '\r\n';
  return Buffer.concat([Buffer.from(fields.map((f) => f.text).join('') + tail, 'utf8'), raw.subarray(length)]);
}
