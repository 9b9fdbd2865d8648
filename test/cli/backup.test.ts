// `postern backup` while mail is being delivered, then `postern restore` into
// the stopped instance: every message the backup holds opens and reads over
// IMAP (imapflow), as it was sent. The store file and the backup are 0600
// (they hold the password hashes and the DKIM private keys).
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ImapFlow } from 'imapflow';
import { initInstance, type CliInstance } from './backends.js';
import { startDnsServer, type DnsTestServer } from '../support/dns-server.js';
import { startInstance, type PosternInstance } from '../support/instance.js';
import { startPostern } from '../support/postern-process.js';
import { python } from '../support/python.js';

const PASSWORD = 'backup test';

/** Sends messages over SMTP, one session each, as a client in mynetworks, until the file `stop` exists; resolves with how many got 250. */
function sendLoad(port: number, stop: string): Promise<{ sent: number }> {
  return python(
    `
import os, smtplib
sent = 0
for n in range(5000):
    if os.path.exists(args['stop']):
        break
    body = f"message {n}\\r\\n" + ("line of load %d\\r\\n" % n) * 200
    msg = f"From: load@example.net\\r\\nTo: alice@example.com\\r\\nSubject: load {n}\\r\\nMessage-ID: <load{n}@example.net>\\r\\n\\r\\n{body}"
    with smtplib.SMTP('127.0.0.1', args['port'], timeout=30) as smtp:
        smtp.sendmail('load@example.net', ['alice@example.com'], msg)
    sent += 1
out['sent'] = sent
`,
    { port, stop },
  );
}

/** Every INBOX message's source, through imapflow. */
async function readAll(port: number): Promise<string[]> {
  const client = new ImapFlow({ host: '127.0.0.1', port, secure: false, tls: { rejectUnauthorized: false }, auth: { user: 'alice@example.com', pass: PASSWORD }, logger: false });
  await client.connect();
  const sources: string[] = [];
  const lock = await client.getMailboxLock('INBOX');
  try {
    for await (const message of client.fetch('1:*', { source: true, size: true })) {
      const source = message.source?.toString() ?? '';
      assert.equal(Buffer.byteLength(source), message.size, 'RFC822.SIZE matches the bytes read');
      sources.push(source);
    }
  } finally {
    lock.release();
    await client.logout();
  }
  return sources;
}

const mode = (path: string): number => statSync(path).mode & 0o777;

describe('postern backup and restore on sqlite', { timeout: 300_000 }, () => {
  let dns: DnsTestServer;
  let server: PosternInstance<'smtp' | 'lmtp' | 'imap'>;
  let backupFile: string;
  const storeFile = (): string => (server.storeOptions.backend === 'sqlite' ? server.storeOptions.path : assert.fail('not sqlite'));

  before(async () => {
    dns = await startDnsServer({});
    server = await startInstance('sqlite', {
      listen: ['smtp', 'lmtp', 'imap'],
      settings: [
        ['dns.servers', `["${dns.address}"]`],
        ['dns.timeout_ms', '1000'],
        ['imap.allow_cleartext_auth', 'true'],
      ],
    });
    await server.addUser('alice@example.com', PASSWORD);
    backupFile = join(server.instance.dir, 'backup.sqlite');
  });
  after(async () => {
    await server?.stop();
    await dns?.stop();
  });

  it('creates the store file 0600', () => {
    assert.equal(mode(storeFile()), 0o600);
  });

  it('takes a consistent copy during delivery; restored into the stopped instance, every message in it reads back over IMAP', async () => {
    const stop = join(server.instance.dir, 'stop-load');
    const load = sendLoad(server.ports.smtp, stop);
    load.catch(() => {});
    // Take the backup in the middle of the load.
    const deadline = Date.now() + 60_000;
    while ((await server.inbox('alice@example.com')).length < 10) {
      if (Date.now() > deadline) throw new Error('the load did not start');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const backup = await server.instance.run(['backup', backupFile]);
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stdout, /^backed up sqlite .* to .*backup\.sqlite in \d+\.\d s$/m);
    assert.equal(mode(backupFile), 0o600);
    // Let a few more arrive after the copy, then stop the load.
    const copied = (await server.inbox('alice@example.com')).length;
    while ((await server.inbox('alice@example.com')).length < copied + 3) await new Promise((resolve) => setTimeout(resolve, 50));
    writeFileSync(stop, '');
    const { sent } = await load;
    assert.equal((await readAll(server.ports.imap)).length, sent, 'all delivered before the restore');

    const refused = await server.instance.run(['restore', backupFile]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^postern: something answers on listen\.\w+ .*: stop Postern/);

    await server.stopServices();
    server.processes.length = 0;
    const restored = await server.instance.run(['restore', backupFile]);
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stdout, /kept as .*\.before-restore/);
    assert.equal(mode(storeFile()), 0o600);

    server.processes.push(await startPostern(server.instance.configFile, 'start'));
    const sources = await readAll(server.ports.imap);
    console.log(`backup during delivery held ${sources.length} of ${sent} messages`);
    assert.ok(sources.length >= 10 && sources.length < sent, `the copy holds ${sources.length} of ${sent}: taken during the load`);
    const numbers = sources.map((source) => {
      const n = Number(/\r\nSubject: load (\d+)\r\n/.exec(source)?.[1]);
      assert.ok(source.includes(`\r\n\r\nmessage ${n}\r\n${`line of load ${n}\r\n`.repeat(200)}`), `message ${n} is whole`);
      return n;
    });
    // One SMTP session after the other: the copy holds the first ones, in order, none twice.
    assert.deepEqual(numbers, [...Array(sources.length).keys()]);
  });
});

describe('postern backup on mongodb', { timeout: 120_000 }, () => {
  let instance: CliInstance;
  before(async () => {
    instance = await initInstance('mongodb');
  });
  after(async () => instance?.dispose());

  it('points at mongodump --oplog, on one line, and restore at mongorestore', async () => {
    const backup = await instance.run(['backup', join(instance.dir, 'x')]);
    assert.equal(backup.code, 1);
    assert.match(backup.stderr, /^postern: the mongodb backend is backed up with MongoDB's tools: mongodump --oplog .*\n$/);
    const restore = await instance.run(['restore', join(instance.dir, 'x')]);
    assert.equal(restore.code, 1);
    assert.match(restore.stderr, /^postern: the mongodb backend is restored with MongoDB's tools: mongorestore --oplogReplay/);
  });
});
