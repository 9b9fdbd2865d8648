// DMARC aggregate reports (RFC 7489 §7.2) end to end: mail from outside is
// evaluated against a local DNS server's DMARC records, each evaluation is
// counted (only with dmarc_reports.enabled), and `postern dmarc report send`
// mails each policy domain's rua= one gzip'd XML report that the RFC's
// Appendix C schema validates, refusing external destinations without the
// §7.1 verification record and destinations whose "!size" is too small.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { generateDkimKey, dkimTxtRecord } from '@postern/dkim';
import { createResolver } from '@postern/dns';
import { authenticate, dkimSign } from 'mailauth';
import { freePort } from '../support/ports.js';
import { startRemoteSmtp, type ReceivedMessage, type RemoteSmtp } from '../support/remote-smtp.js';
import { requireTool, runTool } from '../support/tools.js';
import { startMtaInstance, type MtaInstance } from '../mta/instance.js';
import { OUTSIDE, sendFromOutside } from './outside.js';

const REMOTE_MX = '127.0.0.151';
const SCHEMA = fileURLToPath(new URL('./rfc7489-appendix-c.xsd', import.meta.url));

/** A message from outside with this From, DKIM-signed by `signer` when given. */
async function fromOutside(from: string, subject: string, signer?: { domain: string; selector: string; privateKey: string }): Promise<string> {
  const raw = `From: ${from}\r\nTo: alice@example.com\r\nSubject: ${subject}\r\nMessage-ID: <${Date.now()}.${Math.random()}@outside.test>\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\n\r\nHello from outside.\r\n`;
  if (!signer) return raw;
  const options = { canonicalization: 'relaxed/relaxed', signatureData: [{ signingDomain: signer.domain, selector: signer.selector, privateKey: signer.privateKey }] };
  return (await dkimSign(raw, options as unknown as Parameters<typeof dkimSign>[1])).signatures + raw;
}

/** The report attachment of a received report mail: its filename and the gunzipped XML. */
function reportOf(message: ReceivedMessage): { filename: string; xml: string } {
  const text = message.message.toString('utf8');
  const part = /Content-Type: application\/gzip\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment;\r\n\tfilename="([^"]+)"\r\n\r\n([A-Za-z0-9+/=\r\n]+?)\r\n--/.exec(text);
  assert.ok(part, `an application/gzip attachment in:\n${text}`);
  return { filename: part[1]!, xml: gunzipSync(Buffer.from(part[2]!.replace(/\r\n/g, ''), 'base64')).toString('utf8') };
}

/** The text of each `name` element inside `xml`, in order. */
function texts(xml: string, name: string): string[] {
  return [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => m[1]!);
}

/** One summary line per <record>: "source_ip count disposition dkim spf envelope_from header_from". */
function recordLines(xml: string): string[] {
  return [...xml.matchAll(/<record>([\s\S]*?)<\/record>/g)]
    .map(([, record]) => {
      const evaluated = /<policy_evaluated>([\s\S]*?)<\/policy_evaluated>/.exec(record!)![1]!;
      return [texts(record!, 'source_ip')[0], texts(record!, 'count')[0], texts(evaluated, 'disposition')[0], texts(evaluated, 'dkim')[0], texts(evaluated, 'spf')[0], texts(record!, 'envelope_from')[0], texts(record!, 'header_from')[0]].join(' ');
    })
    .sort();
}

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`DMARC aggregate reports on ${backend}`, { timeout: 180_000 }, () => {
    let mta: MtaInstance;
    let remote: RemoteSmtp;
    const outsider = generateDkimKey('rsa');
    const signer = { domain: 'sender.test', selector: 'sel', privateKey: outsider.privateKey };

    before(async () => {
      const port = await freePort();
      remote = await startRemoteSmtp({ host: REMOTE_MX, port });
      mta = await startMtaInstance(backend, { settings: [['smtp.port', String(port)], ['queue.queue_run_delay', '"1s"']] });
      await mta.addUser('alice@example.com', 'dmarc reports test password');
      const keys = await mta.store.listDkimKeys('example.com');
      const mx = { MX: [{ exchange: 'mx.remote.test', priority: 10 }] };
      mta.dns.set({
        'mx.remote.test': { A: [REMOTE_MX] },
        // Our own domain: SPF for the MTA and its DKIM key, so that the reports pass DMARC (RFC 7489 §7.2.1.1).
        'example.com': { TXT: ['v=spf1 ip4:127.0.0.1 -all'] },
        '_dmarc.example.com': { TXT: ['v=DMARC1; p=reject'] },
        ...Object.fromEntries(keys.map((key) => [dkimTxtRecord(key.domain, key.selector, key.algorithm, key.publicKey).name, { TXT: [dkimTxtRecord(key.domain, key.selector, key.algorithm, key.publicKey).value] }])),
        // Reports to the policy domain itself (same Organizational Domain: no §7.1 check).
        'sender.test': { TXT: [`v=spf1 ip4:${OUTSIDE} -all`], ...mx },
        'sel._domainkey.sender.test': { TXT: [`v=DKIM1; k=rsa; p=${outsider.publicKey}`] },
        '_dmarc.sender.test': { TXT: ['v=DMARC1; p=reject; rua=mailto:dmarc@sender.test'] },
        // An external destination that publishes the §7.1 verification record.
        '_dmarc.verified.test': { TXT: ['v=DMARC1; p=quarantine; rua=mailto:agg@reports.test!10m'] },
        'verified.test._report._dmarc.reports.test': { TXT: ['v=DMARC1'] },
        'reports.test': mx,
        // An external destination that does not.
        '_dmarc.unverified.test': { TXT: ['v=DMARC1; p=none; rua=mailto:agg@elsewhere.test'] },
        'elsewhere.test': mx,
        // A destination whose size limit no report fits (§6.2 "!size").
        '_dmarc.small.test': { TXT: ['v=DMARC1; p=none; rua=mailto:dmarc@small.test!100'] },
        'small.test': mx,
      });
    });
    after(async () => {
      await mta?.stop();
      await remote?.stop();
    });

    it('counts nothing while dmarc_reports.enabled is false, and `dmarc report send` says so in one line', async () => {
      assert.equal((await sendFromOutside(mta, 'news@sender.test', await fromOutside('news@sender.test', 'before enabling', signer))).code, 250);
      assert.deepEqual(await mta.store.listDmarcResults(), []);
      const result = await mta.instance.run(['dmarc', 'report', 'send']);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /^postern: dmarc_reports\.enabled is false/);
      assert.equal((await mta.instance.run(['dmarc', 'report', 'send', '--date', 'yesterday'])).code, 2);
      // --day, the name tlsrpt send had, is accepted here too.
      assert.match((await mta.instance.run(['dmarc', 'report', 'send', '--day', 'yesterday'])).stderr, /--day "yesterday" is not a date/);
    });

    it('mails each policy domain one gzip\'d report of the day\'s counts that the RFC 7489 Appendix C schema validates', async (t) => {
      const xmllint = requireTool(t, 'xmllint', 'libxml2-utils');
      if (xmllint === null) return;
      await mta.run(['config', 'set', 'dmarc_reports.enabled', 'true']);
      await mta.run(['reload']);
      await mta.waitForLog((line) => line.event === 'config_reload' && line.outcome === 'applied');

      // sender.test: two passing messages (SPF and DKIM aligned) and one spoof refused under p=reject.
      for (const subject of ['pass 1', 'pass 2']) assert.equal((await sendFromOutside(mta, 'news@sender.test', await fromOutside('news@sender.test', subject, signer))).code, 250);
      assert.equal((await sendFromOutside(mta, 'spoofer@spoof.test', await fromOutside('ceo@sender.test', 'spoofed'))).code, 550);
      assert.equal((await sendFromOutside(mta, 'someone@spoof.test', await fromOutside('ceo@verified.test', 'quarantined'))).code, 250);
      assert.equal((await sendFromOutside(mta, 'someone@spoof.test', await fromOutside('ceo@unverified.test', 'unverified'))).code, 250);
      assert.equal((await sendFromOutside(mta, 'someone@spoof.test', await fromOutside('ceo@small.test', 'small'))).code, 250);
      assert.equal((await mta.store.listDmarcResults()).length, 5, 'one row per distinct result, not per message');

      const day = new Date().toISOString().slice(0, 10);
      const result = await mta.instance.run(['dmarc', 'report', 'send', '--date', day, '--json']);
      assert.equal(result.code, 0, result.stderr);
      const runs = JSON.parse(result.stdout) as { domain: string; queueId: string | null; recipients: string[]; reason?: string }[];
      const run = (domain: string) => runs.find((r) => r.domain === domain);
      assert.deepEqual(run('sender.test')?.recipients, ['dmarc@sender.test']);
      assert.deepEqual(run('verified.test')?.recipients, ['agg@reports.test']);
      assert.equal(run('unverified.test')?.queueId, null);
      assert.match(run('unverified.test')?.reason ?? '', /agg@elsewhere\.test \(no v=DMARC1 record at unverified\.test\._report\._dmarc\.elsewhere\.test\)/);
      assert.equal(run('small.test')?.queueId, null);
      assert.match(run('small.test')?.reason ?? '', /dmarc@small\.test \(report of \d+ octets over its limit\)/);
      assert.deepEqual(await mta.store.listDmarcResultDays(), [], 'reported counts are forgotten');

      const received = await remote.waitFor(2);
      assert.equal(received.length, 2, 'the unverified and the too-small destinations get nothing');
      const toSender = received.find((m) => m.recipients.includes('dmarc@sender.test'))!;
      const toReports = received.find((m) => m.recipients.includes('agg@reports.test'))!;
      const text = toSender.message.toString('utf8');
      // RFC 7489 §7.2.1.1: the Subject, and the report mail passes DMARC itself (DKIM-signed by our domain).
      assert.match(text, /^Subject: Report Domain: sender\.test Submitter: mail\.example\.com Report-ID: <[^>]+@mail\.example\.com>\r$/m);
      assert.match(text, /^From: postmaster@example\.com\r$/m);
      const resolver = createResolver({ servers: [mta.dns.address], timeoutMs: 1000 }).mailauthResolver() as never;
      const verdict = await authenticate(toSender.message, { ip: '127.0.0.1', helo: 'mail.example.com', sender: toSender.mailFrom, mta: 'mx.remote.test', resolver });
      assert.equal(verdict.dmarc && verdict.dmarc.status.result, 'pass', JSON.stringify(verdict.dmarc && verdict.dmarc.status));

      const report = reportOf(toSender);
      const begin = Date.parse(`${day}T00:00:00Z`) / 1000;
      assert.equal(report.filename, `mail.example.com!sender.test!${begin}!${begin + 86_399}.xml.gz`);
      const file = join(mta.instance.dir, 'sender-report.xml');
      writeFileSync(file, report.xml);
      const lint = await runTool(xmllint, ['--noout', '--schema', SCHEMA, file]);
      assert.equal(lint.code, 0, `${lint.stderr}\n${report.xml}`);
      assert.deepEqual(texts(report.xml, 'domain').slice(0, 1), ['sender.test'], 'policy_published names the policy domain');
      assert.deepEqual([texts(report.xml, 'p')[0], texts(report.xml, 'sp')[0], texts(report.xml, 'pct')[0]], ['reject', 'reject', '100']);
      assert.deepEqual(recordLines(report.xml), [
        `${OUTSIDE} 1 reject fail fail spoof.test sender.test`,
        `${OUTSIDE} 2 none pass pass sender.test sender.test`,
      ]);
      assert.match(report.xml, /<dkim><domain>sender\.test<\/domain><selector>sel<\/selector><result>pass<\/result><\/dkim><spf><domain>sender\.test<\/domain><scope>mfrom<\/scope><result>pass<\/result><\/spf>/);

      const external = reportOf(toReports);
      writeFileSync(file, external.xml);
      assert.equal((await runTool(xmllint, ['--noout', '--schema', SCHEMA, file])).code, 0, external.xml);
      assert.deepEqual(recordLines(external.xml), [`${OUTSIDE} 1 quarantine fail fail spoof.test verified.test`]);
    });
  });
}
