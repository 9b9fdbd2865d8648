// TLS as real clients do it on every port of `postern start`: by host name, with SNI, verifying the chain against a test CA.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createServer as createTlsServer, type ConnectionOptions } from 'node:tls';
import { ImapFlow } from 'imapflow';
import { hostsRunner } from '../support/hosts.js';
import { python } from '../support/python.js';
import { requireTool } from '../support/tools.js';
import { handshake, HOST, secureCommand, TLS_PORTS, type TlsPort } from './tls-dialog.js';
import { OTHER_HOST, PASSWORD, startTlsInstance, USER, type TlsInstance } from './tls-instance.js';

/** RFC 8996: TLS 1.0 and 1.1 are deprecated; an old client offers nothing newer. */
const OLD_CLIENT: ConnectionOptions = { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' };

const label = (port: TlsPort): string => `${port.listener} (${port.implicit ? 'implicit TLS' : port.protocol === 'pop3' ? 'STLS' : 'STARTTLS'})`;
const sameFingerprint = (python: string, node: string): boolean => python.toLowerCase() === node.replaceAll(':', '').toLowerCase();

describe('TLS on every port of postern start', () => {
  let tls: TlsInstance;
  const handshakes = new Map<string, number>();
  const count = (port: TlsPort): void => void handshakes.set(port.listener, (handshakes.get(port.listener) ?? 0) + 1);

  before(async () => {
    tls = await startTlsInstance();
    await tls.server.deliver((await tls.server.store.getUser(USER))!, 'From: a@example.com\r\nTo: tls@example.com\r\nSubject: over TLS\r\n\r\nHello.\r\n');
  });
  after(async () => {
    console.log(`handshakes per listener: ${JSON.stringify(Object.fromEntries(handshakes))}`);
    await tls?.stop();
  });

  test('every TLS port hands a client that names mail.example.test the chain it verifies against the CA, and the session goes on over TLS', async () => {
    for (const port of TLS_PORTS) {
      const { socket, authorized, fingerprint, version } = await handshake(port, tls.server.ports[port.listener], { ca: tls.root });
      count(port);
      try {
        assert.equal(authorized, true, `${label(port)}: ${socket.authorizationError}`);
        assert.equal(fingerprint, tls.leaf.fingerprint, label(port));
        assert.equal(version, 'TLSv1.3', label(port));
        assert.match(await secureCommand(socket, port.protocol), /\S/);
      } finally {
        socket.destroy();
      }
    }
  });

  test('a name the server has no certificate for, and a client that sends no SNI, get the default certificate on every port', async () => {
    for (const port of TLS_PORTS) {
      for (const servername of ['unknown.example.net', null]) {
        // The chain is still checked; only the name is not (the certificate is mail.example.test's).
        const options: ConnectionOptions = { ca: tls.root, checkServerIdentity: () => undefined, ...(servername ? { servername } : { servername: '' }) };
        const { socket, authorized, fingerprint } = await handshake(port, tls.server.ports[port.listener], options);
        count(port);
        socket.destroy();
        assert.equal(authorized, true, `${label(port)} SNI ${servername}`);
        assert.equal(fingerprint, tls.leaf.fingerprint, `${label(port)} SNI ${servername}`);
      }
    }
  });

  test('a name with its own [tls.sni] pair gets that certificate on every port, verified for that name', async () => {
    for (const port of TLS_PORTS) {
      const { socket, authorized, fingerprint } = await handshake(port, tls.server.ports[port.listener], { ca: tls.root, servername: OTHER_HOST });
      count(port);
      socket.destroy();
      assert.equal(authorized, true, `${label(port)}: ${socket.authorizationError}`);
      assert.equal(fingerprint, tls.otherLeaf.fingerprint, label(port));
    }
  });

  test('TLS 1.0 and 1.1 are refused on every TLS port (a client that offers only those gets a protocol_version alert)', async () => {
    // The control: the same client completes a TLS 1.1 handshake with a server that allows it, so the refusals below are Postern's.
    const permissive = createTlsServer({ cert: tls.leaf.fullchain, key: tls.leaf.key, minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' }, (s) => s.end());
    await new Promise<void>((resolve) => permissive.listen(0, '127.0.0.1', resolve));
    try {
      const control = await handshake({ listener: 'imaps', protocol: 'imap', implicit: true }, (permissive.address() as AddressInfo).port, { ...OLD_CLIENT, ca: tls.root }).catch((error: Error) => error);
      // The permissive server sends no IMAP greeting: a closed connection after the handshake is its success.
      assert.ok(!(control instanceof Error) || /closed while waiting/.test(control.message), `control handshake failed: ${String(control)}`);
    } finally {
      permissive.close();
    }
    for (const port of TLS_PORTS) {
      for (const maxVersion of ['TLSv1', 'TLSv1.1'] as const) {
        const result = await handshake(port, tls.server.ports[port.listener], { ...OLD_CLIENT, maxVersion, ca: tls.root }).catch((error: Error) => error);
        count(port);
        assert.ok(result instanceof Error, `${label(port)} accepted ${maxVersion}`);
        assert.match(result.message, /protocol version|unsupported protocol|wrong version/i, `${label(port)} ${maxVersion}`);
      }
    }
  });

  test('Python smtplib, imaplib and poplib, verifying chain and host name, log in over every TLS port', async (t) => {
    const run = await hostsRunner(t, tls.dir, { [HOST]: '127.0.0.1' });
    if (!run) return;
    const out = await python<Record<string, string>>(
      `
import hashlib, imaplib, poplib, smtplib
ctx = ssl.create_default_context(cafile=args['ca'])
assert ctx.check_hostname and ctx.verify_mode == ssl.CERT_REQUIRED
h, p, user, pw = args['host'], args['ports'], args['user'], args['password']
def fp(sock):
    return hashlib.sha256(sock.getpeercert(binary_form=True)).hexdigest()
s = smtplib.SMTP_SSL(h, p['submissions'], context=ctx, timeout=10); s.login(user, pw); out['submissions'] = fp(s.sock); s.quit()
s = smtplib.SMTP(h, p['submission'], timeout=10); s.starttls(context=ctx); s.login(user, pw); out['submission'] = fp(s.sock); s.quit()
s = smtplib.SMTP(h, p['smtp'], timeout=10); s.starttls(context=ctx); s.ehlo(); out['smtp'] = fp(s.sock); s.quit()
m = imaplib.IMAP4_SSL(h, p['imaps'], ssl_context=ctx, timeout=10); m.login(user, pw); m.select('INBOX'); out['imaps'] = fp(m.sock); m.logout()
m = imaplib.IMAP4(h, p['imap'], timeout=10); m.starttls(ssl_context=ctx); m.login(user, pw); m.select('INBOX'); out['imap'] = fp(m.sock); m.logout()
o = poplib.POP3_SSL(h, p['pop3s'], context=ctx, timeout=10); o.user(user); o.pass_(pw); o.stat(); out['pop3s'] = fp(o.sock); o.quit()
o = poplib.POP3(h, p['pop3'], timeout=10); o.stls(context=ctx); o.user(user); o.pass_(pw); o.stat(); out['pop3'] = fp(o.sock); o.quit()
`,
      { host: HOST, ports: tls.server.ports, ca: tls.ca.rootFile, user: USER, password: PASSWORD },
      '',
      (command, args) => run(command, args),
    );
    for (const port of TLS_PORTS) {
      count(port);
      assert.ok(sameFingerprint(out[port.listener] ?? '', tls.leaf.fingerprint), `${label(port)}: Python saw ${out[port.listener]}`);
    }
  });

  test('imapflow with SNI and the CA reads INBOX over 993 and over 143 with STARTTLS', async () => {
    for (const port of TLS_PORTS.filter((p) => p.protocol === 'imap')) {
      const client = new ImapFlow({
        host: '127.0.0.1',
        servername: HOST,
        port: tls.server.ports[port.listener],
        secure: port.implicit,
        doSTARTTLS: port.implicit ? undefined : true,
        tls: { ca: tls.root, rejectUnauthorized: true },
        auth: { user: USER, pass: PASSWORD },
        logger: false,
      } as ConstructorParameters<typeof ImapFlow>[0]);
      await client.connect();
      count(port);
      try {
        const mailbox = await client.mailboxOpen('INBOX');
        assert.equal(mailbox.exists, 1, label(port));
      } finally {
        await client.logout();
      }
    }
  });

  for (const trust of ['the CA', 'the pinned server certificate'] as const) {
    test(`mbsync with a stock config (Host ${HOST}, SSLType IMAPS, CertificateFile = ${trust}) syncs INBOX over 993`, async (t) => {
      if (!requireTool(t, 'mbsync', 'isync')) return;
      const run = await hostsRunner(t, tls.dir, { [HOST]: '127.0.0.1' });
      if (!run) return;
      const home = join(tls.dir, trust === 'the CA' ? 'mbsync-ca' : 'mbsync-pinned');
      const local = join(home, 'mail');
      mkdirSync(local, { recursive: true });
      const trusted = join(home, 'trusted.pem');
      writeFileSync(trusted, trust === 'the CA' ? tls.root : tls.leaf.cert);
      const config = join(home, 'mbsyncrc');
      writeFileSync(
        config,
        [
          'IMAPAccount postern',
          `Host ${HOST}`,
          `Port ${tls.server.ports.imaps}`,
          `User ${USER}`,
          `Pass "${PASSWORD}"`,
          'SSLType IMAPS',
          `CertificateFile ${trusted}`,
          '',
          'IMAPStore remote',
          'Account postern',
          '',
          'MaildirStore local',
          `Path ${local}/`,
          `Inbox ${local}/INBOX`,
          '',
          'Channel postern',
          'Far :remote:',
          'Near :local:',
          'Patterns INBOX',
          'Create Near',
          'SyncState *',
          '',
        ].join('\n'),
      );
      const result = await run('mbsync', ['-c', config, '-a'], { env: { HOME: home } });
      count(TLS_PORTS.find((p) => p.listener === 'imaps')!);
      assert.equal(result.code, 0, `mbsync failed:\n${result.stdout}\n${result.stderr}`);
      const synced = ['cur', 'new'].flatMap((sub) => readdirSync(join(local, 'INBOX', sub)));
      assert.equal(synced.length, 1, `mbsync synced ${synced.length} messages:\n${result.stdout}`);
    });
  }
});
