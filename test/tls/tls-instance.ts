// `postern start` on every TLS port, its [tls] pointing at a certbot live/ directory whose certificate a test CA issued.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertbotLayout, createTestCa, issueLeaf, type Leaf, type TestCa } from '../support/pki.js';
import { startInstance, type PosternInstance } from '../support/instance.js';
import { HOST } from './tls-dialog.js';

export const PASSWORD = 'tls e2e password';
export const USER = 'tls@example.com';
/** A second name of the server, with its own pair in [tls.sni]. */
export const OTHER_HOST = 'mail.example.org';

export interface TlsInstance {
  server: PosternInstance<'smtp' | 'submission' | 'submissions' | 'lmtp' | 'imap' | 'imaps' | 'pop3' | 'pop3s'>;
  ca: TestCa;
  /** The root clients trust, as PEM text. */
  root: string;
  certbot: CertbotLayout;
  /** The certificate installed at start. */
  leaf: Leaf;
  /** The [tls.sni] pair of OTHER_HOST. */
  otherLeaf: Leaf;
  /** A scratch directory of the test (CA, letsencrypt/, hosts file, mbsync home). */
  dir: string;
  stop(): Promise<void>;
}

export async function startTlsInstance(): Promise<TlsInstance> {
  const dir = mkdtempSync(join(tmpdir(), 'postern-tls-'));
  try {
    const ca = createTestCa(join(dir, 'ca'));
    const leaf = issueLeaf(ca, [HOST]);
    const certbot = new CertbotLayout(join(dir, 'letsencrypt'), HOST);
    certbot.install(leaf, ca);
    const otherLeaf = issueLeaf(ca, [OTHER_HOST]);
    const other = new CertbotLayout(join(dir, 'letsencrypt'), OTHER_HOST);
    other.install(otherLeaf, ca);
    const server = await startInstance('sqlite', {
      listen: ['smtp', 'submission', 'submissions', 'lmtp', 'imap', 'imaps', 'pop3', 'pop3s'],
      settings: [
        ['hostname', JSON.stringify(HOST)],
        ['tls.cert', JSON.stringify(certbot.certFile)],
        ['tls.key', JSON.stringify(certbot.keyFile)],
        ['tls.sni', `{ ${JSON.stringify(OTHER_HOST)} = { cert = ${JSON.stringify(other.certFile)}, key = ${JSON.stringify(other.keyFile)} } }`],
      ],
    });
    await server.addUser(USER, PASSWORD);
    return {
      server,
      ca,
      root: readFileSync(ca.rootFile, 'utf8'),
      certbot,
      leaf,
      otherLeaf,
      dir,
      async stop() {
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
