/**
 * A tag=value list as DKIM (RFC 6376 §3.2), DMARC (RFC 7489 §6.4), MTA-STS
 * (RFC 8461 §3.1) and TLS-RPT (RFC 8460 §3) records write it: tags separated
 * by ";", whitespace around names and values ignored. Names are lower-cased;
 * the first occurrence of a tag wins.
 */
export function parseTagList(text: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim().toLowerCase();
    if (name !== '' && !tags.has(name)) tags.set(name, part.slice(eq + 1).trim());
  }
  return tags;
}

/** The records among `texts` that start with the version tag, e.g. "v=DMARC1" (compared without case). */
export function versioned(texts: string[], version: string): string[] {
  const wanted = version.toLowerCase();
  return texts.filter((text) => {
    const first = text.split(';')[0]?.replace(/\s+/g, '').toLowerCase();
    return first === wanted;
  });
}
