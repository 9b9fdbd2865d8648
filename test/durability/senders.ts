// Ten SMTP clients (or any number) sending numbered messages on port 25 from
// mynetworks, each with a unique Message-ID and X-Seq header, recording what
// the server answered to each: the ledger the durability checks compare with.
import { SmtpDialogue } from '../mta/smtp-dialogue.js';

/** What the client learnt: 250 after the final dot, a 4xx/5xx, or nothing (the connection died first). */
export type Outcome = 'acknowledged' | 'refused' | 'unknown';

export interface SentMessage {
  seq: number;
  /** The recipients the server accepted at RCPT TO (the message's copies if it is acknowledged). */
  recipients: string[];
  outcome: Outcome;
  /** The reply to the final dot, or why there was none. */
  reply: string;
}

export interface SenderOptions {
  port: number;
  clients: number;
  /** The recipients of message `seq`. */
  recipientsOf(seq: number): string[];
  /** Body lines of message `seq` (varied sizes make a kill land in DATA as well as between commands). */
  bodyLinesOf(seq: number): number;
  mailFrom: string;
}

export interface Senders {
  readonly ledger: SentMessage[];
  /** Asks every client to finish its current message and waits for them. */
  stop(): Promise<void>;
}

/** The numbered message: X-Seq is what the checks count by (RFC 5322 §3.6.4: one Message-ID per message). */
export function numberedMessage(seq: number, from: string, recipients: string[], bodyLines: number): string {
  const body = Array.from({ length: bodyLines }, (_, line) => `Message ${seq}, line ${line}: the quick brown fox jumps over the lazy dog.`).join('\r\n');
  return (
    `From: <${from}>\r\nTo: ${recipients.map((r) => `<${r}>`).join(', ')}\r\nSubject: numbered message ${seq}\r\n` +
    `Message-ID: <seq.${seq}@clients.durability.test>\r\nX-Seq: ${seq}\r\nDate: Mon, 07 Dec 2026 00:00:00 +0000\r\n\r\n${body}\r\n`
  );
}

/** The X-Seq of a stored or received message, or null when it has none (a bounce, say). */
export function seqOf(raw: string | Buffer): number | null {
  const text = typeof raw === 'string' ? raw : raw.toString('latin1');
  const headerEnd = text.indexOf('\r\n\r\n');
  const match = /^X-Seq: (\d+)\r?$/im.exec(headerEnd < 0 ? text : text.slice(0, headerEnd));
  return match ? Number(match[1]) : null;
}

/** Starts the clients; each reconnects (every 100 ms while the server is down) and sends the next number. */
export function startSenders(options: SenderOptions): Senders {
  const ledger: SentMessage[] = [];
  let next = 0;
  let running = true;
  const client = async (): Promise<void> => {
    while (running) {
      let smtp: SmtpDialogue;
      try {
        smtp = await SmtpDialogue.open(options.port);
        if (smtp.greeting.code !== 220 || (await smtp.ehlo('client.durability.test')).code !== 250) throw new Error('no greeting');
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      while (running) {
        const sent = await sendOne(smtp, ++next, options);
        ledger.push(sent);
        // The connection died (or stopped answering): open another.
        if (sent.outcome === 'unknown') break;
      }
      smtp.close();
    }
  };
  const clients = Array.from({ length: options.clients }, client);
  return {
    ledger,
    async stop() {
      running = false;
      await Promise.all(clients);
    },
  };
}

/** One transaction: MAIL, RCPT for each recipient, DATA, the message, the final dot; never throws. */
async function sendOne(smtp: SmtpDialogue, seq: number, options: SenderOptions): Promise<SentMessage> {
  const wanted = options.recipientsOf(seq);
  const accepted: string[] = [];
  const record = (outcome: Outcome, reply: string): SentMessage => ({ seq, recipients: accepted, outcome, reply });
  try {
    const mail = await smtp.command(`MAIL FROM:<${options.mailFrom}>`);
    if (mail.code !== 250) return record('refused', mail.line);
    for (const rcpt of wanted) if ((await smtp.command(`RCPT TO:<${rcpt}>`)).code === 250) accepted.push(rcpt);
    if (accepted.length === 0) {
      await smtp.command('RSET');
      return record('refused', 'every recipient refused');
    }
    const data = await smtp.command('DATA');
    if (data.code !== 354) return record('refused', data.line);
    // No line of the message starts with a dot: no dot-stuffing needed (RFC 5321 §4.5.2).
    smtp.send(`${numberedMessage(seq, options.mailFrom, accepted, options.bodyLinesOf(seq))}.\r\n`);
    const reply = await smtp.reply(30_000);
    return record(reply.code === 250 ? 'acknowledged' : 'refused', reply.line);
  } catch (error) {
    // The connection died: whatever the server did with the message, the client never heard 250.
    return record('unknown', (error as Error).message);
  }
}
