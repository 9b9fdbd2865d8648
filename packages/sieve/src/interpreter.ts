// RFC 5228 §2.10 execution: commands and tests over one message, the action list, implicit keep
// (§2.10.2), duplicate actions (§2.10.3), stop (§3.3), and the extensions' runtime rules.
import type { Node, Value } from './ast.js';
import { addressesOf, addressPart, bareAddress, isValidRedirectAddress, splitAddress, type AddressPart, type SimpleAddress } from './address-parts.js';
import { Budget, BudgetExceeded } from './budget.js';
import { datePart, parseRfc5322DateTime, zoneMinutes, type ZonedDate } from './date-parts.js';
import { matchAny, matchSpecOf, quoteWildcards } from './match.js';
import { decodeHeader, SieveMessage } from './message.js';
import type { SieveAction, SieveResult, SieveRunInput, SieveScript } from './types.js';
import { resolveActions } from './action-list.js';
import { normalizeFlags } from './flags.js';
import { defaultHandle, vacationPeriodSeconds, vacationRefusal } from './vacation.js';

/** RFC 5229 §6: implementations may limit variable length; longer values are cut here. */
const MAX_VARIABLE_LENGTH = 4096;
/** Fields editheader never touches (trace and auto-reply fields, as Pigeonhole protects them). */
const PROTECTED_FIELDS = new Set(['received', 'auto-submitted']);

class RuntimeError extends Error {}

class Stop {}

export function interpret(script: SieveScript, input: SieveRunInput): SieveResult {
  const run = new Run(script, input);
  try {
    run.block(script.commands);
  } catch (error) {
    if (!(error instanceof Stop)) {
      if (error instanceof RuntimeError || error instanceof BudgetExceeded) return failed(error.message);
      return failed(`internal error: ${(error as Error).message}`);
    }
  }
  try {
    return { actions: run.finish(), error: null };
  } catch (error) {
    return failed((error as Error).message);
  }
}

// RFC 5228 §2.10.6: a run-time error cancels every action and the implicit keep is done.
const failed = (error: string): SieveResult => ({ actions: [{ type: 'keep', flags: [] }], error });

class Run {
  private readonly budget: Budget;
  private readonly message: SieveMessage;
  private readonly caps: Set<string>;
  private readonly variables = new Map<string, string>();
  private matchGroups: string[] = [];
  private readonly actions: SieveAction[] = [];
  private implicitKeep = true;
  private readonly delimiter: string;
  private readonly now: Date;

  constructor(
    script: SieveScript,
    private readonly input: SieveRunInput,
  ) {
    this.budget = new Budget(input.budget);
    this.message = new SieveMessage(input.message);
    this.caps = new Set(script.capabilities);
    this.delimiter = input.recipientDelimiter ?? '+';
    this.now = input.now ?? new Date();
  }

  block(commands: readonly Node[]): void {
    // The outcome of the last if/elsif in this block: null when none is pending.
    let chain: boolean | null = null;
    for (const c of commands) {
      this.budget.spend(1);
      if (c.name === 'if') {
        chain = this.test(c.tests[0]!);
        if (chain) this.block(c.block!);
      } else if (c.name === 'elsif') {
        if (chain === false) {
          chain = this.test(c.tests[0]!);
          if (chain) this.block(c.block!);
        }
      } else if (c.name === 'else') {
        if (chain === false) this.block(c.block!);
        chain = null;
      } else {
        chain = null;
        this.command(c);
      }
    }
  }

  // RFC 5229 §3: "${name}" and "${N}" expanded in strings once variables is required.
  private expand(text: string): string {
    if (!this.caps.has('variables') || !text.includes('${')) return text;
    this.budget.spendBytes(text.length);
    const out = text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*|[0-9]+)\}/g, (_, name: string) => {
      if (/^[0-9]/.test(name)) return this.matchGroups[Number(name)] ?? '';
      return this.variables.get(name.toLowerCase()) ?? '';
    });
    this.budget.spendBytes(out.length);
    return out;
  }

  private str(value: Value | true | undefined): string {
    return typeof value === 'string' ? this.expand(value) : '';
  }

  private list(value: Value | true | undefined): string[] {
    if (typeof value === 'string') return [this.expand(value)];
    if (Array.isArray(value)) return value.map((v) => this.expand(v));
    return [];
  }

  private emit(action: SieveAction): void {
    this.budget.action();
    this.actions.push(action);
  }

  private command(c: Node): void {
    switch (c.name) {
      case 'require':
        return;
      case 'stop':
        throw new Stop();
      case 'keep':
        this.emit({ type: 'keep', flags: this.flagsFor(c) });
        this.implicitKeep = false;
        return;
      case 'discard':
        this.emit({ type: 'discard' });
        this.implicitKeep = false;
        return;
      case 'fileinto': {
        const mailbox = this.str(c.args[0]);
        const create = c.tags.create === true;
        const copy = c.tags.copy === true;
        if (mailbox === '') throw new RuntimeError('fileinto: empty mailbox name');
        // RFC 5490 §3.2: without :create, filing into a missing mailbox fails (and so keeps).
        if (!create && this.input.mailboxExists && !this.input.mailboxExists(mailbox)) throw new RuntimeError(`fileinto: mailbox "${mailbox}" does not exist`);
        this.emit({ type: 'fileinto', mailbox, flags: this.flagsFor(c), create, copy });
        // RFC 3894 §3: :copy leaves the implicit keep alone.
        if (!copy) this.implicitKeep = false;
        return;
      }
      case 'redirect': {
        const address = this.str(c.args[0]);
        if (!isValidRedirectAddress(address)) throw new RuntimeError(`redirect: "${address}" is not an address`);
        const copy = c.tags.copy === true;
        this.emit({ type: 'redirect', address: bareAddress(address), copy });
        if (!copy) this.implicitKeep = false;
        return;
      }
      case 'reject':
      case 'ereject':
        this.emit({ type: 'reject', reason: this.str(c.args[0]), extended: c.name === 'ereject' });
        this.implicitKeep = false;
        return;
      case 'vacation':
        return this.vacation(c);
      case 'setflag':
      case 'addflag':
      case 'removeflag':
        return this.flagCommand(c);
      case 'set':
        return this.set(c);
      case 'addheader':
        return this.addheader(c);
      case 'deleteheader':
        return this.deleteheader(c);
      default:
        throw new RuntimeError(`unsupported command ${c.name}`);
    }
  }

  // RFC 5232 §3: flags are a space-separated set kept in a variable (with variables, the same ${name}), or in the internal one.
  private flagVariable(name: string): string[] {
    return normalizeFlags([this.variables.get(flagKey(name)) ?? '']);
  }

  private flagCommand(c: Node): void {
    const variable = c.args.length === 2 ? this.str(c.args[0]) : '';
    const flags = normalizeFlags(this.list(c.args[c.args.length - 1]));
    const current = this.flagVariable(variable);
    let next: string[];
    if (c.name === 'setflag') next = flags;
    else if (c.name === 'addflag') next = normalizeFlags([...current, ...flags]);
    else {
      const drop = new Set(flags.map((f) => f.toLowerCase()));
      next = current.filter((f) => !drop.has(f.toLowerCase()));
    }
    this.variables.set(flagKey(variable), next.join(' ').slice(0, MAX_VARIABLE_LENGTH));
  }

  /** RFC 5232 §5: :flags replaces the internal flags for this action; without it the internal flags apply. */
  private flagsFor(c: Node): string[] {
    if (!this.caps.has('imap4flags')) return [];
    if (c.tags.flags !== undefined) return normalizeFlags(this.list(c.tags.flags));
    return this.flagVariable('');
  }

  // RFC 5229 §4: set with modifiers applied from the highest precedence (§4.1).
  private set(c: Node): void {
    const name = this.str(c.args[0]).toLowerCase();
    let value = this.str(c.args[1]);
    if (c.tags.lower) value = value.toLowerCase();
    if (c.tags.upper) value = value.toUpperCase();
    if (c.tags.lowerfirst) value = value.charAt(0).toLowerCase() + value.slice(1);
    if (c.tags.upperfirst) value = value.charAt(0).toUpperCase() + value.slice(1);
    if (c.tags.quotewildcard) value = quoteWildcards(value);
    if (c.tags.length) value = String([...value].length);
    this.variables.set(name, value.slice(0, MAX_VARIABLE_LENGTH));
  }

  private vacation(c: Node): void {
    if (this.actions.some((a) => a.type === 'vacation')) throw new RuntimeError('vacation: only one vacation action per run (RFC 5230 §4.7)');
    this.budget.action();
    const reason = this.str(c.args[0]);
    const subjectArg = c.tags.subject !== undefined ? this.str(c.tags.subject) : null;
    const from = c.tags.from !== undefined ? this.str(c.tags.from) : null;
    const mime = c.tags.mime === true;
    const own = [...(this.input.userAddresses ?? []), this.input.envelope.to, ...this.list(c.tags.addresses)].map((a) =>
      isValidRedirectAddress(a) ? bareAddress(a) : a,
    );
    if (vacationRefusal(this.message, this.input.envelope.from, own) !== null) return;
    // RFC 5230 §4.3: the default subject is "Auto:" and the original subject.
    const subject = subjectArg ?? `Auto: ${this.message.values('subject')[0]?.trim() ?? ''}`.trimEnd();
    const handle = c.tags.handle !== undefined ? this.str(c.tags.handle) : defaultHandle(reason, subjectArg, from, mime);
    const period = vacationPeriodSeconds(typeof c.tags.days === 'number' ? c.tags.days : undefined, typeof c.tags.seconds === 'number' ? c.tags.seconds : undefined);
    this.actions.push({ type: 'vacation', replyTo: this.input.envelope.from, from, subject, reason, mime, handle, periodSeconds: period });
  }

  // RFC 5293 §4: addheader [:last] <field-name> <value>; the new field is seen by later tests.
  private addheader(c: Node): void {
    const name = this.str(c.args[0]);
    const value = this.str(c.args[1]);
    if (!/^[!-9;-~]+$/.test(name)) throw new RuntimeError(`addheader: "${name}" is not a field name`);
    if (PROTECTED_FIELDS.has(name.toLowerCase())) return;
    const last = c.tags.last === true;
    const field = { name: name.toLowerCase(), raw: value.replace(/\r?\n/g, ' ').trim() };
    this.message.add(field, last);
    this.emit({ type: 'addheader', name, value, last });
  }

  // RFC 5293 §5: deleteheader [:index n [:last]] [COMPARATOR] [MATCH-TYPE] <field-name> [<value-patterns>].
  private deleteheader(c: Node): void {
    const name = this.str(c.args[0]);
    if (PROTECTED_FIELDS.has(name.toLowerCase())) return;
    const patterns = c.args.length === 2 ? this.list(c.args[1]) : undefined;
    const spec = matchSpecOf(c.tags);
    this.budget.spend(this.message.fields.length);
    const same = this.message.named(name);
    let chosen = same;
    const index = typeof c.tags.index === 'number' ? c.tags.index : undefined;
    if (index !== undefined) {
      const at = c.tags.last ? same[same.length - index] : same[index - 1];
      chosen = at === undefined ? [] : [at];
    }
    if (patterns) chosen = chosen.filter((field) => matchAny([decodeHeader(field.raw)], patterns, spec, this.budget));
    this.message.remove(new Set(chosen));
    const action: SieveAction = { type: 'deleteheader', name };
    if (index !== undefined) action.index = index;
    if (c.tags.last) action.last = true;
    if (patterns) action.patterns = patterns;
    this.emit(action);
  }

  test(t: Node): boolean {
    this.budget.spend(1);
    switch (t.name) {
      case 'true':
        return true;
      case 'false':
        return false;
      case 'not':
        return !this.test(t.tests[0]!);
      case 'allof':
        return t.tests.every((x) => this.test(x));
      case 'anyof':
        return t.tests.some((x) => this.test(x));
      case 'exists':
        return this.list(t.args[0]).every((name) => this.values(name).length > 0);
      case 'size': {
        const limit = t.args[0] as number;
        return t.tags.over ? this.input.message.length > limit : this.input.message.length < limit;
      }
      case 'header':
        return this.compare(t, this.indexed(t, this.list(t.args[0]).flatMap((name) => this.values(name))), this.list(t.args[1]));
      case 'address':
        return this.compare(t, this.addressValues(t), this.list(t.args[1]));
      case 'envelope':
        return this.compare(t, this.envelopeValues(t), this.list(t.args[1]));
      case 'body':
        return this.compare(t, this.bodyValues(t), this.list(t.args[0]));
      case 'string':
        // RFC 5229 §5: empty source strings are not counted by :count.
        return this.compare(t, this.list(t.args[0]).filter((s) => s !== '' || !t.tags.count), this.list(t.args[1]));
      case 'hasflag': {
        const variables = t.args.length === 2 ? this.list(t.args[0]) : [''];
        const flags = normalizeFlags(variables.flatMap((v) => this.flagVariable(v)));
        return this.compare(t, flags, this.list(t.args[t.args.length - 1]));
      }
      case 'mailboxexists':
        return this.list(t.args[0]).every((name) => this.input.mailboxExists?.(name) ?? false);
      case 'date':
        return this.dateTest(t);
      case 'currentdate': {
        const value = datePart(this.zoned({ utc: this.now.getTime(), offset: localOffset(this.now) }, t), this.str(t.args[0]));
        if (value === null) throw new RuntimeError(`unknown date part "${this.str(t.args[0])}"`);
        return this.compare(t, [value], this.list(t.args[1]));
      }
      default:
        throw new RuntimeError(`unsupported test ${t.name}`);
    }
  }

  /** The values of a header field, charged by the fields found and the text decoded. */
  private values(name: string, raw = false): string[] {
    const values = raw ? this.message.rawValues(name) : this.message.values(name);
    this.budget.spend(1 + values.length);
    for (const value of values) this.budget.spendBytes(value.length);
    return values;
  }

  /** Runs the match and, for a successful :matches with variables, sets ${0}..${N} (RFC 5229 §3.2). */
  private compare(t: Node, values: string[], keys: string[]): boolean {
    return matchAny(values, keys, matchSpecOf(t.tags), this.budget, (groups) => {
      if (this.caps.has('variables')) this.matchGroups = groups.map((g) => g.slice(0, MAX_VARIABLE_LENGTH));
    });
  }

  /** RFC 5260 §6: :index N picks the Nth occurrence (from the end with :last). */
  private indexed<T>(t: Node, items: T[]): T[] {
    const index = t.tags.index;
    if (typeof index !== 'number') return items;
    const item = t.tags.last ? items[items.length - index] : items[index - 1];
    return item === undefined ? [] : [item];
  }

  private part(t: Node, address: SimpleAddress): string | null {
    const part = (['localpart', 'domain', 'user', 'detail'] as const).find((p) => t.tags[p]) ?? 'all';
    return addressPart(address, part as AddressPart, this.delimiter);
  }

  private addressValues(t: Node): string[] {
    const fields = this.indexed(t, this.list(t.args[0]).flatMap((name) => this.values(name, true)));
    const out: string[] = [];
    for (const raw of fields) {
      this.budget.spend(raw.length);
      for (const address of addressesOf(raw)) {
        const value = this.part(t, address);
        if (value !== null) out.push(decodeHeader(value));
      }
    }
    return out;
  }

  // RFC 5228 §5.4: "from" and "to" of the envelope; the null reverse-path matches "" whatever the address part.
  private envelopeValues(t: Node): string[] {
    const out: string[] = [];
    for (const name of this.list(t.args[0])) {
      const part = name.toLowerCase();
      const address = part === 'from' ? this.input.envelope.from : part === 'to' ? this.input.envelope.to : part === 'auth' ? this.input.envelope.auth : undefined;
      if (address === undefined) continue;
      if (address === '') {
        out.push('');
        continue;
      }
      const value = this.part(t, splitAddress(address));
      if (value !== null) out.push(value);
    }
    return out;
  }

  private bodyValues(t: Node): string[] {
    if (t.tags.raw) {
      this.budget.spendBytes(this.input.message.length);
      return [this.message.rawBody()];
    }
    const types = t.tags.content !== undefined ? this.list(t.tags.content) : ['text'];
    return this.message.content(types, this.budget);
  }

  // RFC 5260 §4: date [:zone z | :originalzone] [:index] <header-name> <date-part> <key-list>.
  private dateTest(t: Node): boolean {
    const part = this.str(t.args[1]);
    const field = this.str(t.args[0]).toLowerCase();
    const dates = this.indexed(t, this.values(field))
      // RFC 5260 §4: in Received the date-time is what follows the last ";" (RFC 5321 §4.4).
      .map((value) => parseRfc5322DateTime(field === 'received' ? value.slice(value.lastIndexOf(';') + 1) : value))
      .filter((d): d is ZonedDate => d !== null);
    const values: string[] = [];
    for (const date of dates) {
      const value = datePart(this.zoned(date, t), part);
      if (value === null) throw new RuntimeError(`unknown date part "${part}"`);
      values.push(value);
    }
    return this.compare(t, values, this.list(t.args[2]));
  }

  /** The action list to hand back (see resolveActions). */
  finish(): SieveAction[] {
    return resolveActions(this.actions, this.implicitKeep, this.caps.has('imap4flags') ? this.flagVariable('') : []);
  }

  /** RFC 5260 §4.1: :zone converts, :originalzone keeps the field's zone, neither converts to local time. */
  private zoned(date: ZonedDate, t: Node): ZonedDate {
    if (typeof t.tags.zone === 'string') {
      const zone = this.str(t.tags.zone);
      if (!/^[+-]\d{4}$/.test(zone)) throw new RuntimeError(`bad :zone "${zone}"`);
      return { utc: date.utc, offset: zoneMinutes(zone) };
    }
    if (t.tags.originalzone) return date;
    return { utc: date.utc, offset: localOffset(new Date(date.utc)) };
  }
}

/** The variable holding a flag list: the named one (case-insensitive, RFC 5229 §3), or the internal one, which no name can reach. */
function flagKey(name: string): string {
  return name === '' ? '\0imap4flags' : name.toLowerCase();
}

function localOffset(date: Date): number {
  return -date.getTimezoneOffset();
}
