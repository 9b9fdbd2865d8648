// A test certificate authority (root → intermediate → leaf, made with openssl) and certbot's live/ and archive/ layout.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCa {
  dir: string;
  /** The root certificate clients trust (`ca` / `cafile` / mbsync's CertificateFile). */
  rootFile: string;
  /** The intermediate that signs leaves; fullchain.pem carries it, as Let's Encrypt's does. */
  intermediateFile: string;
  intermediateKeyFile: string;
}

export interface Leaf {
  /** The leaf alone (certbot's cert.pem). */
  cert: string;
  /** Leaf and intermediate (fullchain.pem). */
  fullchain: string;
  key: string;
  /** SHA-256 fingerprint as node's X509Certificate and TLSSocket peer certificates print it. */
  fingerprint: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function sign(dir: string, name: string, subject: string, extensions: string[], issuer: { cert: string; key: string }): void {
  writeFileSync(join(dir, `${name}.ext`), `${extensions.join('\n')}\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid:always\n`);
  openssl(['req', '-new', ...EC_KEY, '-subj', subject, '-keyout', `${name}.key`, '-out', `${name}.csr`], dir);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', issuer.cert, '-CAkey', issuer.key, '-set_serial', `0x${Date.now().toString(16)}${Math.floor(Math.random() * 1e6).toString(16)}`, '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`], dir);
}

/** A root and an intermediate CA in `dir`, valid for two days. */
export function createTestCa(dir: string): TestCa {
  mkdirSync(dir, { recursive: true });
  openssl(['req', '-x509', ...EC_KEY, '-days', '2', '-subj', '/CN=Postern Test Root CA', '-keyout', 'root.key', '-out', 'root.pem',
    '-addext', 'basicConstraints = critical, CA:TRUE', '-addext', 'keyUsage = critical, keyCertSign, cRLSign'], dir);
  sign(dir, 'intermediate', '/CN=Postern Test Intermediate CA', ['basicConstraints = critical, CA:TRUE, pathlen:0', 'keyUsage = critical, keyCertSign, cRLSign'], { cert: 'root.pem', key: 'root.key' });
  return { dir, rootFile: join(dir, 'root.pem'), intermediateFile: join(dir, 'intermediate.pem'), intermediateKeyFile: join(dir, 'intermediate.key') };
}

let leafCounter = 0;

/** A server certificate for `names` (subjectAltName DNS entries), signed by the intermediate. */
export function issueLeaf(ca: TestCa, names: string[]): Leaf {
  const name = `leaf${++leafCounter}`;
  sign(ca.dir, name, `/CN=${names[0]}`, [
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature',
    'extendedKeyUsage = serverAuth',
    `subjectAltName = ${names.map((n) => `DNS:${n}`).join(', ')}`,
  ], { cert: ca.intermediateFile, key: ca.intermediateKeyFile });
  const cert = readFileSync(join(ca.dir, `${name}.pem`), 'utf8');
  return {
    cert,
    fullchain: cert + readFileSync(ca.intermediateFile, 'utf8'),
    key: readFileSync(join(ca.dir, `${name}.key`), 'utf8'),
    fingerprint: new X509Certificate(cert).fingerprint256,
  };
}

/** The four links certbot keeps in live/HOST/, in the order its renewal swaps them (certbot storage.py ALL_FOUR). */
const KINDS = ['cert', 'privkey', 'chain', 'fullchain'] as const;
type Kind = (typeof KINDS)[number];

/** /etc/letsencrypt as certbot lays it out for one host: archive/HOST/KINDn.pem and live/HOST/KIND.pem links to them. */
export class CertbotLayout {
  private version = 0;
  readonly live: string;
  private readonly archive: string;

  constructor(root: string, readonly host: string) {
    this.live = join(root, 'live', host);
    this.archive = join(root, 'archive', host);
    mkdirSync(this.live, { recursive: true });
    mkdirSync(this.archive, { recursive: true });
  }

  /** live/HOST/fullchain.pem, for [tls] cert. */
  get certFile(): string {
    return join(this.live, 'fullchain.pem');
  }

  /** live/HOST/privkey.pem, for [tls] key. */
  get keyFile(): string {
    return join(this.live, 'privkey.pem');
  }

  /** Writes the next archive version of `leaf` without touching the links; `replace` puts other contents in some files (a broken renewal). */
  stage(leaf: Leaf, ca: TestCa, replace: Partial<Record<Kind, string>> = {}): number {
    const version = ++this.version;
    const contents: Record<Kind, string> = { cert: leaf.cert, privkey: leaf.key, chain: readFileSync(ca.intermediateFile, 'utf8'), fullchain: leaf.fullchain, ...replace };
    for (const kind of KINDS) writeFileSync(join(this.archive, `${kind}${version}.pem`), contents[kind], { mode: kind === 'privkey' ? 0o600 : 0o644 });
    return version;
  }

  /** Points one live link at an archive version, as certbot does: unlink, then a new relative symlink. */
  swap(kind: Kind, version: number): void {
    const link = join(this.live, `${kind}.pem`);
    try {
      unlinkSync(link);
    } catch {
      // The first install has no link yet.
    }
    symlinkSync(join('..', '..', 'archive', this.host, `${kind}${version}.pem`), link);
  }

  /** A whole certbot install or renewal: new archive files, then the four links one after the other. */
  install(leaf: Leaf, ca: TestCa, replace: Partial<Record<Kind, string>> = {}): void {
    const version = this.stage(leaf, ca, replace);
    for (const kind of KINDS) this.swap(kind, version);
  }
}
