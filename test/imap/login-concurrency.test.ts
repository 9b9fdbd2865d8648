// 300 concurrent IMAPS logins against `postern mailstore` while a logged-in client keeps sending NOOP: every login
// succeeds and the NOOPs keep being answered (the times are reported, not asserted: they depend on the machine).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import { hashPassword } from '@postern/auth';
import { ensureDefaultMailboxes } from '@postern/directory';
import { PASSWORD, startImapInstance, type ImapInstance } from './mailstore-process.js';

const LOGINS = Number(process.env.POSTERN_LOGIN_CONCURRENCY ?? 300);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? NaN;
}

function client(port: number, user: string): ImapFlow {
  const flow = new ImapFlow({ host: '127.0.0.1', port, secure: true, auth: { user, pass: PASSWORD }, logger: false, tls: { rejectUnauthorized: false }, connectionTimeout: 120_000, greetingTimeout: 120_000 });
  flow.on('error', () => {});
  return flow;
}

describe(`${LOGINS} concurrent IMAPS logins against postern mailstore`, () => {
  let imap: ImapInstance;

  before(async () => {
    imap = await startImapInstance('sqlite', [
      ['limits.max_connections_per_ip', '10000'],
      ['limits.mail_max_userip_connections', '10000'],
    ]);
    await imap.addUser('watcher@example.com', PASSWORD);
    // One account per login, all with one hash: every login is a password verification (no auth cache hit).
    // Their folders exist already, as for users who have logged in before: the logins measure authentication.
    const passwordHash = await hashPassword(PASSWORD);
    for (let i = 0; i < LOGINS; i++) await ensureDefaultMailboxes(imap.store, await imap.store.addUser({ address: `user${i}@example.com`, passwordHash }));
  });

  after(async () => {
    await imap?.stop();
  });

  test('every login succeeds while a logged-in client keeps getting NOOP answers', async (t) => {
    const watcher = client(imap.ports.imaps, 'watcher@example.com');
    await watcher.connect();
    const noops: number[] = [];
    let running = true;
    const noopLoop = (async () => {
      while (running) {
        const started = performance.now();
        await watcher.noop();
        noops.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();

    const logins = await Promise.all(
      Array.from({ length: LOGINS }, async (_, i) => {
        const flow = client(imap.ports.imaps, `user${i}@example.com`);
        const started = performance.now();
        await flow.connect();
        const ms = performance.now() - started;
        await flow.logout();
        return ms;
      }),
    );
    running = false;
    await noopLoop;
    await watcher.logout();

    assert.equal(logins.length, LOGINS);
    assert.ok(noops.length > 0, 'NOOPs were answered during the logins');
    t.diagnostic(
      `logins: median ${percentile(logins, 0.5).toFixed(0)} ms, p95 ${percentile(logins, 0.95).toFixed(0)} ms, worst ${Math.max(...logins).toFixed(0)} ms; ` +
        `NOOP during them (${noops.length}): median ${percentile(noops, 0.5).toFixed(0)} ms, worst ${Math.max(...noops).toFixed(0)} ms`,
    );
  });
});
