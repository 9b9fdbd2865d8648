import { readFile } from 'node:fs/promises';
import type { PosternConfig } from '@postern/config';

export interface Credentials {
  username: string;
  password: string;
}

/**
 * The relay host login (Postfix smtp_sasl_password_maps for the relayhost):
 * smtp.relayhost_username with relayhost_password, or the first line of
 * relayhost_password_file, read at each delivery so a changed file is used
 * without a restart. null when no login is configured. Throws when the file
 * cannot be read.
 */
export async function relayCredentials(config: PosternConfig): Promise<Credentials | null> {
  const { relayhost_username: username, relayhost_password: password, relayhost_password_file: file } = config.smtp;
  if (username === undefined) return null;
  if (password !== undefined) return { username, password };
  if (file === undefined) throw new Error('smtp.relayhost_username is set without smtp.relayhost_password or smtp.relayhost_password_file');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read smtp.relayhost_password_file ${file}: ${(error as Error).message}`);
  }
  const first = text.split(/\r?\n/)[0] ?? '';
  if (first === '') throw new Error(`smtp.relayhost_password_file ${file} is empty (expected the password on its first line)`);
  return { username, password: first };
}
