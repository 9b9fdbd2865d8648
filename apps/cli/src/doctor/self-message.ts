import { randomBytes } from 'node:crypto';
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import { hashPassword } from '@postern/auth';
import { parseListenAddress, type PosternConfig } from '@postern/config';
import { addUser, deleteUser } from '@postern/directory';
import type { Store } from '@postern/store';

/** How long the message may take through submission → queue → LMTP. */
const ARRIVAL_MS = 15_000;
const POLL_MS = 200;

export type SelfMessage = { address: string; raw: Buffer } | { notRun: string } | { failed: string; fix: string };

/** RFC 8314 §3.3: implicit TLS (465) preferred, else 587 with STARTTLS (RFC 3207). */
function submissionTarget(config: PosternConfig): { host: string; port: number; implicitTls: boolean; text: string } | null {
  for (const service of ['submissions', 'submission'] as const) {
    for (const text of config.listen[service]) {
      const address = parseListenAddress(text);
      if (address.kind !== 'tcp') continue;
      const host = address.host === '0.0.0.0' || address.host === '' ? '127.0.0.1' : address.host === '::' ? '::1' : address.host;
      return { host, port: address.port, implicitTls: service === 'submissions', text: `${service} ${text}` };
    }
  }
  return null;
}

/** A message as a mail client writes it (RFC 5322 §3.6: Date and From required, Message-ID should be there). */
function selfAddressed(address: string, hostname: string): Buffer {
  const id = `${randomBytes(8).toString('hex')}@${hostname}`;
  return Buffer.from(
    [`Date: ${new Date().toUTCString().replace('GMT', '+0000')}`, `From: <${address}>`, `To: <${address}>`, `Message-ID: <${id}>`, 'Subject: postern doctor: self-addressed test message', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=us-ascii', '', 'postern doctor sent this message to itself to check SPF, DKIM and DMARC.', ''].join('\r\n'),
  );
}

/** AUTH PLAIN (RFC 4954, RFC 4616) over TLS, one message to the address itself. */
async function submit(target: NonNullable<ReturnType<typeof submissionTarget>>, hostname: string, address: string, password: string, message: Buffer): Promise<void> {
  const connection = new SMTPConnection({
    host: target.host,
    port: target.port,
    secure: target.implicitTls,
    requireTLS: !target.implicitTls,
    name: hostname,
    authMethod: 'PLAIN',
    // Our own listener on this host: its certificate is judged by the tls findings, not here.
    tls: { rejectUnauthorized: false, servername: hostname },
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
  });
  const failed = new Promise<never>((_resolve, reject) => connection.on('error', reject));
  failed.catch(() => {});
  try {
    await Promise.race([new Promise<void>((resolve) => connection.connect(() => resolve())), failed]);
    await Promise.race([new Promise<void>((resolve, reject) => connection.login({ user: address, pass: password }, (err) => (err ? reject(err) : resolve()))), failed]);
    const info = await Promise.race([
      new Promise<SMTPConnection.SentMessageInfo>((resolve, reject) => connection.send({ from: address, to: [address] }, message, (err, sent) => (err ? reject(err) : resolve(sent)))),
      failed,
    ]);
    if (info.rejected.length > 0) throw new Error(`the recipient was refused: ${info.response}`);
    connection.quit();
  } finally {
    connection.close();
  }
}

async function waitForArrival(store: Store, address: string): Promise<Buffer | null> {
  const deadline = Date.now() + ARRIVAL_MS;
  while (Date.now() < deadline) {
    const user = await store.getUser(address);
    const inbox = user && (await store.getMailbox(user.id, 'INBOX'));
    const [message] = inbox ? await store.listMessages(inbox.id) : [];
    if (message) return store.readMessage(message);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return null;
}

/**
 * Sends a message from a temporary mailbox of the domain to itself through
 * submission → queue → LMTP, as a user's mail client would, and returns it
 * as it was stored. The mailbox (random password) is removed afterwards.
 */
export async function sendSelfMessage(store: Store, config: PosternConfig, domain: string): Promise<SelfMessage> {
  const target = submissionTarget(config);
  if (target === null) return { notRun: 'listen.submission and listen.submissions are empty: no way for a client to send' };
  const address = `postern-doctor-${randomBytes(4).toString('hex')}@${domain}`;
  const password = randomBytes(24).toString('base64url');
  await addUser(store, { address, passwordHash: await hashPassword(password), name: 'postern doctor' });
  try {
    try {
      await submit(target, config.hostname, address, password, selfAddressed(address, config.hostname));
    } catch (err) {
      return { failed: `${target.text} did not take the message: ${(err as Error).message}`, fix: 'the port and tls findings above say more; postern trace shows the MTA\'s side' };
    }
    const raw = await waitForArrival(store, address);
    if (raw === null) return { failed: `submitted on ${target.text} but not in ${address}'s INBOX after ${ARRIVAL_MS / 1000} s`, fix: 'postern queue list and the MTA log (queue runner, LMTP to the mailstore)' };
    return { address, raw };
  } finally {
    await deleteUser(store, address).catch(() => undefined);
  }
}
