import { UsageFailure } from './errors.js';

export async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * A password from standard input: the first line, without its line ending
 * (what `echo secret | postern …` and `--password-stdin < file` give).
 */
export async function readPasswordFromStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Password: ');
  const text = (await readStdin()).toString('utf8');
  const password = text.split(/\r?\n/, 1)[0] ?? '';
  if (password === '') throw new UsageFailure('no password on standard input');
  return password;
}
