// A UID command naming a UID the session has not been told about learns the mailbox first (RFC 3501 §6.4.8).
import type { Logger } from '@postern/log';
import type { MailboxId, Store, Uid } from '@postern/store';
import type { ImapConnection } from './imap-core.js';
import type { JournalNotifier } from './notifier.js';

interface CommandLine {
  value: string;
  final: boolean;
}

type OnCommand = (command: CommandLine, callback?: (...args: unknown[]) => void) => void;

/** UID commands whose set imap-core resolves against the session's UID list before our hooks see it. */
const UID_COMMAND = /^(\S+)\s+UID\s+(?:FETCH|STORE|COPY|MOVE|EXPUNGE)\s+([0-9:,*]+)(?:\s|$)/i;
/** RFC 3501 §6.1.2, §6.4.1: NOOP and CHECK are how a client polls for new messages. */
const POLL_COMMAND = /^(\S+)\s+(?:NOOP|CHECK)\s*$/i;

/** How long a UID command waits for the journal to show a message the store already holds (a write in flight elsewhere). */
const JOURNAL_WAIT_MS = [10, 20, 40, 80, 160, 320, 640];

/** The highest UID the set names explicitly (`*` is the highest the session knows, so it names none). */
export function highestNamedUid(set: string): number {
  let highest = 0;
  for (const number of set.split(/[:,]/)) {
    if (number !== '*' && Number(number) > highest) highest = Number(number);
  }
  return highest;
}

/**
 * imap-core turns a UID set into messages through the session's UID list,
 * which only grows when the session is sent EXISTS; a UID appended since
 * (by this session's APPEND racing a poll, another session, process or
 * node) would be dropped from the set and the command answered OK with
 * nothing done. So before a UID command naming a UID above the highest the
 * session knows (or `*`), the session catches up with the mailbox's journal
 * and is told of the new messages (EXISTS; for UID commands EXPUNGE too,
 * RFC 3501 §7.4.1) before the command runs. When the store holds messages the
 * journal does not show yet (a writer elsewhere between its two writes), the
 * command waits for them; if they do not show, it is refused with NO, never
 * run on a stale list. NOOP and CHECK catch up the same way (RFC 3501 §6.1.2:
 * the client's poll for new messages).
 */
export function catchUpBeforeUidCommands(connection: ImapConnection, notifier: JournalNotifier, store: Store, logger: Logger): void {
  const parser = connection._parser as (ImapConnection['_parser'] & { oncommand: OnCommand }) | false;
  if (!parser) return;
  const onCommand = parser.oncommand;

  /** True once the session knows every message the set names that the store holds. */
  const learn = async (mailbox: MailboxId, named: number, uidCommand: boolean): Promise<boolean> => {
    const session = connection.session;
    for (let attempt = 0; ; attempt++) {
      await notifier.catchUp(session, mailbox);
      // EXISTS (and EXPUNGE) now, so imap-core resolves the set against the current list.
      if (uidCommand) connection.emitNotifications(false);
      const selected = session.selected;
      if (!uidCommand || !selected || selected.mailbox !== mailbox) return true;
      const highestKnown = selected.uidList[selected.uidList.length - 1] ?? 0;
      if (named <= highestKnown) return true;
      if ((await store.countMessages(mailbox, { aboveUid: highestKnown as Uid })) === 0) return true;
      const wait = JOURNAL_WAIT_MS[attempt];
      if (wait === undefined) return false;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  };

  parser.oncommand = (command, callback) => {
    const selected = connection.session?.selected;
    // Only a whole command line (not a literal's continuation) in the Selected state.
    if (!selected || !command.final || connection._currentCommand || typeof command.value !== 'string') return onCommand(command, callback);
    const uid = UID_COMMAND.exec(command.value);
    const poll = uid ? null : POLL_COMMAND.exec(command.value);
    const highestKnown = selected.uidList[selected.uidList.length - 1] ?? 0;
    const named = uid ? highestNamedUid(uid[2]!) : 0;
    if (!poll && !(uid && (named > highestKnown || uid[2]!.includes('*')))) return onCommand(command, callback);
    const tag = (uid ?? poll)![1]!;
    const refuse = (reason: string): void => {
      connection.send(`${tag} NO [UNAVAILABLE] ${reason}`);
      callback?.();
    };
    learn(selected.mailbox as MailboxId, named, uid !== null).then(
      (known) => {
        if (known) return onCommand(command, callback);
        logger.warn({ service: 'imap', session: connection.id, user: connection.session.user?.username, uid: named, event: 'uid_not_yet_visible' }, `imap UID ${named} stored but not yet in the journal; command refused`);
        refuse('Message not yet visible, try again');
      },
      (error: unknown) => {
        const err = error instanceof Error ? error : new Error(String(error));
        logger.error({ service: 'imap', session: connection.id, user: connection.session.user?.username, err }, `imap catch-up before command failed: ${err.message}`);
        refuse('Mailbox state could not be read, try again');
      },
    );
  };
}
