/**
 * RFC 2045 §5.1 Content-Type: `type/subtype *(";" parameter)`, comments dropped, parameter values tokens
 * or quoted-strings. `contentType` is the lower-case `type/subtype`, null when the value has none (the
 * caller applies RFC 2045 §5.2's text/plain, or RFC 2046 §5.1.5's message/rfc822 inside a digest).
 */
export function parseContentType(value: string): { contentType: string | null; boundary: string | null } {
  const text = value.replace(/\([^()]*\)/g, '');
  const media = /^\s*([^\s/;]+)\s*\/\s*([^\s;]+)/.exec(text);
  let boundary: string | null = null;
  const parameter = /;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;]+))/g;
  for (let match = parameter.exec(text); match; match = parameter.exec(text)) {
    if (match[1]!.toLowerCase() === 'boundary') boundary = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : (match[3] ?? null);
  }
  return { contentType: media ? `${media[1]}/${media[2]}`.toLowerCase() : null, boundary };
}
