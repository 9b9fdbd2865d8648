// One `postern start` for a fuzz suite, the "is it still serving?" probes for every protocol, and the batch loop.
import assert from 'node:assert/strict';
import { startInstance, type PosternInstance } from '../support/instance.js';
import { RawClient } from './raw-client.js';

export type FuzzListener = 'smtp' | 'lmtp' | 'imap' | 'pop3' | 'managesieve';
export type FuzzInstance = PosternInstance<FuzzListener>;

export const USER = 'fuzz@example.com';
export const PASSWORD = 'fuzz password';

/** How long a normal command may take to be answered while (or after) the fuzzer works. */
const ANSWER_WITHIN_MS = 5000;

/** `postern start` with SMTP, LMTP, IMAP, POP3 and ManageSieve on loopback; cleartext logins and no login bans (the fuzzer fails logins on purpose). */
export async function startFuzzInstance(): Promise<FuzzInstance> {
  const instance = await startInstance('sqlite', {
    listen: ['smtp', 'lmtp', 'imap', 'pop3', 'managesieve'],
    settings: [
      ['imap.allow_cleartext_auth', 'true'],
      ['pop3.allow_cleartext_auth', 'true'],
      ['managesieve.allow_cleartext_auth', 'true'],
      ['limits.auth_failures_before_ban', '100000'],
      ['limits.max_connections_per_ip', '1000'],
    ],
  });
  const user = await instance.addUser(USER, PASSWORD);
  for (let n = 1; n <= 5; n++) {
    await instance.deliver(user, `From: a@example.org\r\nTo: ${USER}\r\nSubject: fuzz ${n}\r\nDate: Fri, 21 Nov 2025 10:00:00 +0000\r\nMessage-ID: <fuzz-${n}@example.org>\r\n\r\nBody ${n}\r\n`);
  }
  return instance;
}

/** Opens a connection, waits for the greeting, sends `command` and resolves with the time until `answered` holds. */
async function probe(port: number, greeted: RegExp, command: string, answered: RegExp): Promise<number> {
  const client = await RawClient.open(port);
  try {
    const started = Date.now();
    assert.equal(await client.settle((text) => greeted.test(text), ANSWER_WITHIN_MS, ANSWER_WITHIN_MS), 'done', `no greeting: ${JSON.stringify(client.received)}`);
    client.send(command);
    assert.equal(await client.settle((text) => answered.test(text), ANSWER_WITHIN_MS, ANSWER_WITHIN_MS), 'done', `no answer to ${JSON.stringify(command)}: ${JSON.stringify(client.received)}`);
    return Date.now() - started;
  } finally {
    client.close();
  }
}

/** A normal command on a fresh connection, answered in time, for each protocol. */
export const PROBES: Record<FuzzListener, (port: number) => Promise<number>> = {
  imap: (port) => probe(port, /^\* OK .*\r\n/, 'L1 NOOP\r\n', /\r\nL1 OK [^\r\n]*\r\n$/),
  pop3: (port) => probe(port, /^\+OK .*\r\n/, 'CAPA\r\n', /\r\n\+OK[^\r\n]*\r\n(?:[^\r\n]*\r\n)*\.\r\n$/),
  smtp: (port) => probe(port, /^220 .*\r\n/, 'NOOP\r\n', /\r\n250 [^\r\n]*\r\n$/),
  lmtp: (port) => probe(port, /^220 .*\r\n/, 'NOOP\r\n', /\r\n250 [^\r\n]*\r\n$/),
  // RFC 5804 §1.7: the greeting is the capability lines, then OK.
  managesieve: (port) => probe(port, /\r\nOK [^\r\n]*\r\n$/, 'NOOP\r\n', /\r\nOK "Done"\r\n$/),
};

/** The process is alive and answers `protocols` (default: all five) on fresh connections. */
export async function assertServing(instance: FuzzInstance, protocols: readonly FuzzListener[] = ['imap', 'pop3', 'smtp', 'lmtp', 'managesieve']): Promise<void> {
  for (const service of instance.processes) assert.equal(service.child.exitCode, null, `postern exited:\n${instance.output().slice(-3000)}`);
  for (const protocol of protocols) await PROBES[protocol](instance.ports[protocol]);
}

/** Log lines that say an error escaped a handler (the per-command guard's and the process-level policy's). */
export function escapedErrors(instance: FuzzInstance): Record<string, unknown>[] {
  return instance.logLines().filter((line) => line.event === 'uncaughtException' || line.event === 'unhandledRejection' || (line.level === 'error' && /failed: /.test(String(line.msg))));
}

export interface BatchResult {
  inputs: number;
  batches: number;
  closedByServer: number;
  /** Lines the server sent back (a lower bound on the inputs it got to before a batch ended). */
  replyLines: number;
}

/**
 * Sends each batch of inputs on its own connection (after `prelude`, e.g. a
 * login), waits until the server answers `sentinel`, hangs up or goes quiet,
 * then checks that the process still answers `protocol` on a fresh connection.
 */
export async function runBatches(
  instance: FuzzInstance,
  protocol: FuzzListener,
  batches: string[][],
  options: { prelude?: (client: RawClient) => Promise<void>; sentinel: string; answered: (received: string) => boolean; quietMs?: number; timeoutMs?: number },
): Promise<BatchResult> {
  const result: BatchResult = { inputs: 0, batches: 0, closedByServer: 0, replyLines: 0 };
  for (const batch of batches) {
    const client = await RawClient.open(instance.ports[protocol]);
    try {
      await client.settle((text) => text.includes('\r\n'), 2000, 5000);
      await options.prelude?.(client);
      client.send(batch.join('') + options.sentinel);
      const end = await client.settle(options.answered, options.quietMs ?? 300, options.timeoutMs ?? 15_000);
      if (end === 'closed') result.closedByServer += 1;
      result.replyLines += client.received.split('\r\n').length - 1;
    } finally {
      client.close();
    }
    result.inputs += batch.length;
    result.batches += 1;
    await assertServing(instance, [protocol]);
  }
  return result;
}

/** `count` inputs from `make`, `perConnection` to a batch. */
export function batchesOf(count: number, perConnection: number, make: () => string): string[][] {
  const out: string[][] = [];
  for (let made = 0; made < count; made += perConnection) out.push(Array.from({ length: Math.min(perConnection, count - made) }, make));
  return out;
}

/** Sends `text` and waits for the server to answer it (or go quiet), for preludes such as a login. */
export async function sendAndSettle(client: RawClient, text: string, answered: RegExp): Promise<void> {
  const before = client.received.length;
  client.send(text);
  await client.settle((received) => answered.test(received.slice(before)), 1000, 10_000);
}
