// RFC 5322 §3.2 lexical pieces shared by the header parsers: quoted-strings and comments.

/** Index just past the quoted-string that starts at `start`, honouring quoted-pairs. */
export function quotedEnd(value: string, start: number): number {
  for (let i = start + 1; i < value.length; i++) {
    if (value[i] === '\\') i++;
    else if (value[i] === '"') return i + 1;
  }
  return value.length;
}

/** Index just past the comment that starts at `start`; comments nest (RFC 5322 §3.2.2). */
export function commentEnd(value: string, start: number): number {
  let depth = 0;
  for (let i = start; i < value.length; i++) {
    const c = value[i];
    if (c === '\\') i++;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i + 1;
  }
  return value.length;
}
