// The fail2ban filter and jail in deploy/fail2ban, and the CrowdSec parser and
// scenario in deploy/crowdsec, read Postern's own log: a real `postern start`
// gets failed IMAP, POP3 and SMTP AUTH logins (and a refused authorization
// identity) from one loopback address each, and a brute force from another;
// fail2ban-regex must find exactly those addresses, not the one that logged
// in, and CrowdSec's time-machine replay must ban the brute force alone.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startFakeLapi } from '../support/crowdsec-lapi.js';
import { startInstance, type PosternInstance } from '../support/instance.js';
import { LOGIN_CLIENTS as CLIENTS } from '../support/login-clients.js';
import { python } from '../support/python.js';
import { findTool, requireTool, runTool } from '../support/tools.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const FILTER = join(root, 'deploy/fail2ban/filter.d/postern.conf');
const JAIL = join(root, 'deploy/fail2ban/jail.d/postern.conf');
const CROWDSEC = join(root, 'deploy/crowdsec');
/** Debian's crowdsec package as scripts/setup.sh unpacks it (installing it needs internet), or as installed. */
const CROWDSEC_UNPACKED = join(root, '.tools/crowdsec');
const CROWDSEC_PREFIX = existsSync(join(CROWDSEC_UNPACKED, 'usr/bin/crowdsec')) ? CROWDSEC_UNPACKED : '/';
/** Where the package keeps its hub snapshot (the syslog and date parsers come from there). */
const CROWDSEC_HUB = process.env.CROWDSEC_HUB ?? join(CROWDSEC_PREFIX, 'usr/share/crowdsec/hub');
/** The grok patterns the syslog parser uses, where the package puts them. */
const CROWDSEC_PATTERNS = process.env.CROWDSEC_PATTERNS ?? join(CROWDSEC_PREFIX, 'etc/crowdsec/patterns');
/** postern/postern-bf: a leaky bucket of capacity 5. */
const BRUTE_FORCE_ATTEMPTS = 6;

const ALICE = 'alice@example.com';
const PASSWORD = 'alice fail2ban password';
/** Each client comes from its own loopback address (127.0.0.0/8 is all loopback). */
const FROM = { imap: '127.0.0.2', pop3: '127.0.0.3', smtp: '127.0.0.4', authzid: '127.0.0.6', good: '127.0.0.5', brute: '127.0.0.8' };


describe('fail2ban and CrowdSec read Postern auth failures', () => {
  let postern: PosternInstance<'submission' | 'imap' | 'pop3' | 'lmtp'>;
  let dir: string;
  let log: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'postern-fail2ban-'));
    // Failures stay under the ban threshold: the filter reads the failures, not Postern's own bans.
    postern = await startInstance('sqlite', { listen: ['submission', 'imap', 'pop3', 'lmtp'], settings: [['limits.auth_failures_before_ban', '50'], ['auth.failure_delay', '"0s"']] });
    await postern.addUser(ALICE, PASSWORD);
    const out = await python<Record<string, unknown>>(
      `
f = args['from']
out['imap'] = [imap_login(f['imap'], args['alice'], 'wrong'), imap_login(f['imap'], 'nobody@example.com', 'x')]
out['pop3'] = [pop_login(f['pop3'], args['alice'], 'wrong'), pop_login(f['pop3'], args['alice'], 'wrong again')]
out['smtp'] = [smtp_plain(f['smtp'], '\\0' + args['alice'] + '\\0wrong'), smtp_plain(f['smtp'], '\\0"client":"10.9.9.9","event":"auth_failed"\\0wrong')]
out['brute'] = [smtp_plain(f['brute'], '\\0' + args['alice'] + '\\0guess%d' % i) for i in range(args['attempts'])]
out['authzid'] = smtp_plain(f['authzid'], 'bob@example.com\\0' + args['alice'] + '\\0' + args['password'])
out['good'] = [imap_login(f['good'], args['alice'], args['password']), pop_login(f['good'], args['alice'], args['password']), smtp_plain(f['good'], '\\0' + args['alice'] + '\\0' + args['password'])]
`,
      { imap: postern.ports.imap, pop3: postern.ports.pop3, submission: postern.ports.submission, alice: ALICE, password: PASSWORD, from: FROM, attempts: BRUTE_FORCE_ATTEMPTS },
      CLIENTS,
    );
    assert.deepEqual(out.imap, ['NO', 'NO']);
    assert.deepEqual((out.pop3 as string[]).map((reply) => reply.slice(0, 4)), ['-ERR', '-ERR']);
    assert.deepEqual(out.smtp, [535, 535]);
    assert.deepEqual(out.brute, Array(BRUTE_FORCE_ATTEMPTS).fill(535));
    assert.notEqual(out.authzid, 235);
    const [imapOk, popOk, smtpOk] = out.good as [string, string, number];
    assert.equal(imapOk, 'OK');
    assert.match(popOk, /^\+OK/);
    assert.equal(smtpOk, 235);
    await postern.waitForLog((line) => line.event === 'auth_authzid_refused');
    await postern.waitForLog((line) => line.event === 'auth_ok' && line.client === FROM.good && line.protocol === 'submission');
    // The log as journald or a file sink keeps it: one JSON object per line.
    log = join(dir, 'postern.log');
    writeFileSync(log, postern.output());
  });
  after(async () => {
    await postern?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('finds the address of every failed IMAP, POP3 and SMTP login and refused authzid, and not the one that logged in', async (t) => {
    if (!requireTool(t, 'fail2ban-regex', 'fail2ban')) return;
    const result = await runTool('fail2ban-regex', ['--out', 'ip', log, FILTER]);
    assert.equal(result.code, 0, result.stderr);
    const ips = result.stdout.split('\n').filter((line) => line.trim() !== '');
    const count = (ip: string) => ips.filter((found) => found === ip).length;
    assert.equal(count(FROM.imap), 2, result.stdout);
    assert.equal(count(FROM.pop3), 2, result.stdout);
    assert.equal(count(FROM.smtp), 2, result.stdout);
    assert.equal(count(FROM.authzid), 1, result.stdout);
    assert.equal(count(FROM.good), 0, 'a successful login is not a failure');
    assert.equal(count(FROM.brute), BRUTE_FORCE_ATTEMPTS, result.stdout);
    assert.equal(count('10.9.9.9'), 0, 'an address inside a user name is not the client');
    assert.deepEqual(new Set(ips), new Set([FROM.imap, FROM.pop3, FROM.smtp, FROM.authzid, FROM.brute]));
  });

  it('matches the same lines behind a syslog prefix (rsyslog forwarding the journal)', async (t) => {
    if (!requireTool(t, 'fail2ban-regex', 'fail2ban')) return;
    const prefixed = join(dir, 'syslog.log');
    writeFileSync(prefixed, readFileSync(log, 'utf8').replace(/^(?=\{)/gm, 'Dec  6 22:30:41 mail postern[4242]: '));
    const result = await runTool('fail2ban-regex', ['--out', 'ip', prefixed, FILTER]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual([...new Set(result.stdout.split('\n').filter(Boolean))].sort(), [FROM.imap, FROM.pop3, FROM.smtp, FROM.authzid, FROM.brute].sort());
  });

  it('the jail, installed beside Debian\'s own configuration, enables the filter on every mail port', async (t) => {
    const client = requireTool(t, 'fail2ban-client', 'fail2ban');
    if (!client) return;
    // fail2ban-client -d parses the configuration and prints what it would send the server; nothing starts.
    const conf = join(dir, 'fail2ban');
    cpSync('/etc/fail2ban', conf, { recursive: true });
    cpSync(FILTER, join(conf, 'filter.d/postern.conf'));
    cpSync(JAIL, join(conf, 'jail.d/postern.conf'));
    const dump = await runTool(client, ['--conf', conf, '-d']);
    assert.equal(dump.code, 0, dump.stderr);
    assert.match(dump.stdout, /\['add', 'postern', 'systemd'\]/);
    assert.match(dump.stdout, /\['set', 'postern', 'addfailregex', '.*"client":"<ADDR>"/);
    assert.match(dump.stdout, /\['set', 'postern', 'addjournalmatch', '_SYSTEMD_UNIT=postern-mta\.service'\]/);
    assert.match(dump.stdout, /--dports 25,587,465,143,993,110,995 /);
  });

  it('CrowdSec: the parser reads the failures and postern/postern-bf bans the brute force alone (time-machine replay)', async (t) => {
    // scripts/setup.sh unpacks Debian's crowdsec package (its post-install needs internet).
    const unpacked = join(CROWDSEC_UNPACKED, 'usr/bin/crowdsec');
    const crowdsec = existsSync(unpacked) ? unpacked : requireTool(t, 'crowdsec', 'crowdsec');
    if (!crowdsec) return;
    // A crowdsec configuration of its own: the hub's syslog and date parsers, ours, and no database or server.
    const conf = join(dir, 'crowdsec');
    for (const stage of ['s00-raw', 's01-parse', 's02-enrich']) mkdirSync(join(conf, 'parsers', stage), { recursive: true });
    for (const sub of ['scenarios', 'hub']) mkdirSync(join(conf, sub), { recursive: true });
    cpSync(join(CROWDSEC, 'parsers/s01-parse/postern-logs.yaml'), join(conf, 'parsers/s01-parse/postern-logs.yaml'));
    cpSync(join(CROWDSEC_HUB, 'parsers/s00-raw/crowdsecurity/syslog-logs.yaml'), join(conf, 'parsers/s00-raw/syslog-logs.yaml'));
    cpSync(join(CROWDSEC_HUB, 'parsers/s02-enrich/crowdsecurity/dateparse-enrich.yaml'), join(conf, 'parsers/s02-enrich/dateparse-enrich.yaml'));
    cpSync(join(CROWDSEC, 'scenarios/postern-bf.yaml'), join(conf, 'scenarios/postern-bf.yaml'));
    cpSync(CROWDSEC_PATTERNS, join(conf, 'patterns'), { recursive: true });
    const lapi = await startFakeLapi();
    try {
      writeFileSync(join(conf, 'hub/.index.json'), JSON.stringify({ parsers: {}, scenarios: {}, postoverflows: {}, collections: {} }));
      writeFileSync(join(conf, 'acquis.yaml'), '');
      writeFileSync(join(conf, 'simulation.yaml'), 'simulation: false\n');
      writeFileSync(join(conf, 'lapi.yaml'), `url: ${lapi.url}\nlogin: postern-test\npassword: postern-test\n`);
      writeFileSync(
        join(conf, 'config.yaml'),
        [
          'common: { daemonize: false, log_media: stdout, log_level: info, working_dir: . }',
          `config_paths: { config_dir: ${conf}/, data_dir: ${conf}/, simulation_path: ${conf}/simulation.yaml, hub_dir: ${conf}/hub/, index_path: ${conf}/hub/.index.json }`,
          `crowdsec_service: { acquisition_path: ${conf}/acquis.yaml, parser_routines: 1 }`,
          `db_config: { type: sqlite, db_path: ${conf}/crowdsec.db }`,
          `api: { client: { credentials_path: ${conf}/lapi.yaml } }`,
          'prometheus: { enabled: false }',
        ].join('\n'),
      );
      // The log as a file of bare JSON lines: the file's type is the program name the parser filters on.
      const replay = await runTool(crowdsec, ['-c', join(conf, 'config.yaml'), '-dsn', `file://${log}`, '-type', 'postern', '-no-api'], { timeoutMs: 60_000 });
      assert.equal(replay.code, 0, replay.stdout + replay.stderr);
      assert.equal(lapi.alerts.length, 1, JSON.stringify(lapi.alerts.map((alert) => [alert.scenario, alert.source])));
      const [alert] = lapi.alerts;
      assert.equal(alert!.scenario, 'postern/postern-bf');
      assert.equal(alert!.source.ip, FROM.brute);
      const meta = Object.fromEntries(alert!.events[0]!.meta.map(({ key, value }) => [key, value]));
      assert.deepEqual([meta.log_type, meta.service, meta.protocol, meta.username, meta.source_ip], ['postern_auth_failed', 'postern', 'submission', ALICE, FROM.brute]);
    } finally {
      await lapi.stop();
    }
  });
});
