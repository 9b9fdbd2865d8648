/**
 * Orders strings by Unicode code point, as MongoDB's simple collation and
 * SQLite's BINARY collation do. Sorting here rather than in the server keeps
 * lists identical on servers that compare UTF-16 units instead (the test server).
 */
export function compareText(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** Sorts records by one or more string keys, in code point order. */
export function sortByText<T>(items: T[], ...keys: ((item: T) => string)[]): T[] {
  return items.sort((a, b) => {
    for (const key of keys) {
      const order = compareText(key(a), key(b));
      if (order !== 0) return order;
    }
    return 0;
  });
}
