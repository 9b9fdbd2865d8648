// Real spamd and rspamd processes for the scanner tests: each on a free loopback port, in its own temp dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../test/support/ports.js';

export interface Daemon {
  /** host:port, as content_filter.address takes it. */
  address: string;
  /** How long it took to start accepting connections. */
  startupMs: number;
  /** Everything it printed (its log goes to stderr/stdout). */
  output(): string;
  stop(): Promise<void>;
}

const isRoot = process.getuid?.() === 0;

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Spawns `command`, waits until it accepts connections on `port`, and hands back a Daemon. */
async function startDaemon(name: string, command: string, args: string[], port: number, dir: string): Promise<Daemon> {
  const started = Date.now();
  const child: ChildProcess = spawn(command, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-64 * 1024);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: string | null = null;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = `exited with ${signal ?? code}`;
      resolve();
    });
  });
  child.once('error', (err) => (exited = `could not start: ${err.message}`));

  const stop = async (): Promise<void> => {
    if (exited === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = started + 60_000;
  while (!(await canConnect(port))) {
    if (exited !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`${name} ${exited ?? 'did not listen within 60 s'}:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { address: `127.0.0.1:${port}`, startupMs: Date.now() - started, output: () => output, stop };
}

/** A scratch directory the daemons' unprivileged user can read (and, for `writable`, write). */
function scratch(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/**
 * spamd (SpamAssassin's daemon, the `spamd` binary at `path`): local tests
 * only (-L, no DNS), no per-user config, no Bayes, as nobody when we are root.
 */
export async function startSpamd(path: string): Promise<Daemon> {
  const dir = scratch('postern-spamd-');
  const port = await freePort();
  const args = [
    `--listen=127.0.0.1:${port}`,
    '--allowed-ips=127.0.0.1',
    '--local',
    '--nouser-config',
    `--helper-home-dir=${dir}`,
    `--pidfile=${join(dir, 'spamd.pid')}`,
    '--syslog=stderr',
    '--max-children=2',
    '--min-children=1',
    '--cf=use_bayes 0',
    '--cf=bayes_auto_learn 0',
  ];
  if (isRoot) args.push('--username=nobody');
  return startDaemon('spamd', path, args, port, dir);
}

/** What the rspamd test rules expect the envelope headers to carry. */
export interface ExpectedEnvelope {
  ip: string;
  helo: string;
  from: string;
  recipients: string[];
  queueId: string;
  user: string;
  hostname: string;
}

const lua = (text: string): string => JSON.stringify(text);

/**
 * Test rules: POSTERN_TEST_SPAM scores 10 (rspamd's "add header") when the
 * Subject holds "postern-test-spam"; POSTERN_SEEN_* fire, scoring nothing,
 * when rspamd read that part of the envelope as `expected` says.
 */
function testRules(expected: ExpectedEnvelope): string {
  const seen = (name: string, test: string): string =>
    `rspamd_config.POSTERN_SEEN_${name} = { score = 0.0, description = 'envelope ${name}', callback = function(task)\n  ${test}\nend }\n`;
  return [
    `rspamd_config.POSTERN_TEST_SPAM = { score = 10.0, description = 'Postern test spam', callback = function(task)\n  local subject = task:get_subject()\n  return subject ~= nil and subject:find('postern-test-spam', 1, true) ~= nil\nend }\n`,
    seen('IP', `local ip = task:get_from_ip()\n  return ip ~= nil and ip:is_valid() and ip:to_string() == ${lua(expected.ip)}`),
    seen('HELO', `return task:get_helo() == ${lua(expected.helo)}`),
    seen('FROM', `local from = task:get_from('smtp')\n  return from ~= nil and from[1] ~= nil and from[1].addr == ${lua(expected.from)}`),
    seen(
      'RCPT',
      `local rcpts = task:get_recipients('smtp') or {}\n  local got = {}\n  for _, r in ipairs(rcpts) do got[#got + 1] = r.addr end\n  return table.concat(got, ',') == ${lua(expected.recipients.join(','))}`,
    ),
    seen('QUEUE_ID', `return task:get_queue_id() == ${lua(expected.queueId)}`),
    seen('USER', `return task:get_user() == ${lua(expected.user)}`),
    seen('HOSTNAME', `return task:get_hostname() == ${lua(expected.hostname)}`),
  ].join('');
}

/**
 * rspamd (the `rspamd` binary at `path`) in the foreground with a minimal
 * config: one normal worker on a free port, the actions of the stock config
 * (reject 15, add header 6, greylist 4), the built-in GTUBE check and our
 * test rules; no controller, no Redis, DNS pointed at a closed local port.
 */
export async function startRspamd(path: string, expected: ExpectedEnvelope): Promise<Daemon> {
  const dir = scratch('postern-rspamd-');
  const db = join(dir, 'db');
  mkdirSync(db);
  chmodSync(db, 0o777);
  const port = await freePort();
  writeFileSync(join(dir, 'rules.lua'), testRules(expected));
  // A few suffixes instead of the whole public suffix list, which takes seconds to compile.
  writeFileSync(join(dir, 'tld.dat'), 'com\nnet\norg\nexample\n');
  writeFileSync(
    join(dir, 'rspamd.conf'),
    `options {
  pidfile = "${join(dir, 'rspamd.pid')}";
  dbdir = "${db}";
  url_tld = "${join(dir, 'tld.dat')}";
  disable_hyperscan = true;
  dns { nameserver = ["127.0.0.1:9"]; timeout = 1s; retransmits = 1; }
}
logging { type = "console"; level = "notice"; }
lua = "${join(dir, 'rules.lua')}";
actions { reject = 15; add_header = 6; greylist = 4; }
worker "normal" {
  bind_socket = "127.0.0.1:${port}";
  count = 1;
  mime = true;
}
`,
  );
  const args = ['-f', '-c', join(dir, 'rspamd.conf')];
  if (isRoot) args.push('-u', 'nobody', '-g', 'nogroup');
  return startDaemon('rspamd', path, args, port, dir);
}
