/** Output for list/show commands: JSON with --json, aligned columns otherwise. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printTable(headers: string[], rows: (string | number)[][]): void {
  if (rows.length === 0) return;
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  for (const row of cells) {
    process.stdout.write(`${row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')}\n`);
  }
}

export function printLines(lines: string[]): void {
  for (const line of lines) process.stdout.write(`${line}\n`);
}
