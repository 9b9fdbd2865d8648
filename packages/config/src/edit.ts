import { isDeepStrictEqual } from 'node:util';
import { parse, patch, stringify } from '@decimalturn/toml-patch';
import { writeFileAtomically } from './atomic-write.js';
import { ConfigError } from './errors.js';
import { parseConfigText, parseToml, readConfigText } from './load.js';
import type { TomlTable } from './load.js';
import { KNOWN_KEYS } from './schema.js';
import type { PosternConfig } from './schema.js';
import { closestName } from './suggest.js';

const SEGMENT = /^[A-Za-z0-9_-]+$/;

function splitKey(dottedKey: string): string[] {
  const segments = dottedKey.split('.');
  if (!segments.every((segment) => SEGMENT.test(segment))) {
    throw new ConfigError(`${JSON.stringify(dottedKey)} is not a key (expected dotted names such as listen.smtp or smtpd.helo_required)`);
  }
  return segments;
}

/** A TOML table (not an array, a date or a scalar); the loaded config's sections are ones too. */
export function isTable(value: unknown): value is TomlTable {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date);
}

function unknownKey(segments: readonly string[]): ConfigError {
  const key = segments.join('.');
  const table = segments.slice(0, -1).join('.');
  const last = segments[segments.length - 1] ?? '';
  const hint = closestName(last, KNOWN_KEYS[table] ?? []);
  return new ConfigError(`${key}: unknown key${hint !== undefined ? ` (did you mean ${table === '' ? hint : `${table}.${hint}`}?)` : ''}`);
}

/**
 * `postern config get KEY`: the value in the loaded (defaulted) config, so
 * defaults show. A known optional key that is not set gives undefined.
 */
export function getConfigValue(config: PosternConfig, dottedKey: string): unknown {
  const segments = splitKey(dottedKey);
  let current: unknown = config;
  for (const [index, segment] of segments.entries()) {
    if (!isTable(current) || !Object.hasOwn(current, segment)) {
      const table = segments.slice(0, index).join('.');
      const known = index === segments.length - 1 && (KNOWN_KEYS[table] ?? []).includes(segment);
      if (known) return undefined;
      throw unknownKey(segments.slice(0, index + 1));
    }
    current = current[segment];
  }
  return current;
}

/** `config get` output: strings bare (for shell use), everything else as TOML. */
export function formatConfigValue(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (isTable(value)) return stringify(value, { bracketSpacing: false }).trimEnd();
  return stringify({ value }, { bracketSpacing: false }).trim().replace(/^value = /, '');
}

/** VALUE is TOML when it parses as one TOML value (`["127.0.0.1:2525"]`, `true`, `25`, `"x"`), else a plain string. */
export function parseConfigValue(rawValue: string): unknown {
  try {
    const parsed = parse(`value = ${rawValue}\n`) as TomlTable;
    if (Object.keys(parsed).length === 1 && Object.hasOwn(parsed, 'value')) return parsed['value'];
  } catch {
    // Not TOML: taken as written.
  }
  return rawValue;
}

/** Plain JSON data, so TOML date classes and bigints compare by value. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? 'null');
}

/**
 * `postern config set KEY VALUE`: edits the file in place keeping its
 * comments and layout, creating missing tables. The whole resulting file is
 * validated first; when it would be invalid the file is left untouched and
 * a ConfigError names the problem. Returns the new loaded config.
 */
export function setConfigValue(file: string, dottedKey: string, rawValue: string): PosternConfig {
  const segments = splitKey(dottedKey);
  const original = readConfigText(file);
  const document = parseToml(original, file);
  const value = parseConfigValue(rawValue);

  let table: TomlTable = document;
  for (const [index, segment] of segments.slice(0, -1).entries()) {
    const next = table[segment];
    if (next === undefined) {
      table[segment] = {};
    } else if (!isTable(next)) {
      const parent = segments.slice(0, index + 1).join('.');
      throw new ConfigError(`${file}: ${parent}: holds a value, not a table (so ${dottedKey} cannot be set; set ${parent} itself)`);
    }
    table = table[segment] as TomlTable;
  }
  table[segments[segments.length - 1] ?? ''] = value;

  const updated = patch(original, document);
  const config = parseConfigText(updated, file);
  let written: unknown = parseToml(updated, file);
  for (const segment of segments) written = isTable(written) ? written[segment] : undefined;
  if (!isDeepStrictEqual(plain(written), plain(value))) throw new Error(`${file}: editing ${dottedKey} did not produce the expected TOML; the file was left unchanged`);

  if (updated !== original) writeFileAtomically(file, updated);
  return config;
}
