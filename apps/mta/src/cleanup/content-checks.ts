// Postfix cleanup's header_checks and body_checks: the tables compiled from
// smtpd.header_checks / smtpd.body_checks, and what one line's match asks for.
import { ConfigError, type PosternConfig } from '@postern/config';
import { parseCheckAction, type CheckAction } from './check-action.js';
import { lookupRegexpTable, readRegexpTable, type TableRule } from './regexp-table.js';

/** The compiled tables; null when neither is configured (the data path then has no extra stage). */
export interface ContentChecks {
  header: { path: string; rules: TableRule[] } | null;
  body: { path: string; rules: TableRule[] } | null;
}

/** A line's match: the action and the table line that gave it (for the log). */
export interface CheckMatch {
  action: CheckAction;
  /** file:line */
  rule: string;
}

function compileTable(path: string | undefined, key: string, header: boolean, problems: string[]): { path: string; rules: TableRule[] } | null {
  if (path === undefined) return null;
  try {
    // A result with $n is only complete at match time; the rest is checked now.
    const rules = readRegexpTable(path, (result, where) => {
      try {
        parseCheckAction(result.replace(/\$(\d+|\{\d+\}|\(\d+\))/g, 'X'), header);
      } catch (error) {
        throw new Error(`${where}: ${(error as Error).message}`);
      }
    });
    return { path, rules };
  } catch (error) {
    problems.push(`smtpd.${key}: ${(error as Error).message}`);
    return null;
  }
}

/** Reads both tables; a bad line is a ConfigError naming the key and file:line (at start, `config check` and reload). */
export function compileContentChecks(config: PosternConfig): ContentChecks | null {
  const problems: string[] = [];
  const header = compileTable(config.smtpd.header_checks, 'header_checks', true, problems);
  const body = compileTable(config.smtpd.body_checks, 'body_checks', false, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return header === null && body === null ? null : { header, body };
}

/**
 * The action for one logical header field (folded lines joined by LF, as
 * Postfix passes them) or one body line; null when no rule matches. A result
 * whose $n substitution makes it unusable is logged and treated as DUNNO, as
 * Postfix's cleanup does.
 */
export function checkLine(table: { path: string; rules: TableRule[] }, input: string, header: boolean): CheckMatch | null {
  const match = lookupRegexpTable(table.rules, input);
  if (match === null) return null;
  const rule = `${table.path}:${match.line}`;
  try {
    return { action: parseCheckAction(match.result, header), rule };
  } catch (error) {
    return { action: { kind: 'warn', text: `${rule}: ${(error as Error).message}; line kept` }, rule };
  }
}
