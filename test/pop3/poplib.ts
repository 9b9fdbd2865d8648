import { spawn } from 'node:child_process';

const PREAMBLE = `
import base64, json, poplib, ssl, sys
args = json.loads(sys.argv[1])
# The self-signed certificate of postern init: encrypt, do not verify.
tls = ssl.create_default_context()
tls.check_hostname = False
tls.verify_mode = ssl.CERT_NONE
out = {}

def error_of(call):
    """The -ERR line a poplib call raised, or None when it succeeded."""
    try:
        call()
        return None
    except poplib.error_proto as e:
        first = e.args[0]
        return first.decode() if isinstance(first, bytes) else str(first)

def text(lines):
    return [line.decode() for line in lines]

def stls_session():
    pop = poplib.POP3('127.0.0.1', args['port'], timeout=10)
    pop.stls(context=tls)
    return pop
`;

/** Runs a Python poplib script (after a shared preamble) and returns the `out` dict it fills, as JSON. */
export function poplib<T = Record<string, unknown>>(script: string, args: Record<string, unknown>): Promise<T> {
  const source = `${PREAMBLE}\n${script.replace(/^\n/, '')}\nprint(json.dumps(out))\n`;
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', source, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`python3 poplib script failed (exit ${code}):\n${stderr}`));
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as T);
      } catch {
        reject(new Error(`python3 printed no JSON:\n${stdout}\n${stderr}`));
      }
    });
  });
}
