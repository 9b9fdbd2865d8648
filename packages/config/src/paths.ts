import { dirname, isAbsolute, resolve } from 'node:path';
import type { PosternConfig } from './schema.js';

export const DEFAULT_CONFIG_PATH = '/etc/postern/postern.toml';

/** SPEC §3: `-c/--config FILE`, else $POSTERN_CONFIG, else /etc/postern/postern.toml; made absolute. */
export function resolveConfigPath(cliPath?: string): string {
  const fromEnv = process.env['POSTERN_CONFIG'];
  const chosen = cliPath !== undefined && cliPath !== '' ? cliPath : fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_CONFIG_PATH;
  return resolve(chosen);
}

/**
 * Relative paths in the file mean "next to the file", so that a config
 * directory can be moved as a whole: data_dir, tls.cert, tls.key,
 * tls.sni pairs, smtp.relayhost_password_file, smtp.tls_CAfile, sieve.before/after, srs.secret_file and unix: LMTP sockets are resolved against the config file's directory.
 */
export function resolveRelativePaths(config: PosternConfig, configFile: string): PosternConfig {
  const base = dirname(resolve(configFile));
  const absolute = (path: string): string => (isAbsolute(path) ? path : resolve(base, path));
  return {
    ...config,
    data_dir: absolute(config.data_dir),
    tls: {
      ...config.tls,
      ...(config.tls.cert !== undefined ? { cert: absolute(config.tls.cert) } : {}),
      ...(config.tls.key !== undefined ? { key: absolute(config.tls.key) } : {}),
      sni: Object.fromEntries(Object.entries(config.tls.sni).map(([name, pair]) => [name, { cert: absolute(pair.cert), key: absolute(pair.key) }])),
    },
    smtp: {
      ...config.smtp,
      ...(config.smtp.relayhost_password_file !== undefined ? { relayhost_password_file: absolute(config.smtp.relayhost_password_file) } : {}),
      ...(config.smtp.tls_CAfile !== undefined ? { tls_CAfile: absolute(config.smtp.tls_CAfile) } : {}),
    },
    sieve: {
      ...config.sieve,
      ...(config.sieve.before !== undefined ? { before: absolute(config.sieve.before) } : {}),
      ...(config.sieve.after !== undefined ? { after: absolute(config.sieve.after) } : {}),
    },
    srs: {
      ...config.srs,
      ...(config.srs.secret_file !== undefined ? { secret_file: absolute(config.srs.secret_file) } : {}),
    },
    listen: {
      ...config.listen,
      lmtp: config.listen.lmtp.map((entry) => (entry.startsWith('unix:') ? `unix:${absolute(entry.slice('unix:'.length))}` : entry)),
    },
  };
}
