// SMTP inbound, end to end (SPEC §6): Postfix's smtp-source sends N messages
// of SIZE bytes over S concurrent sessions to port 25; the clock stops when
// every message is in the mailbox store. Then the same against Postfix
// delivering into Dovecot's LMTP on this machine (a throwaway instance in a
// temp dir), and the ratio. A script, never a test:
//   node --import tsx apps/mta/bench/inbound.ts [--messages 2000] [--sessions 20] [--size 5120] [--backend sqlite|mongodb] [--reuse]
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startDovecotLmtp, type DovecotLmtp } from '../../../test/mta/dovecot.js';
import { startMtaInstance } from '../../../test/mta/instance.js';
import { runTool } from '../../../test/support/tools.js';
import { freePort } from '../../../test/support/ports.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '2000' },
    sessions: { type: 'string', default: '20' },
    size: { type: 'string', default: '5120' },
    backend: { type: 'string', default: 'sqlite' },
    // smtp-source -d: several messages per connection instead of one connection per message.
    reuse: { type: 'boolean', default: false },
    'skip-postfix': { type: 'boolean', default: false },
  },
});
const MESSAGES = Number(values.messages);
const SESSIONS = Number(values.sessions);
const SIZE = Number(values.size);
const RECIPIENT = 'bench@example.com';

async function smtpSource(port: number): Promise<number> {
  const started = process.hrtime.bigint();
  const args = ['-s', String(SESSIONS), '-l', String(SIZE), '-m', String(MESSAGES), '-f', 'sender@example.org', '-t', RECIPIENT, '-M', 'client.example.org', ...(values.reuse ? ['-d'] : []), `127.0.0.1:${port}`];
  const run = await runTool('smtp-source', args, { timeoutMs: 600_000 });
  if (run.code !== 0) throw new Error(`smtp-source failed (${run.code}): ${run.stderr}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function waitUntil(count: () => Promise<number> | number, target: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let seen = await count();
  while (seen < target && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    seen = await count();
  }
  return seen;
}

async function postern(): Promise<{ seconds: number; delivered: number }> {
  const backend = values.backend === 'mongodb' ? 'mongodb' : 'sqlite';
  const mta = await startMtaInstance(backend, { settings: [['limits.smtpd_client_connection_count_limit', String(SESSIONS * 2)]] });
  try {
    await mta.addUser(RECIPIENT, 'bench password');
    const user = (await mta.store.getUser(RECIPIENT))!;
    const inbox = (await mta.store.getMailbox(user.id, 'INBOX'))!;
    const started = process.hrtime.bigint();
    await smtpSource(mta.ports.smtp);
    // Postern's 250 waits (a few seconds at most) for the queue's first LMTP attempt: little should be left to wait for.
    const delivered = await waitUntil(() => mta.store.countMessages(inbox.id), MESSAGES, 60_000);
    return { seconds: Number(process.hrtime.bigint() - started) / 1e9, delivered };
  } finally {
    await mta.stop();
  }
}

function postfixInstance(dovecot: DovecotLmtp, port: number): { dir: string; run(command: string): void } {
  const dir = mkdtempSync(join(tmpdir(), 'postern-bench-postfix-'));
  // Postfix's daemons run as the postfix user and must reach data_directory and the queue.
  chmodSync(dir, 0o755);
  for (const sub of ['etc', 'queue', 'data']) mkdirSync(join(dir, sub));
  const postfixUid = Number(spawnSync('id', ['-u', 'postfix'], { encoding: 'utf8' }).stdout.trim());
  chownSync(join(dir, 'data'), postfixUid, -1);
  const master = readFileSync('/usr/share/postfix/master.cf.dist', 'utf8').replace(/^smtp\s+inet\s+n\s+-\s+y\s+-\s+-\s+smtpd$/m, `127.0.0.1:${port} inet n - n - - smtpd`);
  writeFileSync(join(dir, 'etc', 'master.cf'), master);
  writeFileSync(
    join(dir, 'etc', 'main.cf'),
    [
      'compatibility_level = 3.6',
      `queue_directory = ${dir}/queue`,
      `data_directory = ${dir}/data`,
      'mail_owner = postfix',
      'setgid_group = postdrop',
      'myhostname = mail.example.com',
      'mydestination =',
      'inet_interfaces = 127.0.0.1',
      'inet_protocols = ipv4',
      'mynetworks = 127.0.0.0/8',
      'virtual_mailbox_domains = example.com',
      `virtual_transport = lmtp:inet:127.0.0.1:${dovecot.port}`,
      'smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination',
      'alias_maps =',
      'alias_database =',
      `maillog_file_prefixes = ${dir}`,
      `maillog_file = ${dir}/maillog`,
      'smtputf8_enable = no',
      'smtpd_banner = $myhostname ESMTP',
      'biff = no',
    ].join('\n') + '\n',
  );
  return {
    dir,
    // postfix(1) reports errors on a terminal or to syslog only: script(1) gives it a terminal.
    run(command) {
      const result = spawnSync('script', ['-qec', `postfix -c ${dir}/etc ${command}`, '/dev/null'], { encoding: 'utf8' });
      if (result.status !== 0 && command !== 'stop') throw new Error(`postfix ${command} failed: ${result.stdout}\n${existsSync(join(dir, 'maillog')) ? readFileSync(join(dir, 'maillog'), 'utf8').slice(-2000) : ''}`);
    },
  };
}

async function postfixDovecot(): Promise<{ seconds: number; delivered: number } | string> {
  for (const tool of ['postfix', 'dovecot']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  if (!existsSync('/usr/lib/dovecot/lmtp')) return 'dovecot-lmtpd is not installed';
  if (process.getuid?.() !== 0) return 'a throwaway Postfix instance needs root (postfix start)';
  const dovecot = await startDovecotLmtp();
  const port = await freePort();
  const postfix = postfixInstance(dovecot, port);
  try {
    postfix.run('check');
    postfix.run('start');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const maildir = join(dovecot.dir, 'mail', 'example.com', 'bench', 'Maildir');
    const count = (): number => ['new', 'cur'].reduce((sum, sub) => sum + (existsSync(join(maildir, sub)) ? readdirSync(join(maildir, sub)).length : 0), 0);
    const started = process.hrtime.bigint();
    await smtpSource(port).catch((err: Error) => {
      throw new Error(`${err.message}\n${existsSync(join(postfix.dir, 'maillog')) ? readFileSync(join(postfix.dir, 'maillog'), 'utf8').slice(-2000) : ''}`);
    });
    // Postfix queues first; end to end means until Dovecot has stored every message.
    const delivered = await waitUntil(count, MESSAGES, 300_000);
    return { seconds: Number(process.hrtime.bigint() - started) / 1e9, delivered };
  } finally {
    postfix.run('stop');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    rmSync(postfix.dir, { recursive: true, force: true });
    await dovecot.stop();
  }
}

const rate = (r: { seconds: number; delivered: number }): number => r.delivered / r.seconds;
const mode = `${MESSAGES} messages × ${SIZE} B, ${SESSIONS} sessions, ${values.reuse ? 'several messages per connection (-d)' : 'one connection per message'}`;
console.log(`SMTP inbound end to end (${mode})`);
const ours = await postern();
console.log(`Postern (${values.backend}, postern start):      ${ours.delivered}/${MESSAGES} in ${ours.seconds.toFixed(2)} s = ${rate(ours).toFixed(0)} msg/s`);
if (!values['skip-postfix']) {
  const theirs = await postfixDovecot();
  if (typeof theirs === 'string') console.log(`Postfix + Dovecot LMTP: skipped (${theirs})`);
  else {
    console.log(`Postfix 3.7 → Dovecot 2.3 LMTP:           ${theirs.delivered}/${MESSAGES} in ${theirs.seconds.toFixed(2)} s = ${rate(theirs).toFixed(0)} msg/s`);
    console.log(`ratio Postern / Postfix+Dovecot: ${(rate(ours) / rate(theirs)).toFixed(2)}`);
  }
}
