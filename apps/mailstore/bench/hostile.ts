// A script, not a test: node --import tsx apps/mailstore/bench/hostile.ts [sqlite|mongodb] [--small] [--store] [--shapes=0,3]
// Each hostile shape of issue 16 is sent from outside (SMTP port 25 of a `postern start`; with --store, or
// when the MTA refuses it, appended to the store as an older message would be), then one client runs
// FETCH ENVELOPE / BODYSTRUCTURE / BODY[] and SEARCH TEXT / BODY on it while a second client's NOOP
// and fresh SMTP greetings are timed. Prints, per shape and command, how long the command took, its
// answer and the worst time the other clients waited.
import { RawClient } from '../../../test/fuzz/raw-client.js';
import { flatMultipart, foldedHeader, manyFields, nestedGroups, nestedMessages, nestedMultiparts, type HostileShape } from '../../../test/hostile/shapes.js';
import { startInstance } from '../../../test/support/instance.js';

const backend = process.argv[2] === 'mongodb' ? 'mongodb' : 'sqlite';
const small = process.argv.includes('--small');
const viaStore = process.argv.includes('--store');
const COMMAND_TIMEOUT_MS = Number(process.env['HOSTILE_TIMEOUT_MS'] ?? 180_000);
const USER = 'hostile@example.com';
const PASSWORD = 'hostile bench password';

const only = process.argv.find((arg) => arg.startsWith('--shapes='))?.slice(9).split(',').map(Number);
const allShapes: (() => HostileShape)[] = small
  ? [() => nestedMessages(1000), () => nestedMultiparts(500), () => nestedGroups(14000), () => flatMultipart(2000), () => foldedHeader(2000)]
  : [() => nestedMessages(10_000), () => nestedMultiparts(5000), () => nestedGroups(140_000), () => flatMultipart(20_000), () => flatMultipart(50_000), () => foldedHeader(20_000), () => foldedHeader(200_000), () => manyFields(200_000)];
// --shapes=0,2: only those (by index in the list above), e.g. to run the slowest ones on their own.
const shapes = only ? allShapes.filter((_, index) => only.includes(index)) : allShapes;

const COMMANDS = ['UID FETCH 1:* (ENVELOPE)', 'UID FETCH 1:* (BODYSTRUCTURE)', 'UID FETCH 1:* (BODY.PEEK[])', 'UID SEARCH TEXT needle', 'UID SEARCH BODY needle'];

const tail = (text: string): string => text.slice(-400);
const tagged = (tag: string) => (text: string): boolean => new RegExp(`(?:^|\\r\\n)${tag} (?:OK|NO|BAD)[^\\r\\n]*\\r\\n$`).test(tail(text));

async function imapSession(port: number): Promise<RawClient> {
  const client = await RawClient.open(port);
  await client.settle((text) => text.includes('\r\n'), 5000, 10_000);
  client.send(`L LOGIN ${USER} "${PASSWORD}"\r\nS SELECT INBOX\r\n`);
  await client.settle(tagged('S'), 10_000, 30_000);
  return client;
}

let tagCounter = 0;
async function command(client: RawClient, text: string, timeoutMs: number): Promise<{ ms: number; answer: string }> {
  const tag = `T${++tagCounter}`;
  const from = client.received.length;
  const started = performance.now();
  client.send(`${tag} ${text}\r\n`);
  try {
    await client.settle(tagged(tag), timeoutMs, timeoutMs);
  } catch {
    return { ms: performance.now() - started, answer: 'no answer (timeout)' };
  }
  const ms = performance.now() - started;
  const lines = client.received.slice(from).split('\r\n');
  const last = lines.filter((line) => line.startsWith(`${tag} `)).pop() ?? (client.closed ? 'connection closed' : '?');
  return { ms, answer: `${last.slice(tag.length + 1, tag.length + 60)} (${client.received.length - from} bytes)` };
}

/** Times NOOPs on one logged-in session and SMTP greetings on fresh connections until stopped; reports the worst waits. */
function watchers(imapPort: number, smtpPort: number, noopClient: RawClient): { stop(): Promise<{ noop: number; greeting: number }> } {
  let running = true;
  let noop = 0;
  let greeting = 0;
  const noops = (async () => {
    while (running) {
      const { ms } = await command(noopClient, 'NOOP', COMMAND_TIMEOUT_MS * 2);
      noop = Math.max(noop, ms);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  const greetings = (async () => {
    while (running) {
      const started = performance.now();
      const client = await RawClient.open(smtpPort).catch(() => null);
      if (client) {
        await client.settle((text) => /^220 .*\r\n/.test(text), COMMAND_TIMEOUT_MS * 2, COMMAND_TIMEOUT_MS * 2).catch(() => undefined);
        client.send('QUIT\r\n');
        client.close();
      }
      greeting = Math.max(greeting, performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  void imapPort;
  return {
    async stop() {
      running = false;
      await Promise.all([noops, greetings]);
      return { noop, greeting };
    },
  };
}

async function sendBySmtp(port: number, raw: Buffer): Promise<string> {
  const client = await RawClient.open(port);
  try {
    await client.settle((text) => /^220 .*\r\n/.test(text), 5000, 30_000);
    client.send(`EHLO bench.example.org\r\nMAIL FROM:<attacker@example.org>\r\nRCPT TO:<${USER}>\r\nDATA\r\n`);
    await client.settle((text) => /\r\n354 [^\r\n]*\r\n$/.test(text), 30_000, 30_000);
    const from = client.received.length;
    client.send(Buffer.concat([raw, Buffer.from('.\r\n')]));
    await client.settle((text) => /\r\n$/.test(text.slice(from)) && text.length > from, COMMAND_TIMEOUT_MS, COMMAND_TIMEOUT_MS);
    return client.received.slice(from).trim();
  } finally {
    client.close();
  }
}

const instance = await startInstance(backend, {
  listen: ['smtp', 'lmtp', 'imap'],
  settings: [
    ['imap.allow_cleartext_auth', 'true'],
    ['limits.max_connections_per_ip', '1000'],
    ['limits.smtpd_client_connection_count_limit', '1000'],
    ['smtpd.mynetworks', '[]'],
  ],
});
try {
  const user = await instance.addUser(USER, PASSWORD);
  console.log(`backend ${backend}; postern start pid ${instance.processes[0]!.child.pid}`);
  for (const make of shapes) {
    const shape = make();
    const sent = performance.now();
    const reply = viaStore ? 'not sent (--store)' : await sendBySmtp(instance.ports.smtp, shape.raw);
    const smtpMs = performance.now() - sent;
    if (!reply.startsWith('250')) await instance.deliver(user, shape.raw);
    console.log(`\n## ${shape.name} (${(shape.raw.length / 1024).toFixed(0)} KB): port 25 answered in ${smtpMs.toFixed(0)} ms: ${reply.slice(0, 100)}${reply.startsWith('250') ? '' : ' → appended to the store'}`);
    console.log('| command | took | answer | worst NOOP wait | worst SMTP greeting wait |\n|---|---|---|---|---|');
    for (const text of COMMANDS) {
      const reader = await imapSession(instance.ports.imap);
      const noopClient = await imapSession(instance.ports.imap);
      const watch = watchers(instance.ports.imap, instance.ports.smtp, noopClient);
      const result = await command(reader, text, COMMAND_TIMEOUT_MS);
      const waited = await watch.stop();
      const alive = instance.processes[0]!.child.exitCode === null;
      console.log(`| ${text} | ${result.ms.toFixed(0)} ms | ${result.answer}${alive ? '' : ' **process exited**'} | ${waited.noop.toFixed(0)} ms | ${waited.greeting.toFixed(0)} ms |`);
      reader.close();
      noopClient.close();
      if (!alive) throw new Error(`postern exited:\n${instance.output().slice(-2000)}`);
    }
    const cleaner = await imapSession(instance.ports.imap);
    await command(cleaner, 'UID STORE 1:* +FLAGS.SILENT (\\Deleted)', COMMAND_TIMEOUT_MS);
    await command(cleaner, 'EXPUNGE', COMMAND_TIMEOUT_MS);
    cleaner.close();
  }
} finally {
  await instance.stop();
}
