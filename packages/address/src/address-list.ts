// RFC 5322 §3.4 address-list (with the §4.4 obsolete forms) as a flat list of mailboxes and group markers.

/** One mailbox: name-addr or addr-spec. Parts the field leaves out are null. */
export interface ListMailbox {
  kind: 'mailbox';
  /** The display name as written (quoted-strings unquoted, CFWS runs made one space), or a trailing comment; not RFC 2047-decoded. */
  name: string | null;
  /** The obsolete source route (RFC 5322 §4.4 obs-route), e.g. `@relay1,@relay2`. */
  route: string | null;
  localPart: string | null;
  domain: string | null;
}

/** `display-name:` opening a group (RFC 5322 §3.4). */
export interface ListGroupStart {
  kind: 'group';
  name: string;
}

/** The `;` closing a group. */
export interface ListGroupEnd {
  kind: 'group-end';
}

export type AddressListEntry = ListMailbox | ListGroupStart | ListGroupEnd;

type Token =
  | { type: 'word'; text: string; quoted: boolean; space: boolean }
  | { type: 'literal'; text: string; space: boolean }
  | { type: 'comment'; text: string }
  | { type: 'special'; text: string; space: boolean };

const SPECIALS = '<>@,;:.[]';
const WSP = /[ \t\r\n]/;

/** Lexes the field into words, quoted-strings, domain literals, comments and specials; one pass, no recursion. */
function tokenize(value: string): Token[] {
  const tokens: Token[] = [];
  let space = false;
  let i = 0;
  while (i < value.length) {
    const c = value[i] as string;
    if (WSP.test(c)) {
      space = true;
      i++;
    } else if (c === '(') {
      // RFC 5322 §3.2.2: comments nest; a depth counter, not recursion.
      let depth = 0;
      let text = '';
      for (; i < value.length; i++) {
        const d = value[i] as string;
        if (d === '\\' && i + 1 < value.length) {
          text += value[++i];
          continue;
        }
        if (d === '(' && depth++ === 0) continue;
        if (d === ')' && --depth === 0) break;
        text += d;
      }
      i++;
      tokens.push({ type: 'comment', text: text.replace(/\s+/g, ' ').trim() });
      space = true;
    } else if (c === '"') {
      let text = '';
      for (i++; i < value.length && value[i] !== '"'; i++) text += value[i] === '\\' && i + 1 < value.length ? value[++i] : value[i];
      i++;
      tokens.push({ type: 'word', text: text.replace(/\r?\n/g, ''), quoted: true, space });
      space = false;
    } else if (c === '[') {
      const end = value.indexOf(']', i);
      const stop = end < 0 ? value.length : end + 1;
      tokens.push({ type: 'literal', text: value.slice(i, stop).replace(/\s+/g, ''), space });
      i = stop;
      space = false;
    } else if (SPECIALS.includes(c)) {
      tokens.push({ type: 'special', text: c, space });
      i++;
      space = false;
    } else {
      let end = i;
      while (end < value.length && !WSP.test(value[end] as string) && !SPECIALS.includes(value[end] as string) && value[end] !== '(' && value[end] !== '"') end++;
      tokens.push({ type: 'word', text: value.slice(i, end), quoted: false, space });
      i = end;
      space = false;
    }
  }
  return tokens;
}

/** A phrase as written: words and dots, one space where the field had folding white space or a comment. */
function phrase(tokens: Token[]): string | null {
  let text = '';
  for (const token of tokens) {
    if (token.type === 'comment') continue;
    if (text !== '' && token.space) text += ' ';
    text += token.text;
  }
  return text === '' ? null : text;
}

/** An addr-spec's pieces joined without CFWS (RFC 5322 §3.4.1 allows it around dots and the @). */
function joined(tokens: Token[]): string | null {
  const text = tokens
    .filter((token) => token.type !== 'comment')
    .map((token) => token.text)
    .join('');
  return text === '' ? null : text;
}

function lastComment(tokens: Token[]): string | null {
  for (let i = tokens.length - 1; i >= 0; i--) {
    const token = tokens[i]!;
    if (token.type === 'comment' && token.text !== '') return token.text;
  }
  return null;
}

/** addr-spec: local-part "@" domain, split at the first @ outside a quoted-string. */
function addrSpec(tokens: Token[]): { localPart: string | null; domain: string | null } {
  const at = tokens.findIndex((token) => token.type === 'special' && token.text === '@');
  if (at < 0) return { localPart: joined(tokens), domain: null };
  return { localPart: joined(tokens.slice(0, at)), domain: joined(tokens.slice(at + 1)) };
}

/**
 * One address between separators: `phrase <[route:]addr-spec>` or a bare
 * addr-spec whose name, if any, is its comment (as RFC 822 writers put it).
 */
function mailbox(tokens: Token[]): ListMailbox | null {
  if (!tokens.some((token) => token.type !== 'comment')) return null;
  const open = tokens.findIndex((token) => token.type === 'special' && token.text === '<');
  if (open < 0) {
    return { kind: 'mailbox', name: lastComment(tokens), route: null, ...addrSpec(tokens) };
  }
  let close = tokens.findIndex((token, index) => index > open && token.type === 'special' && token.text === '>');
  if (close < 0) close = tokens.length;
  let inside = tokens.slice(open + 1, close);
  let route: string | null = null;
  // RFC 5322 §4.4 obs-angle-addr: "<" obs-route addr-spec ">", obs-route = obs-domain-list ":".
  const first = inside.find((token) => token.type !== 'comment');
  const colon = inside.findIndex((token) => token.type === 'special' && token.text === ':');
  if (first?.type === 'special' && first.text === '@' && colon > 0) {
    route = joined(inside.slice(0, colon));
    inside = inside.slice(colon + 1);
  }
  const before = tokens.slice(0, open);
  return { kind: 'mailbox', name: phrase(before) ?? lastComment(before) ?? lastComment(tokens.slice(close)), route, ...addrSpec(inside) };
}

/**
 * Parses an address-list field value (From, To, Cc, …) into mailboxes and
 * group start/end markers, in order. Never throws and never recurses on the
 * input: RFC 5322 has no nested groups, so a group start inside a group is
 * dropped and its members count as members of the outer group; a group left
 * open at the end of the field is closed.
 */
export function parseAddressList(value: string): AddressListEntry[] {
  const entries: AddressListEntry[] = [];
  let inGroup = false;
  let current: Token[] = [];
  let inAngle = false;
  const finish = (): void => {
    const found = mailbox(current);
    if (found) entries.push(found);
    current = [];
    inAngle = false;
  };
  for (const token of tokenize(value)) {
    if (token.type === 'special' && !inAngle) {
      if (token.text === ',') {
        finish();
        continue;
      }
      if (token.text === ';') {
        finish();
        if (inGroup) entries.push({ kind: 'group-end' });
        inGroup = false;
        continue;
      }
      if (token.text === ':') {
        // RFC 5322 §3.4 group = display-name ":" [group-list] ";"
        if (!inGroup) entries.push({ kind: 'group', name: phrase(current) ?? '' });
        inGroup = true;
        current = [];
        continue;
      }
      if (token.text === '<') inAngle = true;
    } else if (token.type === 'special' && token.text === '>') {
      inAngle = false;
    }
    current.push(token);
  }
  finish();
  if (inGroup) entries.push({ kind: 'group-end' });
  return entries;
}
