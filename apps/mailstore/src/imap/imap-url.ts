// IMAP URLs (RFC 5092) that name one message or one of its sections, as CATENATE (RFC 4469) takes them.
import type { SectionSpec } from './body-section.js';

/** What an IMAP URL names: a message by mailbox and UID, perhaps one section of it and a byte range. */
export interface MessageUrl {
  /** RFC 5092 §6: the absolute form names a user and a server; the relative form is the session's own. */
  user: string | null;
  host: string | null;
  /** The mailbox name, UTF-8 (RFC 5092 §5: percent-encoded UTF-8 in the URL). */
  mailbox: string;
  uidValidity: number | null;
  uid: number;
  section: SectionSpec | null;
  partial: { start: number; length: number | null } | null;
  /** RFC 4467 URLAUTH: the URL carries an access authorization. */
  urlauth: boolean;
}

const MAX_NUMBER = 0xffffffff;

/** RFC 3986 §2.1: %XX octets, the result read as UTF-8 (RFC 5092 §3.2); null for a malformed escape or invalid UTF-8. */
function decode(text: string): string | null {
  if (/%(?![0-9A-Fa-f]{2})/.test(text)) return null;
  const bytes = Buffer.from(text.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1');
  const decoded = bytes.toString('utf8');
  return Buffer.from(decoded, 'utf8').equals(bytes) ? decoded : null;
}

function number(text: string | undefined, allowZero = false): number | null {
  if (text === undefined || !/^\d{1,10}$/.test(text)) return null;
  const value = Number(text);
  return value <= MAX_NUMBER && (allowZero || value > 0) ? value : null;
}

/**
 * RFC 5092 §7 enc-section: an RFC 3501 section-text without its brackets —
 * part numbers, then HEADER, HEADER.FIELDS[.NOT] (names), TEXT or (after a
 * part number) MIME.
 */
export function parseSection(text: string): SectionSpec | null {
  const match = /^(?:([1-9]\d{0,8}(?:\.[1-9]\d{0,8})*)(?:\.(MIME|HEADER|TEXT|HEADER\.FIELDS(?:\.NOT)?) ?(?:\(([^()]*)\))?)?|(HEADER|TEXT|HEADER\.FIELDS(?:\.NOT)?) ?(?:\(([^()]*)\))?)$/i.exec(text);
  if (!match) return null;
  const path = match[1] ?? '';
  const type = (match[2] ?? match[4] ?? 'content').toLowerCase();
  const list = match[3] ?? match[5];
  const fields = type === 'header.fields' || type === 'header.fields.not';
  // RFC 3501 §9: header-list = "(" header-fld-name *(SP header-fld-name) ")", only after HEADER.FIELDS[.NOT].
  if (fields !== (list !== undefined)) return null;
  if (!fields) return { path, type };
  const headers = list!.trim().split(/\s+/).map((name) => name.replace(/^"(.*)"$/, '$1').toLowerCase());
  if (headers.some((name) => !/^[\x21-\x39\x3b-\x7e]+$/.test(name))) return null;
  return { path, type, headers };
}

/**
 * RFC 5092 §6 (imapurl and imapurl-rel): `imap://[user[;AUTH=..]@]host[:port]/mailbox;UIDVALIDITY=v/;UID=u[/;SECTION=s][/;PARTIAL=p[.n]][;EXPIRE=..;URLAUTH=..]`
 * or the same from `/mailbox` on (an absolute-path reference). Anything else
 * (a mailbox, a search, a server, another scheme) names no message: null.
 */
export function parseMessageUrl(url: string): MessageUrl | null {
  let user: string | null = null;
  let host: string | null = null;
  let path = url;
  const absolute = /^imap:\/\/([^/]*)(\/.*)$/i.exec(url);
  if (absolute) {
    const authority = absolute[1]!;
    path = absolute[2]!;
    const at = authority.lastIndexOf('@');
    if (at >= 0) {
      // RFC 5092 §3.2: iuserinfo = enc-user [iauth]; the mechanism does not change whose mail it is.
      const name = authority.slice(0, at).replace(/;AUTH=.*$/i, '');
      user = name === '' ? null : decode(name);
      if (user === null && name !== '') return null;
    }
    const server = at >= 0 ? authority.slice(at + 1) : authority;
    const hostPort = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(server);
    if (!hostPort) return null;
    host = decode(hostPort[1]!.replace(/^\[(.*)\]$/, '$1'))?.toLowerCase() ?? null;
    if (!host) return null;
  }
  const match = /^\/([^;?]+?)(?:;UIDVALIDITY=(\d+))?\/;UID=(\d+)(?:\/;SECTION=((?:(?!\/;)[^;])+))?(?:\/;PARTIAL=(\d+)(?:\.(\d+))?)?((?:;EXPIRE=[^;]*)?;URLAUTH=.*)?$/i.exec(path);
  // RFC 5092 §6: a mailbox name has no unencoded ";" (achar), so it ends where the parameters start.
  if (!match) return null;
  const mailbox = decode(match[1]!);
  if (!mailbox) return null;
  const uidValidity = match[2] === undefined ? null : number(match[2]);
  const uid = number(match[3]);
  if ((match[2] !== undefined && uidValidity === null) || uid === null) return null;
  let section: SectionSpec | null = null;
  if (match[4] !== undefined) {
    const text = decode(match[4]);
    section = text === null ? null : parseSection(text);
    if (!section) return null;
  }
  let partial: MessageUrl['partial'] = null;
  if (match[5] !== undefined) {
    // RFC 5092 §7: partial-range = number ["." nz-number].
    const start = number(match[5], true);
    const length = match[6] === undefined ? null : number(match[6]);
    if (start === null || (match[6] !== undefined && length === null)) return null;
    partial = { start, length };
  }
  return { user, host, mailbox, uidValidity, uid, section, partial, urlauth: match[7] !== undefined };
}
