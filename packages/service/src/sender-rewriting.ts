// The SRS keys ([srs]) and the SenderRewriting the MTA and the mailstore share: read at start, the
// default secret file made once, with random bytes, where postsrsd keeps its own (a file of 0600).
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { PosternConfig } from '@postern/config';
import { SenderRewriting } from '@postern/directory';
import type { Logger } from '@postern/log';
import type { Store } from '@postern/store';

/** data_dir/srs.secret unless srs.secret_file names another. */
export const SRS_SECRET_FILE = 'srs.secret';

function secretFile(config: PosternConfig): string {
  return config.srs.secret_file ?? join(config.data_dir, SRS_SECRET_FILE);
}

/** The keys of a secret file, one a line (postsrsd's format); # comments and blank lines skipped. */
function parseSecrets(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * Reads the secret file, writing it first when missing: 32 random bytes in
 * base64, mode 0600, created exclusively ('wx') so that an MTA and a mailstore
 * starting together end up with the same key.
 */
function readOrCreateSecrets(file: string, logger: Logger): string[] {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    logger.info({ event: 'srs_secret_created', file }, `created the SRS secret ${file}; every server receiving bounces for the SRS domain needs the same file`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return parseSecrets(readFileSync(file, 'utf8'));
}

/**
 * SRS as [srs] configures it, null when it is off: srs.enabled = false, or
 * enabled unset and no secret could be had (a read-only data_dir: logged).
 */
export function senderRewritingFor(config: PosternConfig, store: Store, logger: Logger): SenderRewriting | null {
  if (config.srs.enabled === false) return null;
  const secrets = [...config.srs.secrets];
  // Configured secrets alone need no file; a secret_file named is read (and made when missing) as well.
  if (secrets.length === 0 || config.srs.secret_file !== undefined) {
    const file = secretFile(config);
    try {
      secrets.push(...readOrCreateSecrets(file, logger));
    } catch (err) {
      const text = `SRS secret ${file} cannot be read or created (${(err as Error).message}): forwarded mail keeps its sender; fix the file or set srs.secrets`;
      if (config.srs.enabled === true) throw new Error(text);
      logger.warn({ event: 'srs_disabled', file, err }, text);
      return null;
    }
  }
  if (secrets.length === 0) {
    if (config.srs.enabled === true) throw new Error(`srs.enabled is true but ${secretFile(config)} holds no secret: add one (e.g. head -c 32 /dev/urandom | base64)`);
    return null;
  }
  return new SenderRewriting(store, secrets, () => ({ hostname: config.hostname, myorigin: config.myorigin, mydestination: config.mydestination, srsDomain: config.srs.domain }));
}
