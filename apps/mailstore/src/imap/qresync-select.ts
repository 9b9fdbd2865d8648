// SELECT/EXAMINE with the QRESYNC parameter (RFC 7162 §3.2.5), and the CLOSED response code (§3.2.11).
import type { Mailbox, MessageFlags, Store } from '@postern/store';
import { nodeText, nodeWord } from './command-args.js';
import { imapHandler, type CommandHandler, type CommandNode, type ImapSession, type ParsedCommand } from './imap-core.js';
import { flagsWithRecent } from './recent.js';
import { sessionState, writeResponse } from './session.js';
import { clampRanges, inRanges, parseUidSet, rangeNumbers, rangesSize, type UidRange } from './uid-sets.js';
import { expungedSince, vanishedEarlierLine } from './vanished.js';

/** RFC 7162 §3.2.5: `QRESYNC (uidvalidity mod-sequence-value [known-uids [seq-match-data]])`. */
export interface QresyncRequest {
  uidValidity: number;
  modseq: number;
  /** known-uids as sent; absent means every UID the mailbox has given out. */
  knownUids: string | null;
  /** seq-match-data (§3.2.5.2): the client's message numbers and the UIDs it has for them. */
  seqMatch: { sequences: string; uids: string } | null;
}

const NZ_NUMBER = /^[1-9]\d{0,9}$/;
const MOD_SEQUENCE = /^\d{1,19}$/;

function invalid(message: string): Error {
  return new Error(`Invalid QRESYNC parameter: ${message}`);
}

/** RFC 7162 §7: known-uids, known-sequence-set and known-uid-set are sequence-sets without "*". */
function knownSet(text: string | null): UidRange[] | null {
  return text === null || text.includes('*') ? null : parseUidSet(text, 0);
}

function parseRequest(node: CommandNode | undefined): QresyncRequest | Error {
  if (!Array.isArray(node) || node.length < 2 || node.length > 4) return invalid('expected (uidvalidity modseq [known-uids [seq-match-data]])');
  const [validity, modseq, third, fourth] = node.map((item) => (Array.isArray(item) ? item : nodeText(item)));
  if (typeof validity !== 'string' || !NZ_NUMBER.test(validity) || Number(validity) > 0xffffffff) return invalid('uidvalidity is not a number');
  if (typeof modseq !== 'string' || !MOD_SEQUENCE.test(modseq)) return invalid('mod-sequence is not a number');
  // The known UIDs may be left out before the sequence match data.
  const knownUids = typeof third === 'string' ? third : null;
  const match = Array.isArray(third) ? third : fourth;
  if (knownUids !== null && !knownSet(knownUids)) return invalid('known-uids is not a sequence-set of UIDs');
  if (match !== undefined && (!Array.isArray(match) || (Array.isArray(third) && fourth !== undefined))) return invalid('seq-match-data must be the last item, a list');
  let seqMatch: QresyncRequest['seqMatch'] = null;
  if (Array.isArray(match)) {
    const [sequences, uids] = match.map((item) => nodeText(item));
    const sequenceRanges = knownSet(sequences ?? null);
    const uidRanges = knownSet(uids ?? null);
    if (match.length !== 2 || !sequenceRanges || !uidRanges) return invalid('seq-match-data is (known-sequence-set known-uid-set)');
    if (rangesSize(sequenceRanges) !== rangesSize(uidRanges)) return invalid('known-sequence-set and known-uid-set differ in size');
    seqMatch = { sequences: sequences!, uids: uids! };
  }
  return { uidValidity: Number(validity), modseq: Number(modseq), knownUids, seqMatch };
}

/** Takes `QRESYNC (…)` out of SELECT's parameter list (imap-core's SELECT knows only CONDSTORE). */
function takeQresyncParameter(command: ParsedCommand): QresyncRequest | Error | null {
  const parameters = command.attributes[1];
  if (!Array.isArray(parameters)) return null;
  const at = parameters.findIndex((node) => nodeWord(node) === 'QRESYNC');
  if (at < 0) return null;
  const [, value] = parameters.splice(at, 2);
  return parseRequest(value);
}

/**
 * Wraps imap-core's SELECT or EXAMINE: the QRESYNC parameter is parsed here
 * (BAD when QRESYNC was not enabled first, §3.2.5) and left for the open hook,
 * which answers it; its lines go out after SELECT's untagged responses,
 * before the tagged OK. A SELECT while a mailbox is selected first closes it
 * with `* OK [CLOSED]` (§3.2.11), the boundary between the two mailboxes' responses.
 */
export function qresyncSelectCommand(select: CommandHandler): CommandHandler {
  return {
    ...select,
    handler(command, callback) {
      const state = sessionState(this.session);
      const request = takeQresyncParameter(command);
      if (request instanceof Error) return callback(request);
      if (request && !state?.qresync) return callback(new Error(`${command.command} with QRESYNC needs ENABLE QRESYNC first`));
      if (this.selected) this.send('* OK [CLOSED] Previous mailbox is now closed');
      if (state) {
        state.qresyncRequest = request;
        state.selectAnswer = null;
      }
      select.handler.call(this, command, (error, result) => {
        const answer = state?.selectAnswer ?? null;
        if (state) {
          state.qresyncRequest = null;
          state.selectAnswer = null;
        }
        if (error || !answer || result?.response !== 'OK') return callback(error, result);
        const session = this.session;
        void (async () => {
          for (const line of answer) await writeResponse(session, { compiled: line });
        })().then(
          () => callback(null, result),
          (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
        );
      });
    },
  };
}

/**
 * RFC 7162 §3.2.5.2: each pair of the client's message number and UID that
 * still holds on the server shows that no message up to that UID was
 * expunged unseen by the client (UIDs only grow), so expunges are only
 * looked for above the last pair that holds, up to the first that does not.
 */
function unchangedUpTo(match: QresyncRequest['seqMatch'], uidList: readonly number[]): number {
  const sequences = knownSet(match?.sequences ?? null);
  const uids = knownSet(match?.uids ?? null);
  if (!sequences || !uids) return 0;
  let floor = 0;
  const uidsInOrder = rangeNumbers(uids);
  for (const sequence of rangeNumbers(sequences)) {
    const uid = uidsInOrder.next().value as number;
    if (uidList[sequence - 1] !== uid) break;
    floor = uid;
  }
  return floor;
}

/** `* n FETCH (UID u FLAGS (…) MODSEQ (m))`, as §3.2.5.1 requires for a changed message. */
function changedLine(session: ImapSession, sequence: number, message: MessageFlags): string {
  const flags = flagsWithRecent(session, message.uid, message.flags);
  return imapHandler.compiler({
    tag: '*',
    command: String(sequence),
    attributes: [
      { type: 'atom', value: 'FETCH' },
      [
        { type: 'atom', value: 'UID' },
        { type: 'atom', value: String(message.uid) },
        { type: 'atom', value: 'FLAGS' },
        flags.map((flag) => ({ type: 'atom', value: flag })),
        { type: 'atom', value: 'MODSEQ' },
        [{ type: 'atom', value: String(message.modseq) }],
      ],
    ],
  });
}

/**
 * Called by the open hook with the mailbox as SELECT reports it (`messages`
 * in UID order): when the SELECT carried QRESYNC and the client's UIDVALIDITY
 * still holds (§3.2.5: otherwise a plain SELECT), the answer is
 * `* VANISHED (EARLIER)` for the known UIDs expunged since the client's
 * MODSEQ, then a FETCH for every known message changed since (§3.2.5.1).
 * Everything stands at the snapshot's highest MODSEQ; later changes follow as
 * unsolicited responses.
 */
export async function answerQresync(store: Store, session: ImapSession, mailbox: Mailbox, messages: readonly MessageFlags[]): Promise<void> {
  const state = sessionState(session);
  const request = state?.qresyncRequest;
  if (!state || !request || request.uidValidity !== mailbox.uidValidity) return;
  const largest = mailbox.uidNext - 1;
  const uidList = messages.map((message) => message.uid);
  // Checked when the command was read: null here only when the client left them out.
  const known = knownSet(request.knownUids);
  const floor = unchangedUpTo(request.seqMatch, uidList);
  const lookIn = clampRanges(known ?? [{ min: 1, max: largest }], floor, largest);
  const vanished = await expungedSince(store, mailbox.id, request.modseq, lookIn, () => Promise.resolve(uidList), mailbox.highestModseq);
  const lines = vanished.length > 0 ? [vanishedEarlierLine(vanished)] : [];
  messages.forEach((message, index) => {
    if (message.modseq > request.modseq && (!known || inRanges(known, message.uid))) lines.push(changedLine(session, index + 1, message));
  });
  state.selectAnswer = lines;
}
