// A self-signed certificate for remote test servers, made by openssl (no selfsigned package in @postern/queue).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const made = new Map<string, Promise<{ cert: string; key: string }>>();

/** A P-256 certificate and key for `name`, valid for two days; one per name per process. */
export function selfSignedCertificate(name: string): Promise<{ cert: string; key: string }> {
  let pending = made.get(name);
  if (pending === undefined) {
    pending = (async () => {
      const dir = await mkdtemp(join(tmpdir(), 'postern-cert-'));
      const certFile = join(dir, 'cert.pem');
      const keyFile = join(dir, 'key.pem');
      await run('openssl', [
        'req', '-x509', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
        '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`,
      ]);
      return { cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8') };
    })();
    made.set(name, pending);
  }
  return pending;
}
