// Certificate renewal under a running `postern start`: certbot's link swap, a broken renewal, and SIGHUP (systemctl reload).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import { issueLeaf } from '../support/pki.js';
import { handshake, HOST, secureCommand, TLS_PORTS, type Handshake } from './tls-dialog.js';
import { PASSWORD, startTlsInstance, USER, type TlsInstance } from './tls-instance.js';

const IMAPS = TLS_PORTS.find((port) => port.listener === 'imaps')!;

describe('certificate renewal while postern start runs', () => {
  let tls: TlsInstance;
  let handshakes = 0;

  before(async () => {
    tls = await startTlsInstance();
    await tls.server.deliver((await tls.server.store.getUser(USER))!, 'From: a@example.com\r\nTo: tls@example.com\r\nSubject: renewal\r\n\r\nHello.\r\n');
  });
  after(async () => {
    console.log(`handshakes in the renewal suite: ${handshakes}`);
    await tls?.stop();
  });

  /** The fingerprint a new session on `port` is served now; `sni: false` sends no server name (the library's default context). */
  async function served(port = IMAPS, sni = true): Promise<string> {
    const { socket, fingerprint, authorized } = await handshake(port, tls.server.ports[port.listener], { ca: tls.root, ...(sni ? {} : { servername: '', checkServerIdentity: () => undefined }) });
    handshakes++;
    socket.destroy();
    assert.equal(authorized, true);
    return fingerprint;
  }

  /** Polls new 993 sessions until they get `fingerprint`; resolves with how long that took. */
  async function servedWithin(fingerprint: string, timeoutMs = 5000): Promise<number> {
    const started = Date.now();
    while ((await served()) !== fingerprint) {
      if (Date.now() - started > timeoutMs) throw new Error(`new sessions still get the old certificate after ${timeoutMs} ms:\n${tls.server.output().slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return Date.now() - started;
  }

  async function imapSession(): Promise<ImapFlow> {
    const client = new ImapFlow({ host: '127.0.0.1', servername: HOST, port: tls.server.ports.imaps, secure: true, tls: { ca: tls.root }, auth: { user: USER, pass: PASSWORD }, logger: false } as ConstructorParameters<typeof ImapFlow>[0]);
    await client.connect();
    handshakes++;
    await client.mailboxOpen('INBOX');
    return client;
  }

  test('certbot renews (new archive files, links swapped one by one): new sessions on every port get the new certificate, open sessions go on undisturbed', async () => {
    const open: Handshake[] = [];
    const client = await imapSession();
    try {
      for (const port of TLS_PORTS) {
        open.push(await handshake(port, tls.server.ports[port.listener], { ca: tls.root }));
        handshakes++;
      }
      const renewed = issueLeaf(tls.ca, [HOST]);
      tls.certbot.install(renewed, tls.ca);
      const tookMs = await servedWithin(renewed.fingerprint);
      console.log(`renewal served to new sessions ${tookMs} ms after certbot's last link swap`);
      await tls.server.waitForLog((line) => line['event'] === 'tls_reloaded' && line['fingerprint'] === renewed.fingerprint);

      for (const port of TLS_PORTS) {
        assert.equal(await served(port), renewed.fingerprint, `new session on ${port.listener}`);
        assert.equal(await served(port, false), renewed.fingerprint, `new session without SNI on ${port.listener}`);
      }
      for (const [i, port] of TLS_PORTS.entries()) {
        const session = open[i]!;
        assert.equal(session.socket.getPeerCertificate().fingerprint256, tls.leaf.fingerprint, `the open ${port.listener} session keeps its certificate`);
        assert.match(await secureCommand(session.socket, port.protocol), /\S/, `the open ${port.listener} session still answers`);
      }
      await client.noop();
      const message = await client.fetchOne('1', { envelope: true });
      assert.equal(message && message.envelope?.subject, 'renewal', 'the open imapflow session still reads mail');
      tls.leaf = renewed;
    } finally {
      for (const session of open) session.socket.destroy();
      await client.logout();
    }
  });

  test('a broken renewal (a key that does not belong to the certificate) keeps the certificate in service and logs why', async () => {
    const inService = tls.leaf;
    const refused = (line: Record<string, unknown>): boolean => line['event'] === 'tls_reload_failed';
    const earlier = tls.server.logLines().filter(refused).length;
    const broken = issueLeaf(tls.ca, [HOST]);
    tls.certbot.install(broken, tls.ca, { privkey: issueLeaf(tls.ca, [HOST]).key });
    await tls.server.waitForLog(() => tls.server.logLines().filter(refused).length > earlier);
    const warning = tls.server.logLines().filter(refused).at(-1)!;
    assert.equal(warning['level'], 'warn');
    assert.match(String(warning['reason']), /privkey\.pem does not belong to the certificate .*fullchain\.pem/);
    assert.equal(warning['fingerprint'], inService.fingerprint);
    for (const port of TLS_PORTS) {
      assert.equal(await served(port), inService.fingerprint, `${port.listener} keeps serving the working certificate`);
      assert.equal(await served(port, false), inService.fingerprint, `${port.listener} keeps it for clients without SNI`);
    }
  });

  test('SIGHUP (systemctl reload) reloads the certificates; postern start stays up with its sessions', async () => {
    const [process] = tls.server.processes;
    const client = await imapSession();
    try {
      const next = issueLeaf(tls.ca, [HOST]);
      tls.certbot.install(next, tls.ca);
      // Sent at once, before the file watch's debounce runs: the reload below is the signal's.
      process!.child.kill('SIGHUP');
      console.log(`SIGHUP reload served to new sessions within ${await servedWithin(next.fingerprint)} ms of the signal`);
      const reloaded = await tls.server.waitForLog((line) => line['event'] === 'tls_reloaded' && line['fingerprint'] === next.fingerprint);
      assert.equal(reloaded['trigger'], 'SIGHUP');
      await tls.server.waitForLog((line) => line['signal'] === 'SIGHUP' && /reloaded/.test(String(line['msg'])));
      assert.equal(await served(), next.fingerprint);

      process!.child.kill('SIGHUP');
      await tls.server.waitForLog((line) => line['signal'] === 'SIGHUP' && /unchanged/.test(String(line['msg'])));
      assert.equal(process!.child.exitCode, null, 'postern start is still running');
      assert.equal(process!.child.signalCode, null, 'postern start was not killed by SIGHUP');
      await client.noop();
      const status = await client.status('INBOX', { messages: true });
      assert.equal(status && status.messages, 1, 'the session open across both reloads still works');
      for (const port of TLS_PORTS) {
        assert.equal(await served(port), next.fingerprint, `${port.listener} after SIGHUP`);
        assert.equal(await served(port, false), next.fingerprint, `${port.listener} without SNI after SIGHUP`);
      }
    } finally {
      await client.logout();
    }
  });
});
