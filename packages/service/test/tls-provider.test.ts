import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createServer } from 'node:net';
import { connect, TLSSocket, type SecureContext } from 'node:tls';
import { CertbotLayout, createTestCa, issueLeaf, type Leaf, type TestCa } from '../../../test/support/pki.js';
import { TlsProvider } from '../src/index.js';
import { capturingLogger } from './capturing-logger.js';

const HOST = 'mail.example.test';

/** The fingerprint a verifying client sees when it names `servername` to a server whose contexts come from `provider`. */
async function servedFingerprint(provider: TlsProvider, ca: TestCa, servername: string | null): Promise<string> {
  // As smtp-server, imap-core and our POP3 do: a TLS socket over each accepted one, with the contexts of this moment.
  const server = createServer((raw) => {
    const socket = new TLSSocket(raw, { isServer: true, secureContext: provider.defaultContext, SNICallback: provider.SNICallback });
    socket.on('error', () => raw.destroy());
    socket.once('secure', () => socket.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, ca: readFileSync(ca.rootFile, 'utf8'), ...(servername ? { servername } : {}), checkServerIdentity: () => undefined }, () => {
        resolve(socket.getPeerCertificate().fingerprint256);
        socket.destroy();
      });
      socket.on('error', reject);
    });
  } finally {
    server.close();
  }
}

function waitFor(predicate: () => boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (predicate()) return resolve(Date.now() - started);
      if (Date.now() - started > timeoutMs) return reject(new Error(`not within ${timeoutMs} ms`));
      setTimeout(poll, 5);
    };
    poll();
  });
}

describe('TlsProvider', () => {
  let dir: string;
  let ca: TestCa;
  let first: Leaf;
  let second: Leaf;
  let other: Leaf;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'postern-tls-provider-'));
    ca = createTestCa(join(dir, 'ca'));
    first = issueLeaf(ca, [HOST]);
    second = issueLeaf(ca, [HOST]);
    other = issueLeaf(ca, ['mail.example.org', 'imap.example.org']);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function layout(name: string, leaf: Leaf): CertbotLayout {
    const certbot = new CertbotLayout(join(dir, name), HOST);
    certbot.install(leaf, ca);
    return certbot;
  }

  it('serves the configured pair to a client without SNI and to every name that has no pair of its own', async () => {
    const certbot = layout('default', first);
    const { logger } = capturingLogger();
    const provider = new TlsProvider({ default: { cert: certbot.certFile, key: certbot.keyFile }, minVersion: 'TLSv1.2', logger });
    assert.equal(provider.fingerprint, first.fingerprint);
    assert.equal(await servedFingerprint(provider, ca, null), first.fingerprint);
    assert.equal(await servedFingerprint(provider, ca, HOST), first.fingerprint);
    assert.equal(await servedFingerprint(provider, ca, 'unknown.example.net'), first.fingerprint);
  });

  it('serves a per-name pair for its name, a *.parent pair for one label below, the default for the rest', async () => {
    const certbot = layout('sni-default', first);
    const named = layout('sni-named', other);
    const { logger } = capturingLogger();
    const provider = new TlsProvider({
      default: { cert: certbot.certFile, key: certbot.keyFile },
      sni: { 'Mail.Example.Org': { cert: named.certFile, key: named.keyFile }, '*.example.org': { cert: named.certFile, key: named.keyFile } },
      minVersion: 'TLSv1.2',
      logger,
    });
    assert.equal(await servedFingerprint(provider, ca, 'mail.example.org'), other.fingerprint);
    assert.equal(await servedFingerprint(provider, ca, 'imap.example.org'), other.fingerprint);
    assert.equal(provider.contextFor('a.b.example.org'), provider.defaultContext);
    assert.equal(provider.contextFor('MAIL.example.org.'), provider.contextFor('mail.example.org'), 'case and a final dot do not matter');
    assert.equal(await servedFingerprint(provider, ca, HOST), first.fingerprint);
  });

  it('refuses at start a key that does not belong to the certificate, naming both files', () => {
    const certFile = join(dir, 'mismatch-cert.pem');
    const keyFile = join(dir, 'mismatch-key.pem');
    writeFileSync(certFile, first.fullchain);
    writeFileSync(keyFile, second.key);
    const { logger } = capturingLogger();
    assert.throws(() => new TlsProvider({ default: { cert: certFile, key: keyFile }, minVersion: 'TLSv1.2', logger }), (err: Error) => {
      assert.equal(err.name, 'CertificateError');
      assert.match(err.message, /mismatch-key\.pem does not belong to the certificate .*mismatch-cert\.pem/);
      return true;
    });
  });

  it('reload(): a half-swapped renewal (new key, old chain) keeps the old pair and logs why; the completed swap takes over', () => {
    const certbot = layout('half', first);
    const { logger, lines } = capturingLogger();
    const provider = new TlsProvider({ default: { cert: certbot.certFile, key: certbot.keyFile }, minVersion: 'TLSv1.2', logger });
    let changes = 0;
    provider.onChange(() => changes++);
    const before: SecureContext = provider.defaultContext;

    const version = certbot.stage(second, ca);
    certbot.swap('privkey', version);
    const half = provider.reload('test');
    assert.deepEqual(half.changed, []);
    assert.equal(half.failed.length, 1);
    assert.match(half.failed[0]!.reason, /does not belong to the certificate/);
    assert.equal(provider.defaultContext, before);
    assert.equal(provider.fingerprint, first.fingerprint);
    const warn = lines.find((line) => line['event'] === 'tls_reload_failed');
    assert.ok(warn, 'a warn line for the refused pair');
    assert.equal(warn['level'], 'warn');
    assert.equal(warn['fingerprint'], first.fingerprint);

    certbot.swap('fullchain', version);
    const done = provider.reload('test');
    assert.deepEqual(done.changed, ['*']);
    assert.equal(provider.fingerprint, second.fingerprint);
    assert.equal(changes, 1);
    assert.deepEqual(provider.reload('test').unchanged, ['*'], 'the same files again change nothing');
    assert.equal(changes, 1);
  });

  it('reload(): unreadable or unparseable files keep the old pair', () => {
    const certbot = layout('garbage', first);
    const { logger } = capturingLogger();
    const provider = new TlsProvider({ default: { cert: certbot.certFile, key: certbot.keyFile }, minVersion: 'TLSv1.2', logger });
    const version = certbot.stage(second, ca);
    writeFileSync(join(dir, 'garbage', 'archive', HOST, `fullchain${version}.pem`), 'not a certificate\n');
    certbot.swap('fullchain', version);
    assert.match(provider.reload('test').failed[0]!.reason, /fullchain\.pem holds no PEM certificate/);
    rmSync(certbot.keyFile);
    assert.match(provider.reload('test').failed[0]!.reason, /cannot read the private key .*privkey\.pem/);
    assert.equal(provider.fingerprint, first.fingerprint);
  });

  it('watch(): a certbot renewal (new archive files, four links swapped) is served within the debounce', async () => {
    const certbot = layout('watched', first);
    const { logger, lines } = capturingLogger();
    const provider = new TlsProvider({ default: { cert: certbot.certFile, key: certbot.keyFile }, minVersion: 'TLSv1.2', logger, debounceMs: 100 });
    provider.watch();
    try {
      certbot.install(second, ca);
      const tookMs = await waitFor(() => provider.fingerprint === second.fingerprint, 5000);
      assert.equal(await servedFingerprint(provider, ca, HOST), second.fingerprint);
      assert.ok(lines.some((line) => line['event'] === 'tls_reloaded' && line['fingerprint'] === second.fingerprint));
      // The file watches follow the new links: an edit in place of the new target is seen too.
      writeFileSync(join(dir, 'watched', 'archive', HOST, 'fullchain2.pem'), first.fullchain);
      writeFileSync(join(dir, 'watched', 'archive', HOST, 'privkey2.pem'), first.key);
      await waitFor(() => provider.fingerprint === first.fingerprint, 5000);
      console.log(`certbot-style renewal served after ${tookMs} ms (debounce 100 ms)`);
    } finally {
      provider.close();
    }
  });
});
