// The real IMAP clients the end-to-end tests drive: imapflow (Node) and imaplib (Python).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

// imapflow is a devDependency of @postern/mailstore; until the e2e package lists it, load it from there.
const require = createRequire(new URL('../../apps/mailstore/package.json', import.meta.url));
export const { ImapFlow } = require('imapflow') as typeof import('../../apps/mailstore/node_modules/imapflow/dist/cjs/imap-flow.js');

const PREAMBLE = `
import imaplib, json, ssl, sys
args = json.loads(sys.argv[1])
# The self-signed certificate of postern init: encrypt, do not verify.
tls = ssl.create_default_context()
tls.check_hostname = False
tls.verify_mode = ssl.CERT_NONE
out = {}

def text(data):
    return [item.decode(errors='replace') if isinstance(item, bytes) else [part.decode(errors='replace') if isinstance(part, bytes) else part for part in item] if isinstance(item, tuple) else item for item in data]
`;

/** Runs a Python imaplib script (after a shared preamble) and returns the `out` dict it fills. */
export function imaplib<T = Record<string, unknown>>(script: string, args: Record<string, unknown>): Promise<T> {
  const source = `${PREAMBLE}\n${script.replace(/^\n/, '')}\nprint(json.dumps(out))\n`;
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', source, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`python3 imaplib script failed (exit ${code}):\n${stderr}`));
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as T);
      } catch {
        reject(new Error(`python3 printed no JSON:\n${stdout}\n${stderr}`));
      }
    });
  });
}

/** Runs a command to completion; resolves with its exit code and output. */
export function runTool(command: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...options.env }, cwd: options.cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    // A tool that exits without reading stdin must not fail the test with EPIPE.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** A tool the tests need: missing is a failure under CI=1, otherwise the caller may skip with this reason. */
export async function requireTool(name: string): Promise<string | null> {
  const found = await runTool('sh', ['-c', `command -v ${name}`]);
  if (found.code === 0) return null;
  const reason = `${name} is not installed (Debian package: ${TOOL_PACKAGES[name] ?? name})`;
  if (process.env.CI === '1') throw new Error(`${reason}; CI must install it (scripts/setup.sh)`);
  return reason;
}

const TOOL_PACKAGES: Record<string, string> = { mbsync: 'isync', offlineimap: 'offlineimap3', swaks: 'swaks', python3: 'python3' };
