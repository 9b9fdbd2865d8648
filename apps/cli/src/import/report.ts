// What an import did (or, with --dry-run, would do): every change, every thing already in place,
// and every source setting Postern has no equivalent for — never silently dropped.

export class ImportReport {
  private changes = 0;
  private unsupported = 0;

  constructor(
    readonly dryRun: boolean,
    private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  ) {}

  /** Something to change: applied unless this is a dry run. */
  change(what: string): void {
    this.changes += 1;
    this.write(`${this.dryRun ? 'would ' : ''}${what}`);
  }

  /** Already as the source has it. */
  same(what: string): void {
    this.write(`unchanged: ${what}`);
  }

  /** A source setting or entry with no Postern equivalent, left for the operator. */
  notImported(what: string): void {
    this.unsupported += 1;
    this.write(`not imported: ${what}`);
  }

  /** The closing line: a second run of an import says it changed nothing. */
  finish(part: string): void {
    const left = this.unsupported === 0 ? '' : `; ${this.unsupported} not imported (listed above)`;
    if (this.changes === 0) this.write(`${part}: nothing to change${left}`);
    else this.write(`${part}: ${this.changes} change(s)${this.dryRun ? ' would be made (dry run: nothing changed)' : ' made'}${left}`);
  }

  get changeCount(): number {
    return this.changes;
  }
}
