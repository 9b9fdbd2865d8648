// Postfix's regexp_table(5) format, for header_checks(5) and body_checks: a file
// written for Postfix works unchanged. Patterns are POSIX extended regular
// expressions, run here as JavaScript ones (a superset for what tables use).
import { readFileSync } from 'node:fs';

/** One table line's pattern: `/re/flags` or `!/re/flags`. */
interface Pattern {
  regexp: RegExp;
  negated: boolean;
}

/** A rule of the table, in file order; `if` holds the rules up to its `endif`. */
export type TableRule =
  | { kind: 'match'; pattern: Pattern; result: string; line: number }
  | { kind: 'if'; pattern: Pattern; rules: TableRule[]; line: number };

/** A match: the rule's result with $1… substituted, and where the rule was written. */
export interface TableMatch {
  result: string;
  line: number;
}

// POSIX bracket expressions (re_format(7)) have no JavaScript spelling inside [...]: the ASCII classes they name.
const POSIX_CLASSES: Record<string, string> = {
  alnum: 'A-Za-z0-9',
  alpha: 'A-Za-z',
  blank: ' \\t',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: ' \\t\\n\\r\\f\\v',
  upper: 'A-Z',
  xdigit: '0-9A-Fa-f',
};

/** regexp_table(5) flags, toggles over the defaults: i on (case-insensitive), m off, x on (extended syntax, the only one supported). */
function compilePattern(source: string, flags: string, where: string): RegExp {
  let insensitive = true;
  let multiline = false;
  let extended = true;
  for (const flag of flags) {
    if (flag === 'i') insensitive = !insensitive;
    else if (flag === 'm') multiline = !multiline;
    else if (flag === 'x') extended = !extended;
    else throw new Error(`${where}: unknown flag "${flag}" (regexp_table flags are i, m and x)`);
  }
  if (!extended) throw new Error(`${where}: the x flag turns off extended syntax; POSIX basic regular expressions are not supported (remove the x)`);
  const translated = source.replace(/\[:([a-z]+):\]/g, (whole, name: string) => POSIX_CLASSES[name] ?? whole);
  // Without m, POSIX regexec treats a newline as an ordinary character: "." matches it (a folded header is one string).
  try {
    return new RegExp(translated, `${insensitive ? 'i' : ''}${multiline ? 'm' : 's'}`);
  } catch (error) {
    throw new Error(`${where}: bad regular expression /${source}/: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`);
  }
}

/**
 * Splits `!/re/flags rest` (dict_regexp.c): the delimiter is the first
 * character, a backslash keeps the next character in the pattern.
 */
function parsePattern(text: string, where: string): { pattern: Pattern; rest: string } {
  let at = 0;
  const negated = text.startsWith('!');
  if (negated) at++;
  const delimiter = text.charAt(at);
  if (delimiter === '' || /[\sA-Za-z0-9]/.test(delimiter)) throw new Error(`${where}: expected /pattern/ or !/pattern/, found "${text}"`);
  let end = at + 1;
  while (end < text.length && text.charAt(end) !== delimiter) end += text.charAt(end) === '\\' ? 2 : 1;
  if (end >= text.length) throw new Error(`${where}: the pattern has no closing ${delimiter}`);
  const source = text.slice(at + 1, end);
  const flagsMatch = /^[^\s]*/.exec(text.slice(end + 1));
  const flags = flagsMatch?.[0] ?? '';
  return { pattern: { regexp: compilePattern(source, flags, where), negated }, rest: text.slice(end + 1 + flags.length).trim() };
}

/** Logical lines: comments and blank lines dropped, a line starting with whitespace continues the one above. */
function logicalLines(text: string): { text: string; line: number }[] {
  const lines: { text: string; line: number }[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    if (/^\s*(#|$)/.test(raw)) return;
    const last = lines.at(-1);
    if (/^\s/.test(raw) && last) last.text += ` ${raw.trim()}`;
    else lines.push({ text: raw.trim(), line: index + 1 });
  });
  return lines;
}

/**
 * Parses a table. `checkResult` validates each result (the table's user
 * knows what a result means); every problem is thrown as one Error naming
 * file:line, as Postfix names the line it cannot read.
 */
export function parseRegexpTable(text: string, name: string, checkResult: (result: string, where: string) => void): TableRule[] {
  const root: TableRule[] = [];
  const open: { rules: TableRule[]; line: number }[] = [{ rules: root, line: 0 }];
  for (const { text: line, line: number } of logicalLines(text)) {
    const where = `${name}:${number}`;
    const current = open.at(-1)!.rules;
    if (/^endif$/i.test(line)) {
      if (open.length === 1) throw new Error(`${where}: endif without if`);
      open.pop();
      continue;
    }
    const conditional = /^if\s+(.*)$/i.exec(line);
    if (conditional) {
      const { pattern, rest } = parsePattern(conditional[1] ?? '', where);
      if (rest !== '') throw new Error(`${where}: "if /pattern/" takes no result (found "${rest}")`);
      const rule: TableRule = { kind: 'if', pattern, rules: [], line: number };
      current.push(rule);
      open.push({ rules: rule.rules, line: number });
      continue;
    }
    const { pattern, rest } = parsePattern(line, where);
    if (rest === '') throw new Error(`${where}: the pattern has no result (e.g. "/^Subject: spam/ REJECT")`);
    checkResult(rest, where);
    current.push({ kind: 'match', pattern, result: rest, line: number });
  }
  if (open.length > 1) throw new Error(`${name}:${open.at(-1)!.line}: if without endif`);
  return root;
}

/** Reads and parses a table file; a missing or unreadable file is an Error naming it. */
export function readRegexpTable(path: string, checkResult: (result: string, where: string) => void): TableRule[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${path}: cannot read it: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseRegexpTable(text, path, checkResult);
}

/** regexp_table "TEXT SUBSTITUTION": $1, ${1}, $(1) and $$. */
function substitute(result: string, groups: RegExpExecArray): string {
  return result.replace(/\$(?:\$|(\d+)|\{(\d+)\}|\((\d+)\))/g, (whole, a?: string, b?: string, c?: string) => {
    if (whole === '$$') return '$';
    return groups[Number(a ?? b ?? c)] ?? '';
  });
}

/** The first rule that matches `input`, in file order, entering an if..endif only when its condition holds. */
export function lookupRegexpTable(rules: readonly TableRule[], input: string): TableMatch | null {
  for (const rule of rules) {
    const groups = rule.pattern.regexp.exec(input);
    const applies = rule.pattern.negated ? groups === null : groups !== null;
    if (!applies) continue;
    if (rule.kind === 'if') {
      const inner = lookupRegexpTable(rule.rules, input);
      if (inner) return inner;
      continue;
    }
    // Negated patterns have nothing to substitute (regexp_table(5)).
    return { result: groups && !rule.pattern.negated ? substitute(rule.result, groups) : rule.result, line: rule.line };
  }
  return null;
}
