// RFC 3501 §7.2.6: a keyword a message gets is first announced in FLAGS (and PERMANENTFLAGS, §7.1).
import type { ImapSession } from './imap-core.js';
import { sessionState } from './session.js';

/** The system flags as SELECT lists them (imap-core's order); \Recent is not the client's to set. */
const SYSTEM_FLAGS = ['\\Answered', '\\Flagged', '\\Draft', '\\Deleted', '\\Seen'];

function isKeyword(flag: string): boolean {
  return !flag.startsWith('\\');
}

/** The keywords SELECT/EXAMINE listed in FLAGS: the client knows these. */
export function keywordsAtOpen(session: ImapSession, keywords: readonly string[]): void {
  const state = sessionState(session);
  if (state) state.keywords = new Map(keywords.map((keyword) => [keyword.toLowerCase(), keyword]));
}

/**
 * Before a response shows `flags`, any keyword the client has not been told of
 * is announced with a new FLAGS and PERMANENTFLAGS (`\*`: clients may create more).
 */
export function announceKeywords(session: ImapSession, flags: readonly string[]): void {
  const state = sessionState(session);
  if (!state || !session.selected) return;
  const fresh = flags.filter((flag) => isKeyword(flag) && !state.keywords.has(flag.toLowerCase()));
  if (fresh.length === 0) return;
  for (const keyword of fresh) state.keywords.set(keyword.toLowerCase(), keyword);
  const list = [...SYSTEM_FLAGS, ...state.keywords.values()].join(' ');
  session.writeStream.write({ compiled: `* FLAGS (${list})` });
  session.writeStream.write({ compiled: `* OK [PERMANENTFLAGS (${list} \\*)] Flags permitted` });
}
