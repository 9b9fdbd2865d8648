// `postern doctor` against a running `postern start`: every check a guide makes by hand, as
// ✓/✗/! lines and --json, exit 1 on any ✗ — with a complete zone on the test DNS server, then
// with the services stopped, a due queue entry left behind, a DKIM record missing, a
// certificate for another name and a broken config file.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DoctorFinding, DoctorReport } from '../../apps/cli/src/doctor/finding.js';
import { startDnsServer, type DnsTestServer, type ZoneRecords } from '../support/dns-server.js';
import { startInstance, type PosternInstance } from '../support/instance.js';
import { createTestCa, issueLeaf } from '../support/pki.js';

const DOMAIN = 'example.com';
const HOST = 'mail.example.com';

describe('postern doctor (sqlite)', { timeout: 180_000 }, () => {
  let mail: PosternInstance<'smtp' | 'submission' | 'lmtp' | 'imap' | 'pop3' | 'metrics'>;
  let dns: DnsTestServer;
  let zone: ZoneRecords;

  async function doctor(): Promise<{ code: number; stdout: string; stderr: string; report: DoctorReport }> {
    const json = await mail.instance.run(['doctor', '--json']);
    const text = await mail.instance.run(['doctor']);
    assert.equal(json.code, text.code, 'the same exit code with and without --json');
    return { code: text.code, stdout: text.stdout, stderr: text.stderr, report: JSON.parse(json.stdout) as DoctorReport };
  }
  const findings = (report: DoctorReport, check: string): DoctorFinding[] => report.findings.filter((f) => f.check === check);
  const one = (report: DoctorReport, check: string, subject?: string): DoctorFinding => {
    const found = report.findings.find((f) => f.check === check && (subject === undefined || f.subject.startsWith(subject)));
    assert.ok(found, `a ${check} finding${subject ? ` for ${subject}` : ''} in ${JSON.stringify(report.findings.map((f) => `${f.check} ${f.subject}`))}`);
    return found;
  };

  before(async () => {
    dns = await startDnsServer({});
    mail = await startInstance('sqlite', {
      listen: ['smtp', 'submission', 'lmtp', 'imap', 'pop3', 'metrics'],
      settings: [
        ['dns.servers', JSON.stringify([dns.address])],
        ['dns.timeout_ms', '500'],
      ],
    });
    const shown = JSON.parse((await mail.instance.run(['dkim', 'show', DOMAIN, '--json'])).stdout) as { record: { name: string; value: string } }[];
    const dkim = shown[0]!.record;
    zone = {
      [HOST]: { A: ['127.0.0.1'] },
      '1.0.0.127.in-addr.arpa': { PTR: [HOST] },
      [DOMAIN]: { MX: [{ exchange: HOST, priority: 10 }], TXT: ['v=spf1 mx -all'] },
      [dkim.name]: { TXT: [dkim.value] },
      [`_dmarc.${DOMAIN}`]: { TXT: [`v=DMARC1; p=quarantine; rua=mailto:postmaster@${DOMAIN}`] },
    };
    dns.set(zone);
  });
  after(async () => {
    await mail?.stop();
    await dns?.stop();
  });

  it('passes a healthy instance: ports greet, store writable, DKIM key, empty queue, DNS right; exit 0', async () => {
    const { code, stdout, report } = await doctor();
    assert.equal(code, 0, stdout);
    assert.equal(report.ok, true);
    assert.equal(one(report, 'config').status, 'ok');
    const ports = findings(report, 'port');
    assert.equal(ports.length, 6);
    for (const port of ports) assert.equal(port.status, 'ok', `${port.subject}: ${port.detail}`);
    // RFC 5321 §4.2 / RFC 9051 §7.1 / RFC 1939 §4: each protocol's greeting.
    assert.match(one(report, 'port', 'smtp ').detail, /^220 /);
    assert.match(one(report, 'port', 'imap ').detail, /^\* OK/);
    assert.match(one(report, 'port', 'pop3 ').detail, /^\+OK/);
    assert.match(one(report, 'port', 'metrics ').detail, /^HTTP\/1\.1 200/);
    assert.equal(one(report, 'store').status, 'ok');
    assert.match(one(report, 'dkim', DOMAIN).detail, /^signing with /);
    assert.deepEqual([one(report, 'queue').status, one(report, 'queue').detail], ['ok', 'empty']);
    assert.notEqual(one(report, 'dns', DOMAIN).status, 'fail');
    assert.equal(one(report, 'disk').status, 'ok');
    assert.notEqual(one(report, 'clock').status, 'fail');
    // The default mynetworks (127.0.0.0/8) trusts every source that reaches a loopback listener.
    const relay = one(report, 'relay');
    assert.equal(relay.status, 'warn');
    assert.match(relay.detail, /^not run: every address of this host that can reach 127\.0\.0\.1:\d+ is in smtpd\.mynetworks \(127\.0\.0\.0\/8/);
    // init's certificate is self-signed: a warning with the way out, not a failure.
    const tls = one(report, 'tls');
    assert.equal(tls.status, 'warn');
    assert.match(tls.detail, /self-signed/);
    // A self-addressed message through submission → queue → LMTP, judged as a receiver judges it.
    const [spf, dkim, dmarc] = ['SPF', 'DKIM', 'DMARC'].map((method) => one(report, 'auth', `${method} ${DOMAIN}`));
    assert.equal(spf!.status, 'ok', spf!.detail);
    assert.match(spf!.detail, /^spf=pass .*smtp\.mailfrom=postern-doctor-[0-9a-f]{8}@example\.com/);
    assert.equal(dkim!.status, 'ok', dkim!.detail);
    assert.match(dkim!.detail, /^dkim=pass .*header\.[id]=@?example\.com/);
    assert.equal(dmarc!.status, 'ok', dmarc!.detail);
    assert.match(dmarc!.detail, /^dmarc=pass .*header\.from=example\.com/);
    assert.match(stdout, /^✓ auth {3}DKIM example\.com: dkim=pass/m);
    // The temporary mailboxes are gone again.
    assert.deepEqual((await mail.store.listUsers()).filter((u) => u.address.startsWith('postern-doctor-')), []);
    assert.match(stdout, /^✓ port {3}smtp 127\.0\.0\.1:\d+: 220 /m);
    assert.match(stdout, /^! tls {4}.*self-signed/m);
    assert.match(stdout, /^ {4}fix: get a certificate from a CA/m);
  });

  it('judges the self-addressed message\'s DKIM signature ✗ when the zone lacks the DKIM TXT, naming the record to add', async () => {
    const dkimName = Object.keys(zone).find((name) => name.includes('._domainkey.'))!;
    const { [dkimName]: _dkim, ...withoutDkim } = zone;
    dns.set(withoutDkim);
    try {
      const { code, report } = await doctor();
      assert.equal(code, 1);
      const dkim = one(report, 'auth', `DKIM ${DOMAIN}`);
      assert.equal(dkim.status, 'fail');
      // RFC 6376 §6.1.2: no key record is a permanent failure (mailauth: "no key").
      assert.match(dkim.detail, /^dkim=(neutral|fail|permerror|temperror)/);
      assert.match(dkim.fix ?? '', new RegExp(`^publish ${dkimName.replace(/\./g, '\\.')}\\.  IN TXT   "v=DKIM1; k=`));
      // SPF still passes and is aligned, so DMARC passes (RFC 7489 §4.2: either one aligned suffices).
      assert.equal(one(report, 'auth', `SPF ${DOMAIN}`).status, 'ok');
      assert.equal(one(report, 'auth', `DMARC ${DOMAIN}`).status, 'ok');
    } finally {
      dns.set(zone);
    }
  });

  it('names a missing DKIM record, a certificate for another name, stopped services and a stuck queue; exit 1', async () => {
    const { [Object.keys(zone).find((name) => name.includes('._domainkey.'))!]: _dkim, ...withoutDkim } = zone;
    dns.set(withoutDkim);
    const other = issueLeaf(createTestCa(join(mail.instance.dir, 'ca')), ['other.example.net']);
    writeFileSync(join(mail.instance.dir, 'other.pem'), other.fullchain);
    writeFileSync(join(mail.instance.dir, 'other.key'), other.key);
    await mail.run(['config', 'set', 'tls.cert', JSON.stringify(join(mail.instance.dir, 'other.pem'))]);
    await mail.run(['config', 'set', 'tls.key', JSON.stringify(join(mail.instance.dir, 'other.key'))]);
    await mail.stopServices();
    // A message due an hour ago that no runner took: what a stopped MTA leaves.
    const entry = await mail.store.enqueue({ from: `alice@${DOMAIN}`, recipients: [{ address: 'bob@example.org' }], parts: [Buffer.from('Subject: x\r\n\r\nx\r\n')], nextAttemptAt: new Date(Date.now() - 3_600_000) });

    const { code, stdout, stderr, report } = await doctor();
    assert.equal(code, 1);
    assert.equal(report.ok, false);
    assert.match(stderr, /^postern: doctor: \d+ problem\(s\) found \(.*port.*\)\n$/);
    for (const port of findings(report, 'port')) {
      assert.equal(port.status, 'fail');
      assert.match(port.detail, /does not answer: .*ECONNREFUSED/);
    }
    const dnsFinding = one(report, 'dns', DOMAIN);
    assert.equal(dnsFinding.status, 'fail');
    assert.match(dnsFinding.detail, /DKIM [^,]+\._domainkey\.example\.com/);
    assert.equal(dnsFinding.fix, `postern dns check ${DOMAIN} prints the records to publish`);
    const tls = one(report, 'tls');
    assert.equal(tls.status, 'fail');
    assert.match(tls.detail, /does not name mail\.example\.com \(it names DNS:other\.example\.net\)/);
    const queue = one(report, 'queue');
    assert.equal(queue.status, 'fail');
    assert.match(queue.detail, new RegExp(`^1 entry, oldest ${entry.id} .*no queue runner is running`));
    assert.match(stdout, /^✗ queue {2}outbound queue: /m);
    await mail.store.deleteQueueEntry(entry.id);
  });

  it('reports a broken config file as one ✗ line and exits 1', async () => {
    const file = mail.instance.configFile;
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n[smtpd]\nrecipient_restrictions = ["permit_everything"]\n`);
    const { code, report } = await doctor();
    assert.equal(code, 1);
    const config = one(report, 'config');
    assert.equal(config.status, 'fail');
    assert.match(config.detail, /permit_everything|smtpd/);
  });
});

describe('postern doctor: open-relay self-test (sqlite)', { timeout: 120_000 }, () => {
  let mail: PosternInstance<'smtp' | 'lmtp'>;
  const relayFinding = async (): Promise<{ code: number; stdout: string; relay: DoctorFinding }> => {
    const json = await mail.instance.run(['doctor', '--json']);
    const text = await mail.instance.run(['doctor']);
    const relay = (JSON.parse(json.stdout) as DoctorReport).findings.find((f) => f.check === 'relay');
    assert.ok(relay, json.stdout);
    return { code: text.code, stdout: text.stdout, relay };
  };

  before(async () => {
    // Only 127.0.0.1 is trusted: the doctor's probe comes from another loopback address.
    mail = await startInstance('sqlite', { listen: ['smtp', 'lmtp'], settings: [['smtpd.mynetworks', '["127.0.0.1/32"]']] });
  });
  after(() => mail?.stop());

  it('is refused from outside mynetworks without AUTH: ✓ with the MTA\'s reply', async () => {
    const { relay, stdout } = await relayFinding();
    assert.equal(relay.status, 'ok', relay.detail);
    assert.equal(relay.subject, `smtp 127.0.0.1:${mail.ports.smtp} from 127.0.0.2`);
    // RFC 5321 §3.6.2 / Postfix reject_unauth_destination: 554 5.7.1 Relay access denied.
    assert.match(relay.detail, /^relaying refused without AUTH: RCPT TO → 554 5\.7\.1 <postern-relay-test@relay-test\.invalid>: Relay access denied/);
    assert.match(stdout, /^✓ relay {2}smtp 127\.0\.0\.1:\d+ from 127\.0\.0\.2: relaying refused/m);
    // The MTA saw the session from the non-mynetworks address, and no message was queued.
    await mail.waitForLog((line) => JSON.stringify(line).includes('127.0.0.2'));
    assert.deepEqual(await mail.store.listQueue(), []);
  });

  it('reports an open relay as ✗ OPEN RELAY with the fix and exits 1, never sending DATA', async () => {
    // The config check refuses a list without reject_unauth_destination; a permit before it passes and relays anything.
    await mail.run(['config', 'set', 'smtpd.relay_restrictions', '["permit", "reject_unauth_destination"]']);
    await mail.run(['reload']);
    await mail.waitForLog((line) => line.event === 'config_reload' && line.outcome === 'applied');
    const { code, relay, stdout } = await relayFinding();
    assert.equal(code, 1, stdout);
    assert.equal(relay.status, 'fail');
    assert.match(relay.detail, /^OPEN RELAY: accepted RCPT TO:<postern-relay-test@relay-test\.invalid> from 127\.0\.0\.2 \(outside mynetworks\) without AUTH/);
    assert.match(relay.fix ?? '', /smtpd\.relay_restrictions '\["permit_mynetworks", "permit_sasl_authenticated", "reject_unauth_destination"\]'/);
    assert.match(stdout, /^✗ relay {2}.*OPEN RELAY/m);
    assert.deepEqual(await mail.store.listQueue(), [], 'the probe never sends DATA: nothing queued');
  });
});
