// Several processes' metrics as one: the /metrics of a multi-process mailstore (its primary and workers).

interface Family {
  header: string[];
  /** Series (name and labels, as written) → value summed over the processes. */
  samples: Map<string, number>;
  /** The highest value over the processes rather than the sum. */
  highest: boolean;
}

/**
 * Merges texts in the exposition format (0.0.4) by summing the samples of the same
 * series: counters, histogram buckets, sums and counts add up across processes, and so
 * do gauges of things each process has (open sessions); the families named in `highest`
 * (a gauge such as event-loop lag, which does not add up) keep each series' highest value.
 * Each family keeps its HELP and TYPE lines once, in the order the families first appear.
 */
export function mergeExpositions(texts: readonly string[], highest: ReadonlySet<string> = new Set()): string {
  const families = new Map<string, Family>();
  for (const text of texts) {
    let family: Family | undefined;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const comment = /^# (HELP|TYPE) (\S+)/.exec(line);
      if (comment) {
        const name = comment[2]!;
        family = families.get(name);
        if (!family) families.set(name, (family = { header: [], samples: new Map(), highest: highest.has(name) }));
        if (family.header.length < 2 && !family.header.some((seen) => seen.startsWith(`# ${comment[1]} `))) family.header.push(line);
        continue;
      }
      if (line.startsWith('#') || !family) continue;
      // The value is the last field: a label value may hold spaces, the value cannot.
      const split = line.lastIndexOf(' ');
      const series = line.slice(0, split);
      const value = Number(line.slice(split + 1));
      const before = family.samples.get(series);
      family.samples.set(series, before === undefined ? value : family.highest ? Math.max(before, value) : before + value);
    }
  }
  const lines: string[] = [];
  for (const family of families.values()) {
    lines.push(...family.header);
    for (const [series, value] of family.samples) lines.push(`${series} ${Number.isNaN(value) ? 'NaN' : value === Infinity ? '+Inf' : value === -Infinity ? '-Inf' : value}`);
  }
  return `${lines.join('\n')}\n`;
}
