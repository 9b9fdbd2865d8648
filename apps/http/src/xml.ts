// XML 1.0 §2.4: character data and attribute values escape &, <, > and quotes.
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Text or an attribute value, escaped; characters XML 1.0 §2.2 forbids are dropped. */
export function escapeXml(value: string | number): string {
  return String(value)
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/[&<>"']/g, (char) => ESCAPES[char]!);
}

/** `<name>text</name>`, the text escaped. */
export function element(name: string, text: string | number): string {
  return `<${name}>${escapeXml(text)}</${name}>`;
}
