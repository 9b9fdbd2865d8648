import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

/** A fresh directory under the system temp dir, removed when the test file ends. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'postern-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes postern.toml (or `name`) into a fresh temp dir and returns its path. */
export function writeConfig(text: string, name = 'postern.toml'): string {
  const file = join(tempDir(), name);
  writeFileSync(file, text);
  return file;
}
