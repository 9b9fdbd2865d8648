// Memory comes back after a big FETCH: `postern mailstore` serves BODY[] of a large mailbox to imapflow, and
// once the client has logged out the process's RSS returns to within a bound of where it started.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import type { User } from '@postern/store';
import { PASSWORD, startImapInstance, type ImapInstance } from './mailstore-process.js';

/** Mailbox size: CI-friendly by default; POSTERN_FETCH_MEMORY_MB=1024 for the 1 GB run by hand. */
const MAILBOX_MB = Number(process.env.POSTERN_FETCH_MEMORY_MB ?? 256);
const MESSAGE_MB = 1;
/** How far above its RSS before the FETCH the process may stay once the client is gone. */
const RSS_BOUND_MB = Number(process.env.POSTERN_FETCH_MEMORY_BOUND_MB ?? 96);
/** How long the RSS is sampled after logout for it to come back. */
const SETTLE_MS = 8_000;

function rssMb(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(match, `VmRSS of ${pid}`);
  return Number(match[1]) / 1024;
}

/** A distinct message of about `mb` MiB (base64 lines of random bytes: no two share a blob). */
function bigMessage(n: number, mb: number): Buffer {
  const body = randomBytes(Math.floor((mb * 1024 * 1024 * 3) / 4)).toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    `From: sender@example.org\r\nTo: alice@example.com\r\nSubject: big ${n}\r\nMessage-ID: <big-${n}.${process.pid}@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n${body}\r\n`,
  );
}

for (const backend of (process.env.POSTERN_FETCH_MEMORY_BACKENDS?.split(',') ?? ['sqlite', 'mongodb']) as ('sqlite' | 'mongodb')[]) {
  describe(`memory after a FETCH of a ${MAILBOX_MB} MB mailbox from postern mailstore on ${backend}`, () => {
    let imap: ImapInstance;
    let alice: User;

    before(async () => {
      imap = await startImapInstance(backend);
      alice = await imap.addUser('alice@example.com', PASSWORD);
      for (let n = 1; n <= MAILBOX_MB / MESSAGE_MB; n++) await imap.deliver(alice, bigMessage(n, MESSAGE_MB), 'INBOX');
    });

    after(async () => {
      await imap?.stop();
    });

    test('runs against a real store', (t) => {
      t.diagnostic(imap.instance.server);
    });

    test(`RSS returns to within ${RSS_BOUND_MB} MB of its level before the FETCH once the client logs out`, async (t) => {
      const pid = imap.processes[0]!.pid;
      const client = new ImapFlow({ host: '127.0.0.1', port: imap.ports.imap, secure: false, doSTARTTLS: true, auth: { user: 'alice@example.com', pass: PASSWORD }, logger: false, tls: { rejectUnauthorized: false } });
      client.on('error', () => {});
      await client.connect();
      await client.mailboxOpen('INBOX');
      const before = rssMb(pid);
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 100);
      let bytes = 0;
      let count = 0;
      try {
        for await (const message of client.fetch('1:*', { source: true })) {
          bytes += message.source?.length ?? 0;
          count++;
        }
      } finally {
        clearInterval(sampler);
      }
      await client.logout();
      assert.equal(count, MAILBOX_MB / MESSAGE_MB);
      assert.ok(bytes >= MAILBOX_MB * 1024 * 1024 * 0.99, `${bytes} bytes fetched`);
      // Sampled for a while: the collector and the allocator give memory back on their own schedule.
      let settled = rssMb(pid);
      for (const deadline = Date.now() + SETTLE_MS; Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        settled = rssMb(pid);
      }
      t.diagnostic(`RSS before ${before.toFixed(0)} MB, peak ${peak.toFixed(0)} MB, after logout ${settled.toFixed(0)} MB (${count} messages, ${(bytes / 1048576).toFixed(0)} MB)`);
      assert.ok(settled <= before + RSS_BOUND_MB, `RSS ${settled.toFixed(0)} MB after logout, ${before.toFixed(0)} MB before the FETCH (peak ${peak.toFixed(0)} MB)`);
    });
  });
}
