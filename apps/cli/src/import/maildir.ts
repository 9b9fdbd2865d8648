// Mail from Dovecot Maildirs into the store, keeping UIDVALIDITY and every UID (so IMAP clients
// keep their caches and sync state) and each message's flags, keywords and INTERNALDATE.
import { readFileSync } from 'node:fs';
import { DEFAULT_MAILBOXES } from '@postern/directory';
import { prepareMessage } from '@postern/mailstore';
import { normalizeFlags, type Mailbox, type Store, type Uid, type User } from '@postern/store';
import { findUserMaildirs, readMaildir, toCrlf, type MaildirFolder, type MaildirMessage } from './maildir-source.js';
import type { ImportReport } from './report.js';

function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  const left = normalizeFlags([...a]).sort();
  const right = normalizeFlags([...b]).sort();
  return left.length === right.length && left.every((flag, i) => flag === right[i]);
}

/**
 * The mailbox to import a folder into, with the folder's UIDVALIDITY. An empty one Postern made
 * itself (the default folders of a new user) is made again with Dovecot's UIDVALIDITY; one that
 * already holds mail under another UIDVALIDITY is left alone (RFC 3501 §2.3.1.1: its UIDs are
 * already in clients' caches).
 */
async function targetMailbox(store: Store, user: User, folder: MaildirFolder, subscribed: boolean, report: ImportReport): Promise<Mailbox | null> {
  const where = `${user.address} ${folder.path}`;
  const existing = await store.getMailbox(user.id, folder.path);
  const uidValidity = folder.uidValidity ?? undefined;
  const specialUse = existing?.specialUse ?? DEFAULT_MAILBOXES.find((m) => m.path === folder.path)?.specialUse ?? null;
  if (existing && (uidValidity === undefined || existing.uidValidity === uidValidity)) {
    if (existing.subscribed !== subscribed) {
      report.change(`${subscribed ? 'subscribe' : 'unsubscribe'} ${where}`);
      if (!report.dryRun) return store.setSubscribed(existing.id, subscribed);
    }
    return existing;
  }
  if (existing) {
    const held = await store.countMessages(existing.id);
    if (held > 0) {
      report.notImported(`${where}: Postern's mailbox already holds ${held} message(s) under UIDVALIDITY ${existing.uidValidity}, Dovecot's is ${uidValidity}; left as is`);
      return null;
    }
    report.change(`make empty mailbox ${where} again with Dovecot's UIDVALIDITY ${uidValidity}`);
    if (report.dryRun) return null;
    await store.deleteMailbox(existing.id);
  } else {
    report.change(`create mailbox ${where}${uidValidity === undefined ? '' : ` (UIDVALIDITY ${uidValidity})`}`);
    if (report.dryRun) return null;
  }
  return store.createMailbox(user.id, folder.path, { specialUse, subscribed, ...(uidValidity === undefined ? {} : { uidValidity }) });
}

/** Appends one message with its Dovecot UID; one file is read at a time, so a large Maildir never sits in memory. */
async function appendWithUid(store: Store, mailbox: Mailbox, message: MaildirMessage, uid: number): Promise<Mailbox> {
  // Contiguous UIDs (the common case) need no raise: the append takes UIDNEXT itself.
  if (mailbox.uidNext < uid) await store.raiseUidNext(mailbox.id, uid as Uid);
  const prepared = prepareMessage(toCrlf(readFileSync(message.file)), { flags: message.flags, internalDate: message.internalDate });
  const { message: stored, mailbox: after } = await store.appendMessage(mailbox.id, prepared);
  // Another writer (a delivery while importing) took the UID first: the message is in, under another UID.
  if (stored.uid !== uid) throw new Error(`${message.file}: stored with UID ${stored.uid}, not Dovecot's ${uid} (was mail delivered to ${mailbox.path} during the import?)`);
  return after;
}

async function importFolder(store: Store, user: User, folder: MaildirFolder, subscribed: boolean, report: ImportReport): Promise<void> {
  const where = `${user.address} ${folder.path}`;
  let mailbox = await targetMailbox(store, user, folder, subscribed, report);
  if (mailbox === null && !report.dryRun) return;
  let next = folder.nextUid;
  let added = 0;
  let flagged = 0;
  let kept = 0;
  for (const message of folder.messages) {
    // A message Dovecot has not listed yet takes the next UID, as Dovecot would give it.
    const uid = message.uid ?? next;
    next = Math.max(next, uid + 1);
    const stored = mailbox ? await store.getMessage(mailbox.id, uid as Uid) : null;
    if (stored) {
      if (sameFlags(stored.flags, message.flags)) kept += 1;
      else {
        flagged += 1;
        if (!report.dryRun && mailbox) await store.updateFlags(mailbox.id, [uid as Uid], { op: 'set', flags: message.flags });
      }
      continue;
    }
    if (mailbox && uid < mailbox.uidNext) {
      report.notImported(`${where}: ${message.file}: UID ${uid} is below the mailbox's UIDNEXT ${mailbox.uidNext} (expunged in Postern since the last import?)`);
      continue;
    }
    added += 1;
    if (!report.dryRun && mailbox) mailbox = await appendWithUid(store, mailbox, message, uid);
  }
  if (added > 0) report.change(`import ${added} message(s) into ${where}`);
  if (flagged > 0) report.change(`set the flags of ${flagged} message(s) in ${where}`);
  if (mailbox && mailbox.uidNext < next) {
    // RFC 3501 §2.3.1.1: UIDNEXT as Dovecot announced it, so a client's cached UIDNEXT stays valid.
    report.change(`set UIDNEXT of ${where} to ${next}`);
    if (!report.dryRun) await store.raiseUidNext(mailbox.id, next as Uid);
  }
  if (added === 0 && flagged === 0 && kept > 0) report.same(`${kept} message(s) in ${where}`);
}

/** One user's Maildir++ directory, every folder of it. */
export async function importMaildir(store: Store, address: string, dir: string, report: ImportReport): Promise<void> {
  const user = await store.getUser(address.toLowerCase());
  const { folders, subscriptions } = readMaildir(dir);
  if (!user) {
    if (report.dryRun) {
      for (const folder of folders) report.change(`import ${folder.messages.length} message(s) into ${address} ${folder.path} (once the user exists)`);
      return;
    }
    report.notImported(`${dir}: no user ${address} in Postern (import the users first: postern import dovecot-users FILE)`);
    return;
  }
  for (const folder of folders) {
    // Without a subscriptions file Dovecot lists no folder as subscribed (RFC 3501 §6.3.9 LSUB). INBOX
    // is always subscribed in Postern: imap-core lists it in LSUB and refuses UNSUBSCRIBE INBOX (§6.3.7 allows NO).
    const subscribed = folder.path === 'INBOX' || (subscriptions?.has(folder.path) ?? false);
    await importFolder(store, user, folder, subscribed, report);
  }
}

/** Every user's Maildir under a `%d/%n` mail_location root. */
export async function importMaildirTree(store: Store, root: string, report: ImportReport): Promise<void> {
  const found = findUserMaildirs(root);
  if (found.length === 0) report.notImported(`${root}: no DOMAIN/USER Maildir below it`);
  for (const { address, dir } of found) await importMaildir(store, address, dir, report);
}
