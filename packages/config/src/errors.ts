/**
 * A configuration problem a person must fix. `message` is always one line
 * (the first problem, naming file, key, value and what is expected);
 * `problems` lists every problem found, for `postern config check`.
 */
export class ConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string | string[]) {
    const list = (Array.isArray(problems) ? problems : [problems]).map(oneLine);
    const first = list[0] ?? 'invalid configuration';
    super(list.length > 1 ? `${first} (and ${list.length - 1} more ${list.length === 2 ? 'problem' : 'problems'})` : first);
    this.name = 'ConfigError';
    this.problems = list;
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

const MAX_SHOWN = 80;

/** A value as it would be written in TOML, shortened so that the message stays one readable line. */
export function showValue(value: unknown): string {
  let text: string;
  if (typeof value === 'bigint') text = value.toString();
  else if (value instanceof Date) text = value.toISOString();
  else {
    try {
      text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text;
}

/**
 * The text after "key: " for a bad field: `missing (expected …)` when the key
 * is absent, else `<value> is not <noun> (expected …)`.
 */
export function describeProblem(input: unknown, noun: string, expected: string): string {
  if (input === undefined) return `missing (expected ${expected})`;
  return `${showValue(input)} is not ${noun} (expected ${expected})`;
}

/** A dotted key with array positions in brackets: `listen.smtp[0]`. */
export function keyName(path: readonly PropertyKey[]): string {
  let name = '';
  for (const part of path) {
    if (typeof part === 'number') name += `[${part}]`;
    else name += name === '' ? String(part) : `.${String(part)}`;
  }
  return name;
}
