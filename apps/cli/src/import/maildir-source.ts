// Reading a Dovecot Maildir++ tree as Dovecot left it: folders, flags, keywords, subscriptions,
// and the UIDVALIDITY/UIDs of dovecot-uidlist, so that an import can keep them.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Postern's hierarchy delimiter (mailbox paths are `Archive/2025`). */
export const POSTERN_DELIMITER = '/';

export interface MaildirMessage {
  file: string;
  /** From dovecot-uidlist, or null for a message Dovecot has not seen yet (new/ not yet listed). */
  uid: number | null;
  flags: string[];
  internalDate: Date;
}

export interface MaildirFolder {
  /** The Postern path: `INBOX`, `Sent`, `Archive/2025`. */
  path: string;
  dir: string;
  /** From dovecot-uidlist's header; null without one (a Maildir Dovecot never opened). */
  uidValidity: number | null;
  nextUid: number;
  messages: MaildirMessage[];
}

export interface UidList {
  uidValidity: number;
  nextUid: number;
  /** Maildir base file name (before `:2,`) → UID. */
  uids: Map<string, number>;
}

/**
 * Dovecot's dovecot-uidlist, version 3: a header `3 V<uidvalidity> N<nextuid> G<guid>` and lines
 * `<uid> [<key><value> ...] :<filename>` (version 1: `1 <uidvalidity> <nextuid>` and `<uid> <filename>`).
 */
export function parseUidList(text: string): UidList | null {
  const lines = text.split('\n');
  const header = (lines[0] ?? '').trim().split(/\s+/);
  let uidValidity = 0;
  let nextUid = 1;
  if (header[0] === '1') {
    uidValidity = Number(header[1]);
    nextUid = Number(header[2]);
  } else if (header[0] === '3') {
    for (const field of header.slice(1)) {
      if (field.startsWith('V')) uidValidity = Number(field.slice(1));
      else if (field.startsWith('N')) nextUid = Number(field.slice(1));
    }
  } else {
    return null;
  }
  if (!Number.isInteger(uidValidity) || uidValidity <= 0 || !Number.isInteger(nextUid) || nextUid < 1) return null;
  const uids = new Map<string, number>();
  for (const line of lines.slice(1)) {
    const match = /^(\d+)\s+(.+)$/.exec(line.trim());
    if (!match?.[1] || !match[2]) continue;
    const rest = match[2];
    // Version 3 puts the file name after ' :', behind the extension fields (G<guid>, W<vsize>, …).
    const at = header[0] === '1' ? -1 : rest.startsWith(':') ? 0 : rest.indexOf(' :') + 1;
    if (header[0] === '3' && at <= 0 && !rest.startsWith(':')) continue;
    uids.set(baseName(at < 0 ? rest : rest.slice(at + 1)), Number(match[1]));
  }
  return { uidValidity, nextUid, uids };
}

/** The part of a Maildir file name before its `:2,` info. */
export function baseName(file: string): string {
  const colon = file.indexOf(':');
  return colon === -1 ? file : file.slice(0, colon);
}

/** dovecot-keywords: `<index> <keyword>` lines; index 0 is the letter `a`. */
export function parseKeywords(text: string): Map<number, string> {
  const keywords = new Map<number, string>();
  for (const line of text.split('\n')) {
    const match = /^(\d+)\s+(\S+)\s*$/.exec(line);
    if (match?.[1] && match[2]) keywords.set(Number(match[1]), match[2]);
  }
  return keywords;
}

/** Maildir info letters to IMAP system flags (the Maildir spec; P "passed" has no IMAP flag). */
const SYSTEM_FLAGS: Record<string, string> = { D: '\\Draft', F: '\\Flagged', R: '\\Answered', S: '\\Seen', T: '\\Deleted' };

/** The flags of a file name's `:2,<letters>` info: upper case system flags, a–z keywords. */
export function flagsOf(file: string, keywords: Map<number, string>): string[] {
  const info = /:2,([^:]*)$/.exec(file)?.[1] ?? '';
  const flags: string[] = [];
  for (const letter of info) {
    const system = SYSTEM_FLAGS[letter];
    if (system) flags.push(system);
    else if (letter >= 'a' && letter <= 'z') {
      const keyword = keywords.get(letter.charCodeAt(0) - 97);
      if (keyword) flags.push(keyword);
    }
  }
  return flags;
}

/** Maildir++ `.Archive.2025` → `Archive/2025` (names stay in IMAP's modified UTF-7, as clients sent them). */
export function folderPath(dirName: string, separator = '.'): string {
  return dirName.slice(1).split(separator).join(POSTERN_DELIMITER);
}

/**
 * Dovecot's `subscriptions` file: version 2 (`V\t2` then names with a tab between hierarchy
 * levels) or the old one name per line with the namespace separator.
 */
export function parseSubscriptions(text: string, separator = '.'): Set<string> {
  const lines = text.split('\n');
  const versioned = /^V\t2\s*$/.test(lines[0] ?? '');
  const names = new Set<string>();
  for (const line of versioned ? lines.slice(1) : lines) {
    const name = line.replace(/\r$/, '');
    if (name === '') continue;
    const levels = versioned ? name.split('\t') : name.split(separator);
    const path = levels.join(POSTERN_DELIMITER);
    names.add(/^inbox$/i.test(path) ? 'INBOX' : path);
  }
  return names;
}

function readIfExists(file: string): string | null {
  return existsSync(file) ? readFileSync(file, 'utf8') : null;
}

/** One folder's messages, in the order an import appends them: listed UIDs ascending, then unlisted ones by date. */
function readFolder(path: string, dir: string): MaildirFolder {
  const uidList = parseUidList(readIfExists(join(dir, 'dovecot-uidlist')) ?? '');
  const keywords = parseKeywords(readIfExists(join(dir, 'dovecot-keywords')) ?? '');
  const messages: MaildirMessage[] = [];
  for (const sub of ['cur', 'new']) {
    const subDir = join(dir, sub);
    if (!existsSync(subDir)) continue;
    for (const name of readdirSync(subDir)) {
      const file = join(subDir, name);
      const stat = statSync(file);
      if (!stat.isFile()) continue;
      // Dovecot keeps a Maildir file's mtime as the message's received date (INTERNALDATE).
      messages.push({ file, uid: uidList?.uids.get(baseName(name)) ?? null, flags: flagsOf(name, keywords), internalDate: stat.mtime });
    }
  }
  messages.sort((a, b) => (a.uid ?? Infinity) - (b.uid ?? Infinity) || a.internalDate.getTime() - b.internalDate.getTime());
  return { path, dir, uidValidity: uidList?.uidValidity ?? null, nextUid: uidList?.nextUid ?? 1, messages };
}

function isMaildir(dir: string): boolean {
  return existsSync(join(dir, 'cur')) || existsSync(join(dir, 'new'));
}

/** Every folder of a Maildir++ directory: INBOX (the top) and each `.Name` directory below it. */
export function readMaildir(root: string): { folders: MaildirFolder[]; subscriptions: Set<string> | null } {
  if (!isMaildir(root)) throw new Error(`${root} is not a Maildir (no cur/ or new/ inside)`);
  const folders = [readFolder('INBOX', root)];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory() || !entry.name.startsWith('.') || entry.name === '.' || entry.name === '..') continue;
    const dir = join(root, entry.name);
    if (isMaildir(dir)) folders.push(readFolder(folderPath(entry.name), dir));
  }
  const subscriptions = readIfExists(join(root, 'subscriptions'));
  return { folders, subscriptions: subscriptions === null ? null : parseSubscriptions(subscriptions) };
}

/**
 * A Dovecot `mail_location` tree laid out `%d/%n` (the guides' /var/vmail/example.org/alice),
 * with the Maildir either the user's directory itself or its `Maildir` child.
 */
export function findUserMaildirs(root: string): { address: string; dir: string }[] {
  const found: { address: string; dir: string }[] = [];
  for (const domain of readdirSync(root, { withFileTypes: true })) {
    if (!domain.isDirectory() || !domain.name.includes('.')) continue;
    for (const user of readdirSync(join(root, domain.name), { withFileTypes: true })) {
      if (!user.isDirectory()) continue;
      const home = join(root, domain.name, user.name);
      const dir = isMaildir(join(home, 'Maildir')) ? join(home, 'Maildir') : home;
      if (isMaildir(dir)) found.push({ address: `${user.name}@${domain.name}`.toLowerCase(), dir });
    }
  }
  return found.sort((a, b) => a.address.localeCompare(b.address));
}

/** Dovecot saves with bare LF line ends by default (mail_save_crlf = no); IMAP and Postern's store carry CRLF (RFC 5322 §2.1). */
export function toCrlf(raw: Buffer): Buffer {
  if (!raw.includes(0x0a)) return raw;
  return Buffer.from(raw.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
}
