// `postern dns check DOMAIN` (SPEC §3, issue 11): the built CLI asks a real DNS
// server on loopback through [dns] servers, and names every record that is
// missing or wrong with the exact zone-file line to publish.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Finding } from '../../apps/cli/src/dns-check/finding.js';
import type { DnsCheckReport as Report } from '../../apps/cli/src/dns-check/report.js';
import { postern, posternWith } from '../support/cli.js';
import { startDnsServer, type DnsTestServer, type ZoneRecords } from '../support/dns-server.js';

const DOMAIN = 'example.test';
const HOST = 'mail.example.test';
const IP = '192.0.2.25';
const IP6 = '2001:db8::25';

describe('postern dns check', () => {
  let dir: string;
  let dns: DnsTestServer;
  let run: ReturnType<typeof posternWith>;
  /** The lines `init` told the operator to publish. */
  let initRecords: string[];
  /** The DKIM key's record as `dkim show --json` gives it. */
  let dkim: { name: string; value: string };

  /** Every record of a correct setup, as a postmaster would publish them. */
  const complete = (): ZoneRecords => ({
    [HOST]: { A: [IP], AAAA: [IP6] },
    '25.2.0.192.in-addr.arpa': { PTR: [HOST] },
    '5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa': { PTR: [HOST] },
    [DOMAIN]: { MX: [{ exchange: HOST, priority: 10 }], TXT: ['v=spf1 mx -all', 'google-site-verification=abc'] },
    [dkim.name]: { TXT: [dkim.value] },
    [`_dmarc.${DOMAIN}`]: { TXT: [`v=DMARC1; p=quarantine; rua=mailto:postmaster@${DOMAIN}`] },
    [`_mta-sts.${DOMAIN}`]: { TXT: ['v=STSv1; id=20261206000000'] },
    [`_smtp._tls.${DOMAIN}`]: { TXT: [`v=TLSRPTv1; rua=mailto:tlsrpt@${DOMAIN}`] },
    // What a CNAME to the hostname resolves to (the test server answers the addresses).
    [`autoconfig.${DOMAIN}`]: { A: [IP], AAAA: [IP6] },
    [`mta-sts.${DOMAIN}`]: { A: [IP] },
    [`_submissions._tcp.${DOMAIN}`]: { SRV: [{ priority: 0, weight: 1, port: 465, target: HOST }] },
    [`_imaps._tcp.${DOMAIN}`]: { SRV: [{ priority: 0, weight: 1, port: 993, target: HOST }] },
    [`_pop3s._tcp.${DOMAIN}`]: { SRV: [{ priority: 0, weight: 1, port: 995, target: HOST }] },
  });

  async function check(zone: ZoneRecords): Promise<{ code: number; stdout: string; stderr: string; report: Report }> {
    dns.set(zone);
    const json = await run(['dns', 'check', DOMAIN, '--json']);
    const text = await run(['dns', 'check', DOMAIN]);
    assert.equal(json.code, text.code, 'the same exit code with and without --json');
    return { code: text.code, stdout: text.stdout, stderr: text.stderr, report: JSON.parse(json.stdout) as Report };
  }

  const finding = (report: Report, check: string, name?: string): Finding => {
    const found = report.findings.find((f) => f.check === check && (name === undefined || f.name === name));
    assert.ok(found, `a ${check} finding${name ? ` for ${name}` : ''} in ${JSON.stringify(report.findings.map((f) => `${f.check} ${f.name}`))}`);
    return found;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'postern-dns-check-'));
    const init = await postern(['init', '--dir', dir, '--hostname', HOST, '--domain', DOMAIN]);
    assert.equal(init.code, 0, init.stderr);
    initRecords = init.stdout
      .split('\n')
      .filter((line) => /^ {2}\S+\.\s+IN /.test(line))
      .map((line) => line.trim());
    run = posternWith(join(dir, 'postern.toml'));
    dns = await startDnsServer({});
    for (const [key, value] of [['dns.servers', JSON.stringify([dns.address])], ['dns.timeout_ms', '500']]) {
      const set = await run(['config', 'set', key!, value!]);
      assert.equal(set.code, 0, set.stderr);
    }
    const shown = JSON.parse((await run(['dkim', 'show', DOMAIN, '--json'])).stdout) as { record: { name: string; value: string } }[];
    dkim = shown[0]!.record;
  });
  after(async () => {
    await dns?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes a complete zone: every finding ✓, exit 0', async () => {
    const { code, stdout, stderr, report } = await check(complete());
    assert.equal(code, 0, stderr + stdout);
    assert.equal(report.ok, true);
    assert.equal(report.domain, DOMAIN);
    assert.equal(report.hostname, HOST);
    for (const f of report.findings) assert.equal(f.status, 'ok', `${f.check} ${f.name}: ${f.problem}`);
    // A/AAAA, a PTR per address, MX, SPF, one DKIM key, DMARC, MTA-STS, TLS-RPT, the autoconfig. and mta-sts. hosts, three SRV.
    assert.deepEqual(report.findings.map((f) => f.check), ['A', 'PTR', 'PTR', 'MX', 'SPF', 'DKIM', 'DMARC', 'MTA-STS', 'TLS-RPT', 'WEB', 'WEB', 'SRV', 'SRV', 'SRV']);
    assert.deepEqual(report.findings.filter((f) => f.check === 'WEB').map((f) => f.name), [`autoconfig.${DOMAIN}`, `mta-sts.${DOMAIN}`]);
    assert.deepEqual(finding(report, 'A').published, [IP, IP6]);
    assert.deepEqual(finding(report, 'SPF').published, ['v=spf1 mx -all'], 'only the SPF record among the TXT records');
    assert.ok(!/[✗!] /.test(stdout), stdout);
    assert.match(stdout, /✓ DKIM\s+\d{6}\._domainkey\.example\.test/);
    assert.match(stdout, /every required record is right/);
  });

  it('reports an empty zone with the records init printed, exit 1 and one line on stderr', async () => {
    const { code, stdout, stderr, report } = await check({});
    assert.equal(code, 1);
    assert.equal(report.ok, false);
    assert.equal(stderr.trimEnd().split('\n').length, 1, stderr);
    assert.match(stderr, /example\.test: a required DNS record is missing or wrong \(A, MX, SPF, DKIM, DMARC\)/);
    for (const check of ['A', 'MX', 'SPF', 'DKIM', 'DMARC']) {
      const f = finding(report, check);
      assert.equal(f.status, 'missing', check);
      assert.match(stdout, new RegExp(`✗ ${check} `), check);
    }
    // The same records module: each line init printed is what dns check says to add.
    for (const line of initRecords) assert.ok(stdout.includes(line), `dns check names ${line}`);
    // Optional records are "!" with their record, and do not decide the exit code by themselves.
    assert.match(stdout, /! MTA-STS _mta-sts\.example\.test/);
    assert.match(stdout, /_mta-sts\.example\.test\.\s+IN TXT\s+"v=STSv1; id=\d{14}"/);
    assert.match(stdout, /_smtp\._tls\.example\.test\.\s+IN TXT\s+"v=TLSRPTv1; rua=mailto:postmaster@example\.test"/);
    assert.match(stdout, /! WEB {5}autoconfig\.example\.test\n\s+missing: autoconfig\.example\.test has no address: Thunderbird cannot fetch its settings/);
    assert.match(stdout, /^ {6}autoconfig\.example\.test\.\s+IN CNAME mail\.example\.test\.$/m);
    assert.match(stdout, /^ {6}mta-sts\.example\.test\.\s+IN CNAME mail\.example\.test\.$/m);
    assert.match(stdout, /_submissions\._tcp\.example\.test\.\s+IN SRV\s+0 1 465 mail\.example\.test\./);
    assert.match(stdout, /_imaps\._tcp\.example\.test\.\s+IN SRV\s+0 1 993 mail\.example\.test\./);
    assert.match(stdout, /_pop3s\._tcp\.example\.test\.\s+IN SRV\s+0 1 995 mail\.example\.test\./);
  });

  it('names the DKIM record to add when only it is missing', async () => {
    const zone = complete();
    delete zone[dkim.name];
    const { code, stdout, stderr, report } = await check(zone);
    assert.equal(code, 1);
    assert.match(stderr, /\(DKIM\)/);
    const f = finding(report, 'DKIM');
    assert.equal(f.status, 'missing');
    assert.equal(f.name, dkim.name);
    const line = initRecords.find((l) => l.startsWith(`${dkim.name}.`));
    assert.ok(line);
    assert.deepEqual(f.fix, [line], 'the exact line dkim show and init print');
    assert.match(stdout, new RegExp(`✗ DKIM\\s+${dkim.name.replace(/\./g, '\\.')}\\n\\s+missing: .*\\n\\s+add:\\n\\s+${dkim.name.replace(/\./g, '\\.')}\\.\\s+IN TXT\\s+"v=DKIM1; k=rsa; p=`));
  });

  it('reports a published DKIM key that is not ours, and a revoked one', async () => {
    const other = complete();
    other[dkim.name] = { TXT: ['v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwrong'] };
    const wrong = finding((await check(other)).report, 'DKIM');
    assert.equal(wrong.status, 'wrong');
    assert.match(wrong.problem ?? '', /not the one Postern signs with/);
    assert.match(wrong.fix[0] ?? '', /IN TXT\s+"v=DKIM1; k=rsa; p=MIIB/);
    // RFC 6376 §3.6.1: an empty p= means the key is revoked.
    other[dkim.name] = { TXT: ['v=DKIM1; p='] };
    assert.match(finding((await check(other)).report, 'DKIM').problem ?? '', /revoked/);
    // The key split into several character-strings (RFC 7208 §3.3 style) is still ours.
    other[dkim.name] = { TXT: [[dkim.value.slice(0, 200), dkim.value.slice(200)]] };
    assert.equal(finding((await check(other)).report, 'DKIM').status, 'ok');
  });

  it('finds an mta-sts. host that points elsewhere than the server (RFC 8461 §3.3), as a warning', async () => {
    const zone = complete();
    zone[`mta-sts.${DOMAIN}`] = { A: ['198.51.100.80'] };
    const { code, report } = await check(zone);
    assert.equal(code, 0, 'optional: it does not decide the exit code');
    const f = report.findings.find((x) => x.name === `mta-sts.${DOMAIN}`)!;
    assert.equal(f.status, 'wrong');
    assert.match(f.problem ?? '', /points elsewhere than mail\.example\.test .*MTA-STS policy/);
    assert.deepEqual(f.fix, ['mta-sts.example.test.  IN CNAME mail.example.test.']);
  });

  it('finds an MX that points elsewhere, and names the MX to publish', async () => {
    const zone = complete();
    zone[DOMAIN] = { ...zone[DOMAIN], MX: [{ exchange: 'mx.elsewhere.test', priority: 10 }] };
    const { code, report } = await check(zone);
    assert.equal(code, 1);
    const f = finding(report, 'MX');
    assert.equal(f.status, 'wrong');
    assert.deepEqual(f.published, ['10 mx.elsewhere.test']);
    assert.deepEqual(f.fix, ['example.test.  IN MX    10 mail.example.test.']);
  });

  it('refuses SPF "+all", an SPF that does not authorize our address, two SPF records and more than 10 lookups (RFC 7208 §4.5, §4.6.4, §5.1)', async () => {
    const spf = async (...records: string[]): Promise<Finding> => {
      const zone = complete();
      zone[DOMAIN] = { ...zone[DOMAIN], TXT: records };
      // Ten hosts for the a: mechanisms, so that only the count decides.
      for (let i = 1; i <= 11; i++) zone[`h${i}.${DOMAIN}`] = { A: [`198.51.100.${i}`] };
      const { code, report } = await check(zone);
      assert.equal(code, 1, `exit 1 for ${records.join(' + ')}`);
      return finding(report, 'SPF');
    };
    const plusAll = await spf('v=spf1 mx +all');
    assert.equal(plusAll.status, 'wrong');
    assert.match(plusAll.problem ?? '', /\+all/);
    assert.deepEqual(plusAll.fix, ['example.test.  IN TXT   "v=spf1 mx -all"']);

    const bareAll = await spf('v=spf1 all');
    assert.match(bareAll.problem ?? '', /\+all/, 'no qualifier is "+" (RFC 7208 §4.6.2)');

    const notOurs = await spf('v=spf1 ip4:198.51.100.7 -all');
    assert.equal(notOurs.status, 'wrong');
    assert.match(notOurs.problem ?? '', /does not authorize 192\.0\.2\.25 \(fail\), 2001:db8::25 \(fail\)/);
    assert.deepEqual(notOurs.fix, ['example.test.  IN TXT   "v=spf1 mx ip4:198.51.100.7 -all"'], 'keeps what was published, adds mx');

    const two = await spf('v=spf1 mx -all', 'v=spf1 a -all');
    assert.match(two.problem ?? '', /2 SPF records/);

    const many = await spf(`v=spf1 mx ${Array.from({ length: 10 }, (_, i) => `a:h${i + 1}.${DOMAIN}`).join(' ')} -all`);
    assert.match(many.problem ?? '', /more than 10 DNS-querying mechanisms/);

    // Lookups count through include: as well.
    const zone = complete();
    zone[DOMAIN] = { ...zone[DOMAIN], TXT: [`v=spf1 mx include:spf.${DOMAIN} -all`] };
    zone[`spf.${DOMAIN}`] = { TXT: [`v=spf1 ${Array.from({ length: 9 }, (_, i) => `a:h${i + 1}.${DOMAIN}`).join(' ')} -all`] };
    for (let i = 1; i <= 9; i++) zone[`h${i}.${DOMAIN}`] = { A: [`198.51.100.${i}`] };
    assert.match(finding((await check(zone)).report, 'SPF').problem ?? '', /more than 10/);
    // Exactly ten is allowed, and mx authorizes our addresses.
    zone[`spf.${DOMAIN}`] = { TXT: [`v=spf1 ${Array.from({ length: 8 }, (_, i) => `a:h${i + 1}.${DOMAIN}`).join(' ')} -all`] };
    assert.equal(finding((await check(zone)).report, 'SPF').status, 'ok');
  });

  it('parses DMARC: p= is required and must be none, quarantine or reject; rua= is noted (RFC 7489 §6.3)', async () => {
    const dmarc = async (...records: string[]): Promise<{ code: number; f: Finding }> => {
      const zone = complete();
      zone[`_dmarc.${DOMAIN}`] = { TXT: records };
      const { code, report } = await check(zone);
      return { code, f: finding(report, 'DMARC') };
    };
    const noPolicy = await dmarc('v=DMARC1; rua=mailto:d@example.test');
    assert.equal(noPolicy.code, 1);
    assert.equal(noPolicy.f.status, 'wrong');
    assert.match(noPolicy.f.problem ?? '', /no p= tag/);
    assert.deepEqual(noPolicy.f.fix, ['_dmarc.example.test.  IN TXT   "v=DMARC1; p=quarantine; rua=mailto:postmaster@example.test"']);
    assert.match((await dmarc('v=DMARC1; p=maybe')).f.problem ?? '', /p=maybe is not none, quarantine or reject/);
    // RFC 7489 §6.6.3: a TXT record that does not start with v=DMARC1 is not a DMARC record.
    assert.equal((await dmarc('p=reject; v=DMARC1')).f.status, 'missing');
    assert.match((await dmarc('v=DMARC1; p=reject', 'v=DMARC1; p=none')).f.problem ?? '', /2 DMARC records/);
    const monitoring = await dmarc('v=DMARC1; p=none');
    assert.equal(monitoring.code, 0);
    assert.equal(monitoring.f.status, 'ok');
    assert.match(monitoring.f.problem ?? '', /p=none only monitors.*no rua=/);
  });

  it('marks PTR, MTA-STS, TLS-RPT and SRV problems "!" without failing the check', async () => {
    const zone = complete();
    zone['25.2.0.192.in-addr.arpa'] = { PTR: ['host-25.provider.test'] };
    zone[`_mta-sts.${DOMAIN}`] = { TXT: ['v=STSv1; id=not-alphanumeric!'] };
    zone[`_smtp._tls.${DOMAIN}`] = { TXT: ['v=TLSRPTv1; rua=ftp://x'] };
    zone[`_imaps._tcp.${DOMAIN}`] = { SRV: [{ priority: 0, weight: 1, port: 143, target: HOST }] };
    delete zone[`_pop3s._tcp.${DOMAIN}`];
    const { code, stdout, report } = await check(zone);
    assert.equal(code, 0, stdout);
    assert.equal(report.ok, true);
    const ptr = finding(report, 'PTR', IP);
    assert.equal(ptr.status, 'wrong');
    assert.deepEqual(ptr.fix, ['25.2.0.192.in-addr.arpa.  IN PTR   mail.example.test.']);
    assert.match(stdout, /! PTR\s+192\.0\.2\.25: host-25\.provider\.test/);
    assert.equal(finding(report, 'MTA-STS').status, 'wrong');
    assert.equal(finding(report, 'TLS-RPT').status, 'wrong');
    assert.equal(finding(report, 'SRV', `_imaps._tcp.${DOMAIN}`).status, 'wrong');
    assert.equal(finding(report, 'SRV', `_pop3s._tcp.${DOMAIN}`).status, 'missing');
    assert.equal(finding(report, 'SRV', `_submissions._tcp.${DOMAIN}`).status, 'ok');
  });

  it('says whether a PTR that names another host is forward-confirmed (FCrDNS)', async () => {
    const zone = complete();
    zone['25.2.0.192.in-addr.arpa'] = { PTR: ['host-25.provider.test'] };
    zone['host-25.provider.test'] = { A: [IP] };
    let { report } = await check(zone);
    assert.equal(finding(report, 'PTR', IP).status, 'wrong');
    assert.match(finding(report, 'PTR', IP).problem ?? '', /\(forward-confirmed\), not to mail\.example\.test/);
    zone['host-25.provider.test'] = { A: ['198.51.100.1'] };
    ({ report } = await check(zone));
    assert.match(finding(report, 'PTR', IP).problem ?? '', /which does not resolve back to 192\.0\.2\.25/);
    delete zone['25.2.0.192.in-addr.arpa'];
    ({ report } = await check(zone));
    assert.equal(finding(report, 'PTR', IP).status, 'missing');
    assert.equal(finding(report, 'PTR', IP6).status, 'ok');
  });

  it('reports a lookup that times out as an error, not as a missing record, and exits 1', async () => {
    const zone = complete();
    zone[`_dmarc.${DOMAIN}`] = { TIMEOUT: true };
    const { code, stdout, report } = await check(zone);
    assert.equal(code, 1);
    const f = finding(report, 'DMARC');
    assert.equal(f.status, 'error');
    assert.match(f.problem ?? '', /temporary failure/);
    assert.match(stdout, /✗ DMARC\s+_dmarc\.example\.test\n\s+error: .*temporary failure/);
  });

  it('refuses a domain that is not local with one line', async () => {
    const result = await run(['dns', 'check', 'other.test']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /other\.test/);
    assert.equal(result.stderr.trimEnd().split('\n').length, 1);
  });

  it('domain add prints the records init prints, for the new domain', async () => {
    const added = await run(['domain', 'add', 'example.org']);
    assert.equal(added.code, 0, added.stderr);
    const expected = initRecords.filter((line) => !line.includes('_domainkey')).map((line) => line.replaceAll('example.test', 'example.org').replaceAll('mail.example.org', HOST));
    for (const line of expected) assert.ok(added.stdout.includes(line), `domain add prints ${line}\n${added.stdout}`);
    assert.match(added.stdout, /Publish these DNS records:/);
    assert.match(added.stdout, /\d{6}\._domainkey\.example\.org\.\s+IN TXT\s+"v=DKIM1; k=rsa; p=/);
  });
});
