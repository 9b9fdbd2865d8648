// ESEARCH (RFC 4731): SEARCH RETURN (MIN MAX ALL COUNT) is answered with one ESEARCH response; SAVE (RFC 5182) keeps the result.
import { nodeWord } from './command-args.js';
import { imapHandler, type CommandNode, type ParsedCommand } from './imap-core.js';
import { uidSet } from './uid-sets.js';

/** RFC 4731 §3.1 and RFC 5182 §2.1 (SAVE): the result options this server knows; any other is a BAD. */
const RESULT_OPTIONS = ['MIN', 'MAX', 'ALL', 'COUNT', 'SAVE'] as const;
type ResultOption = (typeof RESULT_OPTIONS)[number];

/** Builds the ESEARCH line from the matching numbers (ascending) and the MODSEQ to report, if any. */
export type EsearchResponse = (numbers: number[], modseq: number | false) => string;

function atom(value: string | number): CommandNode {
  return { type: 'ATOM', value: String(value) };
}

/**
 * Takes `RETURN (…)` off the front of a SEARCH command (RFC 4731 §3.1:
 * search-return-opts come before the charset and the keys). Returns false for
 * a plain SEARCH, an Error (answered BAD) for an unknown or malformed option,
 * else the function that words the ESEARCH answer (and hands SAVE's messages to `save`).
 */
export function takeSearchReturn(command: ParsedCommand, isUid: boolean, save?: (numbers: number[]) => void): EsearchResponse | Error | false {
  if (nodeWord(command.attributes[0]) !== 'RETURN') return false;
  const list = command.attributes[1];
  if (!Array.isArray(list)) return new Error('SEARCH RETURN needs a list of result options');
  const options = new Set<ResultOption>();
  for (const node of list) {
    const name = nodeWord(node) ?? '';
    if (!(RESULT_OPTIONS as readonly string[]).includes(name)) return new Error(`Unknown SEARCH result option ${name || '(none)'}`);
    options.add(name as ResultOption);
  }
  const saving = options.delete('SAVE');
  if (saving && !save) return new Error('SEARCH RETURN (SAVE) is not available with this command');
  // RFC 4731 §3.1: RETURN () means RETURN (ALL).
  if (options.size === 0 && !saving) options.add('ALL');
  command.attributes.splice(0, 2);
  if (command.attributes.length === 0) return new Error('SEARCH needs a search key');
  return (numbers, modseq) => {
    if (saving) save!(savedPart(options, numbers));
    // RFC 5182 §2.1: SAVE alone answers no ESEARCH (and no SEARCH) response.
    return options.size === 0 ? '' : esearchLine(command.tag, isUid, options, numbers, modseq);
  };
}

/**
 * RFC 5182 §2.1: beside MIN and/or MAX alone, SAVE keeps only the messages
 * they return; beside ALL or COUNT, or alone, it keeps every match.
 */
function savedPart(options: Set<ResultOption>, numbers: number[]): number[] {
  if (options.has('ALL') || options.has('COUNT') || options.size === 0 || numbers.length === 0) return numbers;
  const picked = new Set<number>();
  if (options.has('MIN')) picked.add(numbers[0]!);
  if (options.has('MAX')) picked.add(numbers[numbers.length - 1]!);
  return [...picked];
}

/**
 * RFC 4731 §3.1: `* ESEARCH (TAG "tag") [UID] …`; MIN, MAX and ALL are left
 * out when nothing matched, COUNT is 0 then. RFC 7162 §3.1.5: MODSEQ follows
 * when the search used MODSEQ.
 */
function esearchLine(tag: string, isUid: boolean, options: Set<ResultOption>, numbers: number[], modseq: number | false): string {
  const attributes: CommandNode[] = [[atom('TAG'), { type: 'STRING', value: tag }]];
  if (isUid) attributes.push(atom('UID'));
  if (numbers.length > 0) {
    if (options.has('MIN')) attributes.push(atom('MIN'), atom(numbers[0]!));
    if (options.has('MAX')) attributes.push(atom('MAX'), atom(numbers[numbers.length - 1]!));
    // RFC 4731 §3.1: ALL is a sequence-set, as compact as the server makes it.
    if (options.has('ALL')) attributes.push(atom('ALL'), { type: 'SEQUENCE', value: uidSet(numbers) });
  }
  if (options.has('COUNT')) attributes.push(atom('COUNT'), atom(numbers.length));
  if (modseq) attributes.push(atom('MODSEQ'), atom(modseq));
  return imapHandler.compiler({ tag: '*', command: 'ESEARCH', attributes });
}
