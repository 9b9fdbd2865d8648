/**
 * A value safe on one protocol header line: control characters (CR and LF
 * above all, which would start a new header) become spaces; non-ASCII text
 * is kept as it is.
 */
export function headerValue(value: string): string {
  return value.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, ' ').trim();
}
