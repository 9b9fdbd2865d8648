import { readFileSync } from 'node:fs';
import { parse } from '@decimalturn/toml-patch';
import type { z } from 'zod';
import { ConfigError, describeProblem, keyName } from './errors.js';
import { resolveRelativePaths } from './paths.js';
import { KNOWN_KEYS, configSchema } from './schema.js';
import type { PosternConfig } from './schema.js';
import { closestName } from './suggest.js';

export type TomlTable = Record<string, unknown>;

/** Reads the file, turning "not there" into the one line that says how to create it. */
export function readConfigText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ConfigError(`config file ${file} not found (create one with: postern init --dir DIR --hostname HOST --domain DOMAIN)`);
    }
    if (code === 'EACCES') throw new ConfigError(`config file ${file} cannot be read: permission denied (run as a user that may read it)`);
    if (code === 'EISDIR') throw new ConfigError(`config file ${file} is a directory (expected the path of postern.toml)`);
    throw new ConfigError(`config file ${file} cannot be read: ${(err as Error).message}`);
  }
}

/** TOML text to a table; a syntax error names file, line, column and what the parser said. */
export function parseToml(text: string, file: string): TomlTable {
  try {
    return parse(text) as TomlTable;
  } catch (err) {
    const { line, column, message } = err as { line?: unknown; column?: unknown; message?: unknown };
    const said = String(message ?? err).trim().split('\n').pop() ?? 'syntax error';
    const where = typeof line === 'number' ? `:${line}${typeof column === 'number' ? `:${column + 1}` : ''}` : '';
    throw new ConfigError(`${file}${where}: not valid TOML: ${said}`);
  }
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown, file: string): string[] {
  if (issue.code === 'unrecognized_keys') {
    const known = KNOWN_KEYS[keyName(issue.path)] ?? [];
    return issue.keys.map((key) => {
      const hint = closestName(key, known);
      return `${file}: ${keyName([...issue.path, key])}: unknown key${hint !== undefined ? ` (did you mean ${keyName([...issue.path, hint])}?)` : ''}`;
    });
  }
  const key = keyName(issue.path);
  // Every field carries its own message; this covers a rule zod adds that the schema did not word.
  const text = issue.code === 'custom' || /^(missing|.* is not )/.test(issue.message) ? issue.message : describeProblem(valueAt(raw, issue.path), 'valid', issue.message);
  return [`${file}: ${key === '' ? '(top level)' : key}: ${text}`];
}

/** Validates a parsed TOML table; relative paths are left as written. */
export function validateConfig(raw: unknown, file: string): PosternConfig {
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.flatMap((issue) => describeIssue(issue, raw, file)));
}

/** TOML text to a checked, fully defaulted config; relative paths resolve against `file`'s directory. */
export function parseConfigText(text: string, file: string): PosternConfig {
  return resolveRelativePaths(validateConfig(parseToml(text, file), file), file);
}

export function loadConfig(file: string): PosternConfig {
  return parseConfigText(readConfigText(file), file);
}
