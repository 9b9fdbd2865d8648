// A small Prometheus registry: counters and gauges with labels, rendered in the text exposition format 0.0.4.

export type Labels = Readonly<Record<string, string>>;

/** The Content-Type of the text exposition format. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Exposition format: a label value escapes backslash, double quote and line feed. */
function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Exposition format: HELP text escapes backslash and line feed. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function labelKey(names: readonly string[], labels: Labels): string {
  return names.map((name) => labels[name] ?? '').join('\u0000');
}

function formatLabels(names: readonly string[], labels: Labels): string {
  if (names.length === 0) return '';
  return `{${names.map((name) => `${name}="${escapeLabelValue(labels[name] ?? '')}"`).join(',')}}`;
}

interface Sample {
  labels: Labels;
  value: number;
}

abstract class Metric {
  protected readonly values = new Map<string, Sample>();
  abstract readonly type: 'counter' | 'gauge' | 'histogram';

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[] = [],
  ) {}

  protected add(labels: Labels, delta: number): void {
    const key = labelKey(this.labelNames, labels);
    const sample = this.values.get(key);
    if (sample) sample.value += delta;
    else this.values.set(key, { labels: Object.fromEntries(this.labelNames.map((name) => [name, labels[name] ?? ''])), value: delta });
  }

  /** The value for these labels (0 when never touched). */
  get(labels: Labels = {}): number {
    return this.values.get(labelKey(this.labelNames, labels))?.value ?? 0;
  }

  /** Runs before rendering: a gauge measured at scrape time sets its values here. */
  async collect(): Promise<void> {}

  render(): string {
    const lines = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
    // A metric without labels is always shown, at 0 before its first event.
    if (this.labelNames.length === 0 && this.values.size === 0) lines.push(`${this.name} 0`);
    for (const sample of this.values.values()) lines.push(`${this.name}${formatLabels(this.labelNames, sample.labels)} ${formatValue(sample.value)}`);
    return lines.join('\n');
  }
}

/** Only goes up; the name ends in `_total`. */
export class Counter extends Metric {
  readonly type = 'counter' as const;

  inc(labels: Labels = {}, by = 1): void {
    if (by < 0) throw new RangeError(`counter ${this.name} cannot go down`);
    this.add(labels, by);
  }
}

/** A value that goes up and down, or is measured at scrape time by `collector`. */
export class Gauge extends Metric {
  readonly type = 'gauge' as const;

  constructor(name: string, help: string, labelNames: readonly string[] = [], private readonly collector?: (gauge: Gauge) => void | Promise<void>) {
    super(name, help, labelNames);
  }

  set(labels: Labels, value: number): void {
    this.values.set(labelKey(this.labelNames, labels), { labels: { ...labels }, value });
  }

  inc(labels: Labels = {}, by = 1): void {
    this.add(labels, by);
  }

  dec(labels: Labels = {}, by = 1): void {
    this.add(labels, -by);
  }

  /** Forgets every sample (a collector that measures a set that can shrink starts here). */
  reset(): void {
    this.values.clear();
  }

  override async collect(): Promise<void> {
    await this.collector?.(this);
  }
}

/** Prometheus's default buckets (seconds): from 5 ms to 10 s. */
export const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Observations {
  labels: Labels;
  /** Per bucket: observations ≤ its bound (cumulative, as exposed). */
  buckets: number[];
  sum: number;
  count: number;
}

/**
 * Observations counted into cumulative buckets: `NAME_bucket{le="…"}` for each
 * bound and `+Inf`, then `NAME_sum` and `NAME_count`, as the exposition format
 * defines a histogram.
 */
export class Histogram extends Metric {
  readonly type = 'histogram' as const;
  private readonly series = new Map<string, Observations>();
  readonly buckets: readonly number[];

  constructor(name: string, help: string, labelNames: readonly string[] = [], buckets: readonly number[] = DEFAULT_BUCKETS) {
    super(name, help, labelNames);
    if (labelNames.includes('le')) throw new Error(`histogram ${name}: "le" is the bucket label`);
    this.buckets = [...buckets].sort((a, b) => a - b);
  }

  observe(labels: Labels, value: number): void {
    const key = labelKey(this.labelNames, labels);
    let series = this.series.get(key);
    if (!series) {
      series = { labels: Object.fromEntries(this.labelNames.map((name) => [name, labels[name] ?? ''])), buckets: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, series);
    }
    this.buckets.forEach((bound, index) => {
      if (value <= bound) series.buckets[index]! += 1;
    });
    series.sum += value;
    series.count += 1;
  }

  /** How many observations these labels have (0 when none). */
  count(labels: Labels = {}): number {
    return this.series.get(labelKey(this.labelNames, labels))?.count ?? 0;
  }

  override render(): string {
    const lines = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
    const names = [...this.labelNames, 'le'];
    for (const series of this.series.values()) {
      const bucket = (le: string, value: number): string => `${this.name}_bucket${formatLabels(names, { ...series.labels, le })} ${value}`;
      this.buckets.forEach((bound, index) => lines.push(bucket(formatValue(bound), series.buckets[index]!)));
      lines.push(bucket('+Inf', series.count));
      lines.push(`${this.name}_sum${formatLabels(this.labelNames, series.labels)} ${formatValue(series.sum)}`);
      lines.push(`${this.name}_count${formatLabels(this.labelNames, series.labels)} ${series.count}`);
    }
    return lines.join('\n');
  }
}

export class Registry {
  private readonly metrics = new Map<string, Metric>();

  register<M extends Metric>(metric: M): M {
    if (this.metrics.has(metric.name)) throw new Error(`metric ${metric.name} is registered twice`);
    this.metrics.set(metric.name, metric);
    return metric;
  }

  unregister(name: string): void {
    this.metrics.delete(name);
  }

  /** Every metric in the text exposition format; a collector that fails leaves its last values and is named in `failed`. */
  async render(): Promise<{ text: string; failed: string[] }> {
    const failed: string[] = [];
    // In registration order: a collector may use what an earlier one measured.
    for (const metric of this.metrics.values()) {
      try {
        await metric.collect();
      } catch {
        failed.push(metric.name);
      }
    }
    return { text: `${[...this.metrics.values()].map((metric) => metric.render()).join('\n')}\n`, failed };
  }
}
