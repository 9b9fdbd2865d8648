/**
 * RFC 2045 §5.1 Content-Type: `type/subtype *(";" parameter)`, comments dropped, parameter values tokens
 * or quoted-strings. `contentType` is the lower-case `type/subtype`, null when the value has none (the
 * caller applies RFC 2045 §5.2's text/plain, or RFC 2046 §5.1.5's message/rfc822 inside a digest).
 */
export function parseContentType(value: string): { contentType: string | null; boundary: string | null; charset: string | null } {
  const text = value.replace(/\([^()]*\)/g, '');
  const media = /^\s*([^\s/;]+)\s*\/\s*([^\s;]+)/.exec(text);
  let boundary: string | null = null;
  let charset: string | null = null;
  const parameter = /;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;]+))/g;
  for (let match = parameter.exec(text); match; match = parameter.exec(text)) {
    const name = match[1]!.toLowerCase();
    const param = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] ?? null);
    if (name === 'boundary') boundary = param;
    else if (name === 'charset') charset = param?.toLowerCase() ?? null; // RFC 2046 §4.1.2: charset names are case-insensitive
  }
  return { contentType: media ? `${media[1]}/${media[2]}`.toLowerCase() : null, boundary, charset };
}
