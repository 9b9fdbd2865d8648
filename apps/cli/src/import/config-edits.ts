// Setting Postern config keys from an import: each edit is tried on a working copy of the config
// file and checked as `start` would check it; the copy replaces the file at the end (not on a dry run).
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadConfig, setConfigValue, writeFileAtomically } from '@postern/config';
import { validateAsStart } from '../config-validation.js';
import type { ImportReport } from './report.js';

/** A TOML literal for setConfigValue (JSON strings are valid TOML basic strings). */
export function tomlValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(tomlValue).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{ ${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)} = ${tomlValue(v)}`).join(', ')} }`;
  }
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

export class ConfigEdits {
  private readonly work: string;

  constructor(
    private readonly file: string,
    private readonly report: ImportReport,
  ) {
    this.work = `${file}.import-${process.pid}`;
    copyFileSync(file, this.work);
  }

  /**
   * Sets `key` (from the source setting `source`) unless it already holds `value`; a value
   * Postern refuses is listed as not imported, with the reason, and leaves the file as it was.
   */
  set(key: string, value: unknown, source: string, shown: string = tomlValue(value)): void {
    const before = readFileSync(this.work, 'utf8');
    try {
      setConfigValue(this.work, key, tomlValue(value));
      validateAsStart(loadConfig(this.work));
    } catch (err) {
      writeFileSync(this.work, before);
      this.report.notImported(`${source}: ${(err as Error).message.replace(/\s*\n\s*/g, ' ')}`);
      return;
    }
    if (readFileSync(this.work, 'utf8') === before) this.report.same(`${key} = ${shown}`);
    else this.report.change(`set ${key} = ${shown} (from ${source})`);
  }

  /** Writes the edited copy's content into the config file (keeping its mode and symlink); a dry run only removes the copy. */
  finish(): void {
    const edited = readFileSync(this.work, 'utf8');
    rmSync(this.work, { force: true });
    if (!this.report.dryRun && edited !== readFileSync(this.file, 'utf8')) writeFileAtomically(this.file, edited);
  }

  discard(): void {
    rmSync(this.work, { force: true });
  }
}
