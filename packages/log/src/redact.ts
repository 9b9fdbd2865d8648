/** Keys whose values must never reach a log line (SPEC §4: "no secret in a log"). */
export const SECRET_KEYS = ['password', 'pass', 'passwordHash', 'token', 'secret', 'privateKey', 'authorization'] as const;

export const REDACTED = '[redacted]';

/** pino redact paths: each secret key at the top level and nested one or two levels down (arrays included). */
export function redactPaths(keys: readonly string[] = SECRET_KEYS): string[] {
  return keys.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);
}
