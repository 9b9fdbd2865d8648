// Appends one message straight into a user's INBOX from a separate process (another node, as far as IMAP can tell).
// Usage: node --import tsx imap-append-child.ts '<store options JSON>' ADDRESS SUBJECT
import { openStore, type StoreOptions } from '@postern/store';
import { prepareMessage } from '../src/message/index.js';

const [optionsJson, address, subject] = process.argv.slice(2);
if (!optionsJson || !address || !subject) throw new Error('usage: imap-append-child.ts STORE_OPTIONS_JSON ADDRESS SUBJECT');
const store = await openStore(JSON.parse(optionsJson) as StoreOptions);
try {
  const user = await store.getUser(address);
  const inbox = user && (await store.getMailbox(user.id, 'INBOX'));
  if (!inbox) throw new Error(`no INBOX for ${address}`);
  const raw = Buffer.from(`From: other-process@example.com\r\nTo: ${address}\r\nSubject: ${subject}\r\n\r\nDelivered by pid ${process.pid}.\r\n`);
  const { message } = await store.appendMessage(inbox.id, prepareMessage(raw));
  // The moment the message is durable, for the test to time the EXISTS against.
  process.stdout.write(`${JSON.stringify({ uid: message.uid, at: Date.now() })}\n`);
} finally {
  await store.close();
}
