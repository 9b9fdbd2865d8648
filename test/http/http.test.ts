// The HTTP side of `postern start` driven by real clients: Node's fetch (undici) and curl for
// Host-named requests and HTTPS; documents parsed by Python's XML and plist readers; /metrics by a
// Prometheus text-format parser, checked to move after a message goes through the MTA.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it, type TestContext } from 'node:test';
import nodemailer from 'nodemailer';
import { startDnsServer, type DnsTestServer } from '../support/dns-server.js';
import { startInstance, type PosternInstance } from '../support/instance.js';
import { requireTool, runTool } from '../support/tools.js';
import { parseExposition, parsePlist, parseXml, thunderbirdProblems, type XmlElement } from './formats.js';

type Listeners = 'smtp' | 'submission' | 'submissions' | 'lmtp' | 'imap' | 'imaps' | 'pop3s' | 'http' | 'https' | 'metrics';
const LISTEN: Listeners[] = ['smtp', 'submission', 'submissions', 'lmtp', 'imap', 'imaps', 'pop3s', 'http', 'https', 'metrics'];

/** curl with a Host header (fetch may not set one); `-k`: the self-signed certificate of postern init. */
async function curl(t: TestContext, url: string, host?: string): Promise<{ status: number; headers: string; body: string } | null> {
  if (!requireTool(t, 'curl', 'curl')) return null;
  const result = await runTool('curl', ['-sk', '-D', '-', ...(host ? ['-H', `Host: ${host}`] : []), url]);
  assert.equal(result.code, 0, result.stderr);
  const split = result.stdout.indexOf('\r\n\r\n');
  const headers = result.stdout.slice(0, split);
  return { status: Number(/^HTTP\/\S+ (\d{3})/.exec(headers)?.[1]), headers, body: result.stdout.slice(split + 4) };
}

/** Writes raw bytes and resolves with everything the server answers before it closes (or 3 s pass). */
function rawExchange(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const timer = setTimeout(() => socket.destroy(), 3000);
    socket.on('data', (chunk: Buffer) => (reply += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(reply);
    });
    socket.write(bytes);
  });
}

const child = (element: XmlElement, tag: string): XmlElement | undefined => element.children.find((c) => c.tag === tag);

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`the HTTP side of postern start on ${backend}`, { timeout: 120_000 }, () => {
    let dns: DnsTestServer;
    let postern: PosternInstance<Listeners>;
    const http = (path: string): string => `http://127.0.0.1:${postern.ports.http}${path}`;
    const metrics = (path: string): string => `http://127.0.0.1:${postern.ports.metrics}${path}`;

    before(async () => {
      dns = await startDnsServer({});
      postern = await startInstance(backend, {
        listen: LISTEN,
        settings: [['dns.servers', `["${dns.address}"]`], ['dns.timeout_ms', '1000'], ['mta_sts.mode', '"enforce"'], ['mta_sts.max_age', '86400']],
      });
      await postern.addUser('alice@example.com', 'http test password');
    });
    after(async () => {
      await postern?.stop();
      await dns?.stop();
    });

    it('serves Thunderbird config-v1.1.xml at the well-known path, valid against its grammar, implicit TLS first (RFC 8314)', async () => {
      const response = await fetch(http('/.well-known/autoconfig/mail/config-v1.1.xml'));
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /xml/);
      const root = await parseXml(await response.text());
      assert.deepEqual(thunderbirdProblems(root), []);
      const provider = child(root, 'emailProvider')!;
      assert.equal(provider.attrs.id, 'example.com');
      assert.deepEqual(provider.children.filter((c) => c.tag === 'domain').map((c) => c.text), ['example.com']);
      const servers = provider.children
        .filter((c) => c.tag.endsWith('Server'))
        .map((s) => `${s.attrs.type} ${child(s, 'hostname')!.text}:${child(s, 'port')!.text} ${child(s, 'socketType')!.text} ${child(s, 'username')!.text}`);
      const { ports } = postern;
      // Exactly the listeners configured (no pop3 on 110 here), each with its real port.
      assert.deepEqual(servers, [
        `imap mail.example.com:${ports.imaps} SSL %EMAILADDRESS%`,
        `imap mail.example.com:${ports.imap} STARTTLS %EMAILADDRESS%`,
        `pop3 mail.example.com:${ports.pop3s} SSL %EMAILADDRESS%`,
        `smtp mail.example.com:${ports.submissions} SSL %EMAILADDRESS%`,
        `smtp mail.example.com:${ports.submission} STARTTLS %EMAILADDRESS%`,
      ]);
    });

    it('serves /mail/config-v1.1.xml?emailaddress= for a local address, and 404 for another domain', async () => {
      const local = await fetch(http('/mail/config-v1.1.xml?emailaddress=alice%40example.com'));
      assert.equal(local.status, 200);
      assert.deepEqual(thunderbirdProblems(await parseXml(await local.text())), []);
      const other = await fetch(http('/mail/config-v1.1.xml?emailaddress=bob%40elsewhere.example'));
      assert.equal(other.status, 404);
      await other.arrayBuffer();
    });

    it('answers an Outlook POX Autodiscover request with IMAP, POP3 and SMTP for the address', async () => {
      const request = `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request><EMailAddress>alice@example.com</EMailAddress>
  <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request>
</Autodiscover>`;
      const response = await fetch(http('/Autodiscover/Autodiscover.xml'), { method: 'POST', body: request, headers: { 'content-type': 'text/xml' } });
      assert.equal(response.status, 200);
      const root = await parseXml(await response.text());
      assert.equal(root.tag, 'Autodiscover');
      const account = child(child(root, 'Response')!, 'Account')!;
      assert.equal(child(account, 'Action')!.text, 'settings');
      const protocols = account.children.filter((c) => c.tag === 'Protocol').map((p) => `${child(p, 'Type')!.text} ${child(p, 'Server')!.text}:${child(p, 'Port')!.text} ${child(p, 'SSL')!.text} ${child(p, 'LoginName')!.text}`);
      assert.deepEqual(protocols, [`IMAP mail.example.com:${postern.ports.imaps} on alice@example.com`, `POP3 mail.example.com:${postern.ports.pop3s} on alice@example.com`, `SMTP mail.example.com:${postern.ports.submissions} on alice@example.com`]);
      const get = await fetch(http('/autodiscover/autodiscover.xml'));
      assert.equal(get.status, 405);
      assert.equal(get.headers.get('allow'), 'POST');
      await get.arrayBuffer();
      const empty = await fetch(http('/autodiscover/autodiscover.xml'), { method: 'POST', body: '<Autodiscover/>' });
      assert.equal(empty.status, 400);
      await empty.arrayBuffer();
    });

    it('serves an unsigned Apple configuration profile with a com.apple.mail.managed payload', async () => {
      const response = await fetch(http('/apple/profile.mobileconfig?emailaddress=alice%40example.com'));
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'application/x-apple-aspen-config');
      const profile = await parsePlist(await response.text());
      assert.equal(profile.PayloadType, 'Configuration');
      const [mail] = profile.PayloadContent as Record<string, unknown>[];
      assert.equal(mail!.PayloadType, 'com.apple.mail.managed');
      assert.equal(mail!.EmailAddress, 'alice@example.com');
      assert.equal(mail!.EmailAccountType, 'EmailTypeIMAP');
      assert.equal(mail!.IncomingMailServerHostName, 'mail.example.com');
      assert.equal(mail!.IncomingMailServerPortNumber, postern.ports.imaps);
      assert.equal(mail!.IncomingMailServerUseSSL, true);
      assert.equal(mail!.OutgoingMailServerPortNumber, postern.ports.submissions);
      const missing = await fetch(http('/apple/profile.mobileconfig'));
      assert.equal(missing.status, 400);
      await missing.arrayBuffer();
    });

    it('serves the MTA-STS policy for Host mta-sts.<local domain> over HTTPS, CRLF-terminated, and 404 for another host (RFC 8461 §3.2, §3.3)', async (t) => {
      const policy = await curl(t, `https://127.0.0.1:${postern.ports.https}/.well-known/mta-sts.txt`, 'mta-sts.example.com');
      if (!policy) return;
      assert.equal(policy.status, 200);
      assert.match(policy.headers, /^content-type: text\/plain/im);
      assert.equal(policy.body, 'version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmax_age: 86400\r\n');
      const other = await curl(t, `https://127.0.0.1:${postern.ports.https}/.well-known/mta-sts.txt`, 'mta-sts.elsewhere.example');
      assert.equal(other!.status, 404);
      const bare = await curl(t, `https://127.0.0.1:${postern.ports.https}/.well-known/mta-sts.txt`, 'example.com');
      assert.equal(bare!.status, 404);
    });

    it('answers hostile requests with 400, 404, 405 or 431 and stays up', async () => {
      assert.match(await rawExchange(postern.ports.http, 'GARBAGE\r\n\r\n'), /^HTTP\/1\.1 400 /);
      assert.match(await rawExchange(postern.ports.http, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`), /^HTTP\/1\.1 431 /);
      assert.match(await rawExchange(postern.ports.http, 'GET /nothing-here HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 404 /);
      assert.match(await rawExchange(postern.ports.http, 'DELETE /mail/config-v1.1.xml HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 405 [\s\S]*allow: GET, HEAD/i);
      // An Autodiscover body over its bound: 413 before it is read whole.
      assert.match(await rawExchange(postern.ports.http, `POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\nConnection: close\r\n\r\n<a>`), /^HTTP\/1\.1 413 /);
      // Markup in the address is escaped, never echoed as XML.
      const injected = await fetch(http('/mail/config-v1.1.xml?emailaddress=%3Cx%3E%40example.com'));
      assert.equal(injected.status, 400);
      await injected.arrayBuffer();
      const health = await fetch(metrics('/healthz'));
      assert.equal(health.status, 200);
      assert.equal(await health.text(), 'ok\n');
    });

    it('keeps /metrics, /healthz and /readyz on the metrics listener only', async () => {
      const onPublic = await fetch(http('/metrics'));
      assert.equal(onPublic.status, 404);
      await onPublic.arrayBuffer();
      const autoconfigOnMetrics = await fetch(metrics('/mail/config-v1.1.xml'));
      assert.equal(autoconfigOnMetrics.status, 404);
      await autoconfigOnMetrics.arrayBuffer();
      const ready = await fetch(metrics('/readyz'));
      assert.equal(ready.status, 200);
      assert.equal(await ready.text(), 'ready\n');
    });

    it('exposes Prometheus metrics whose counters move after a message is received and delivered', async () => {
      const scrape = async () => {
        const response = await fetch(metrics('/metrics'));
        assert.equal(response.status, 200);
        assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
        return parseExposition(await response.text());
      };
      const first = await scrape();
      assert.equal(first.types.get('postern_messages_received_total'), 'counter');
      assert.equal(first.types.get('postern_queue_messages'), 'gauge');
      assert.ok(first.value('postern_tls_certificate_expiry_timestamp_seconds', { name: '*' }) > Date.now() / 1000, 'the certificate expires in the future');
      assert.ok(first.samples.some((s) => s.name === 'postern_event_loop_lag_seconds' && s.labels.stat === 'p99'));

      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: postern.ports.smtp, secure: false, tls: { rejectUnauthorized: false } });
      await transport.sendMail({ from: 'someone@example.org', to: 'alice@example.com', subject: 'counted', text: 'one message' });
      transport.close();
      await postern.waitForLog((line) => line.event === 'delivery' && line.status === 'sent');

      const second = await scrape();
      assert.equal(second.value('postern_messages_received_total', { service: 'smtp' }) - first.value('postern_messages_received_total', { service: 'smtp' }), 1);
      assert.equal(second.value('postern_messages_delivered_total', { transport: 'lmtp' }) - first.value('postern_messages_delivered_total', { transport: 'lmtp' }), 1);
      assert.ok(second.value('postern_connections_total', { service: 'smtp' }) >= 1);
      assert.equal(second.value('postern_queue_messages'), 0);
      // Store latency: a histogram per store method, whose counts grew with the delivery.
      const storeCalls = (exposition: typeof first): number => exposition.samples.filter((s) => s.name === 'postern_store_operation_duration_seconds_count').reduce((sum, s) => sum + s.value, 0);
      assert.equal(second.types.get('postern_store_operation_duration_seconds'), 'histogram');
      assert.ok(storeCalls(second) > storeCalls(first), 'store calls were timed');
      for (const count of second.samples.filter((s) => s.name === 'postern_store_operation_duration_seconds_count')) {
        assert.equal(count.labels.backend, backend);
        assert.equal(second.value('postern_store_operation_duration_seconds_bucket', { ...count.labels, le: '+Inf' }), count.value, `+Inf bucket of ${count.labels.operation}`);
      }

      // A wrong password on submission counts as an auth failure.
      const wrong = nodemailer.createTransport({ host: '127.0.0.1', port: postern.ports.submission, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user: 'alice@example.com', pass: 'not the password' } });
      await assert.rejects(wrong.verify(), /535|Invalid login|auth/i);
      wrong.close();
      const third = await scrape();
      const failures = (exposition: typeof first): number => exposition.samples.filter((s) => s.name === 'postern_auth_failures_total').reduce((sum, s) => sum + s.value, 0);
      assert.equal(failures(third) - failures(second), 1);
    });
  });
}

describe('split processes (postern mailstore + postern mta, as the systemd units run them)', { timeout: 120_000 }, () => {
  let dns: DnsTestServer;
  let postern: PosternInstance<'smtp' | 'submission' | 'lmtp' | 'imap' | 'http' | 'metrics' | 'mta_metrics'>;
  before(async () => {
    dns = await startDnsServer({});
    postern = await startInstance('sqlite', {
      listen: ['smtp', 'submission', 'lmtp', 'imap', 'http', 'metrics', 'mta_metrics'],
      settings: [['dns.servers', `["${dns.address}"]`], ['dns.timeout_ms', '1000']],
      roles: ['mailstore', 'mta'],
    });
    await postern.addUser('alice@example.com', 'http test password');
  });
  after(async () => {
    await postern?.stop();
    await dns?.stop();
  });

  it('the MTA process counts its own mail on listen.mta_metrics; the mailstore serves autoconfig and its metrics on listen.metrics', async () => {
    const scrape = async (port: number) => parseExposition(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: postern.ports.smtp, secure: false, tls: { rejectUnauthorized: false } });
    await transport.sendMail({ from: 'someone@example.org', to: 'alice@example.com', subject: 'split', text: 'one message' });
    transport.close();
    await postern.waitForLog((line) => line.event === 'delivery' && line.status === 'sent');
    const mta = await scrape(postern.ports.mta_metrics);
    assert.equal(mta.value('postern_messages_received_total', { service: 'smtp' }), 1);
    assert.equal(mta.value('postern_messages_delivered_total', { transport: 'lmtp' }), 1);
    const mailstore = await scrape(postern.ports.metrics);
    assert.equal(mailstore.value('postern_messages_received_total', { service: 'smtp' }), 0);
    for (const port of [postern.ports.metrics, postern.ports.mta_metrics]) {
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      assert.equal(ready.status, 200);
      await ready.arrayBuffer();
    }
    const autoconfig = await fetch(`http://127.0.0.1:${postern.ports.http}/mail/config-v1.1.xml?emailaddress=alice%40example.com`);
    assert.equal(autoconfig.status, 200);
    assert.deepEqual(thunderbirdProblems(await parseXml(await autoconfig.text())), []);
  });
});

describe('the config-v1.1 grammar check', () => {
  it('finds a missing socketType, an unknown element and servers out of order', async () => {
    const root = await parseXml(`<clientConfig version="1.1"><emailProvider id="example.com"><domain>example.com</domain><displayName>x</displayName>
      <outgoingServer type="smtp"><hostname>h</hostname><port>465</port><socketType>SSL</socketType><username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication></outgoingServer>
      <incomingServer type="imap"><hostname>h</hostname><port>993</port><username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication><extra/></incomingServer>
      </emailProvider></clientConfig>`);
    const problems = thunderbirdProblems(root);
    assert.ok(problems.some((p) => /0 <incomingServer>/.test(p)), problems.join('\n'));
    assert.ok(problems.some((p) => /<incomingServer> not allowed here/.test(p)), problems.join('\n'));
  });
});
