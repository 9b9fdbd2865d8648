// RFC 5228 §2.6 and §3: checks each command and test against its spec, its capability against `require`,
// and the placement of require/elsif/else; builds the checked tree the interpreter runs.
import type { Argument, Command, Node, Position, Script, Test, Value } from './ast.js';
import { decodeEncodedCharacters } from './encoded-character.js';
import { SieveSyntaxError } from './lexer.js';
import { CAPABILITIES, COMMANDS, DATE_PARTS, RELATIONS, TESTS, type ArgType, type Spec } from './spec.js';
import { isValidRedirectAddress } from './address-parts.js';

const COMPARATORS: Record<string, string | null> = {
  'i;octet': null,
  'i;ascii-casemap': null,
  // RFC 5231 §7 / RFC 4790 §9.1: i;ascii-numeric needs its "comparator-" capability.
  'i;ascii-numeric': 'comparator-i;ascii-numeric',
};

const fail = (message: string, pos: Position): never => {
  throw new SieveSyntaxError(message, pos);
};

export function checkScript(script: Script): { capabilities: string[]; commands: Node[] } {
  const capabilities = new Set<string>();
  let requireAllowed = true;

  const value = (arg: Argument): Value => {
    if (arg.kind === 'number') return arg.value;
    const decode = (s: string): string => (capabilities.has('encoded-character') ? decodeEncodedCharacters(s) : s);
    if (arg.kind === 'string') return decode(arg.value);
    if (arg.kind === 'string-list') return arg.values.map(decode);
    return fail('internal: tag as value', arg.pos);
  };
  const fits = (arg: Argument, type: ArgType): boolean =>
    type === 'number' ? arg.kind === 'number' : type === 'string' ? arg.kind === 'string' : arg.kind === 'string' || arg.kind === 'string-list';
  const typeName = (type: ArgType): string => (type === 'string-list' ? 'a string list' : `a ${type}`);
  const argName = (arg: Argument): string => (arg.kind === 'string-list' ? 'a string list' : arg.kind === 'tag' ? `tag :${arg.name}` : `a ${arg.kind}`);

  const node = (item: Command | Test, spec: Spec, what: string): Node => {
    if (spec.capability && !capabilities.has(spec.capability)) {
      fail(`${what} "${item.name}" needs require "${spec.capability}"`, item.pos);
    }
    const tags: Node['tags'] = {};
    const groups = new Map<string, string>();
    const positional: Argument[] = [];
    for (let i = 0; i < item.args.length; i++) {
      const arg = item.args[i]!;
      if (arg.kind !== 'tag') {
        positional.push(arg);
        continue;
      }
      // RFC 5228 §2.6.2: tagged arguments come before positional ones.
      if (positional.length > 0) fail(`tag :${arg.name} must come before the positional arguments of ${item.name}`, arg.pos);
      const tag = spec.tags[arg.name];
      if (!tag) fail(`${item.name} has no tagged argument :${arg.name}`, arg.pos);
      if (tag!.capability && !capabilities.has(tag!.capability)) fail(`:${arg.name} needs require "${tag!.capability}"`, arg.pos);
      if (arg.name in tags) fail(`:${arg.name} given twice`, arg.pos);
      if (tag!.group) {
        const other = groups.get(tag!.group);
        if (other) fail(`:${arg.name} cannot be used with :${other}`, arg.pos);
        groups.set(tag!.group, arg.name);
      }
      if (tag!.takes) {
        const param = item.args[i + 1];
        if (!param || param.kind === 'tag' || !fits(param, tag!.takes)) {
          fail(`:${arg.name} takes ${typeName(tag!.takes)}`, param && param.kind !== 'tag' ? param.pos : arg.pos);
        }
        tags[arg.name] = value(param!);
        i++;
      } else tags[arg.name] = true;
    }
    const form = spec.positional.find((f) => f.length === positional.length);
    if (!form) {
      const counts = spec.positional.map((f) => f.length).join(' or ');
      fail(`${item.name} takes ${counts} positional argument${counts === '1' ? '' : 's'}, not ${positional.length}`, positional[0]?.pos ?? item.pos);
    }
    form!.forEach((type, i) => {
      const arg = positional[i]!;
      if (!fits(arg, type)) fail(`${item.name} argument ${i + 1} must be ${typeName(type)}, not ${argName(arg)}`, arg.pos);
    });
    if (spec.tests === 'none' && item.tests.length > 0) fail(`${item.name} takes no test`, item.tests[0]!.pos);
    if (spec.tests === 'one' && item.tests.length !== 1) fail(`${item.name} takes exactly one test`, item.tests[1]?.pos ?? item.pos);
    if (spec.tests === 'list' && item.tests.length === 0) fail(`${item.name} takes a test list`, item.pos);
    const tests = item.tests.map(checkTest);
    const result: Node = { name: item.name, pos: item.pos, tags, args: positional.map(value), tests, block: null };
    checkTagValues(result, item);
    return result;
  };

  // Values that must be valid when constant; those built from variables are checked at run time.
  const checkTagValues = (n: Node, item: Command | Test): void => {
    const posOf = (tag: string): Position => item.args.find((a) => a.kind === 'tag' && a.name === tag)?.pos ?? item.pos;
    const comparator = typeof n.tags.comparator === 'string' ? n.tags.comparator.toLowerCase() : undefined;
    if (comparator !== undefined) {
      if (!(comparator in COMPARATORS)) fail(`unknown comparator "${comparator}"`, posOf('comparator'));
      const needs = COMPARATORS[comparator];
      if (needs && !capabilities.has(needs)) fail(`comparator "${comparator}" needs require "${needs}"`, posOf('comparator'));
      // RFC 4790 §9.1: i;ascii-numeric has no substring operation.
      if (comparator === 'i;ascii-numeric' && (n.tags.contains || n.tags.matches)) {
        fail(`comparator "${comparator}" cannot be used with :${n.tags.contains ? 'contains' : 'matches'}`, posOf('comparator'));
      }
    }
    for (const tag of ['value', 'count'] as const) {
      const relation = n.tags[tag];
      if (typeof relation === 'string' && !(RELATIONS as readonly string[]).includes(relation.toLowerCase())) {
        fail(`:${tag} needs one of ${RELATIONS.join(', ')}, not "${relation}"`, posOf(tag));
      }
    }
    // RFC 5228 §5.9: size needs :over or :under.
    if (n.name === 'size' && !n.tags.over && !n.tags.under) fail('size needs :over or :under', item.pos);
    if (n.tags.last && n.name !== 'addheader' && n.tags.index === undefined) fail(':last needs :index', posOf('last'));
    if (typeof n.tags.index === 'number' && n.tags.index < 1) fail(':index counts from 1', posOf('index'));
    if (typeof n.tags.zone === 'string' && !/^[+-]\d{4}$/.test(n.tags.zone)) fail(`:zone needs "+hhmm" or "-hhmm", not "${n.tags.zone}"`, posOf('zone'));
    const datePart = n.name === 'date' ? n.args[1] : n.name === 'currentdate' ? n.args[0] : undefined;
    if (typeof datePart === 'string' && !datePart.includes('${') && !(DATE_PARTS as readonly string[]).includes(datePart.toLowerCase())) {
      fail(`unknown date part "${datePart}"`, positionalPos(item, n.name === 'date' ? 1 : 0));
    }
    if (n.name === 'redirect' && typeof n.args[0] === 'string' && !n.args[0].includes('${') && !isValidRedirectAddress(n.args[0])) {
      fail(`redirect needs an address, not "${n.args[0]}"`, positionalPos(item, 0));
    }
    if (n.name === 'set' && typeof n.args[0] === 'string' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(n.args[0])) {
      fail(`bad variable name "${n.args[0]}"`, positionalPos(item, 0));
    }
    if (n.name === 'envelope') {
      const parts = n.args[0];
      for (const part of typeof parts === 'string' ? [parts] : (parts as string[])) {
        if (!part.includes('${') && !['from', 'to', 'auth'].includes(part.toLowerCase())) {
          fail(`unknown envelope part "${part}"`, positionalPos(item, 0));
        }
      }
    }
  };

  const checkTest = (t: Test): Node => {
    const spec = TESTS[t.name];
    if (!spec) return fail(`unknown test "${t.name}"`, t.pos);
    return node(t, spec, 'test');
  };

  const block = (commands: Command[], top: boolean): Node[] => {
    const out: Node[] = [];
    let previous: string | null = null;
    for (const c of commands) {
      const spec = COMMANDS[c.name];
      if (!spec) fail(`unknown command "${c.name}"`, c.pos);
      if (c.name === 'require') {
        // RFC 5228 §3.2: require only at the start of the script.
        if (!top || !requireAllowed) fail('require must come before any other command', c.pos);
      } else requireAllowed = false;
      if ((c.name === 'elsif' || c.name === 'else') && previous !== 'if' && previous !== 'elsif') {
        fail(`${c.name} must follow if or elsif`, c.pos);
      }
      const n = node(c, spec!, 'command');
      if (spec!.block && c.block === null) fail(`${c.name} needs a block`, c.pos);
      if (!spec!.block && c.block !== null) fail(`${c.name} takes no block`, c.pos);
      if (c.name === 'require') {
        const names = n.args[0]!;
        for (const name of typeof names === 'string' ? [names] : (names as string[])) {
          if (!CAPABILITIES.includes(name.toLowerCase())) fail(`unknown capability "${name}"`, c.args[0]!.pos);
          capabilities.add(name.toLowerCase());
        }
      }
      if (c.block) n.block = block(c.block, false);
      out.push(n);
      previous = c.name;
    }
    return out;
  };

  const commands = block(script.commands, true);
  return { capabilities: [...capabilities], commands };
}

function positionalPos(item: Command | Test, index: number): Position {
  return item.args.filter((a) => a.kind !== 'tag')[index]?.pos ?? item.pos;
}
