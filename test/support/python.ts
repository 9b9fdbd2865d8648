// Python's own mail clients (smtplib, imaplib, poplib) as real clients of the end-to-end suites.
import { runTool, type ToolResult } from './tools.js';

const PREAMBLE = `
import base64, json, ssl, sys
args = json.loads(sys.argv[1])
# The self-signed certificate of postern init: encrypt, do not verify.
tls = ssl.create_default_context()
tls.check_hostname = False
tls.verify_mode = ssl.CERT_NONE
out = {}
`;

/**
 * Runs a Python script after a preamble that gives it `args` (the JSON of
 * `args`), `tls` (a context that does not verify) and `out`, then `helpers`
 * (imports and functions a suite shares); resolves with `out` as JSON.
 * `run` starts python3 (e.g. inside a namespace with its own /etc/hosts, see hosts.ts).
 */
export async function python<T = Record<string, unknown>>(
  script: string,
  args: Record<string, unknown>,
  helpers = '',
  run: (command: string, args: string[]) => Promise<ToolResult> = runTool,
): Promise<T> {
  const source = `${PREAMBLE}${helpers}\n${script.replace(/^\n/, '')}\nprint(json.dumps(out))\n`;
  const result = await run('python3', ['-c', source, JSON.stringify(args)]);
  if (result.code !== 0) throw new Error(`python3 script failed (exit ${result.code}):\n${result.stderr}`);
  try {
    return JSON.parse(result.stdout.trim().split('\n').pop() ?? '') as T;
  } catch {
    throw new Error(`python3 printed no JSON:\n${result.stdout}\n${result.stderr}`);
  }
}
