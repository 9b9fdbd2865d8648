import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../src/index.js';

/** A real stream that keeps what pino writes, one parsed JSON object per line. */
function capture(): { stream: Writable; lines: () => Record<string, unknown>[]; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const text = (): string => chunks.join('');
  const lines = (): Record<string, unknown>[] =>
    text()
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { stream, lines, text };
}

test('writes one JSON line with the service name, the level as a word and an ISO time', () => {
  const out = capture();
  const log = createLogger({ name: 'mta', destination: out.stream });
  log.info({ queueId: 'ABC123', from: 'a@example.com' }, 'queued');
  const [line] = out.lines();
  assert.ok(line);
  assert.equal(line['service'], 'mta');
  assert.equal(line['level'], 'info');
  assert.equal(line['msg'], 'queued');
  assert.equal(line['queueId'], 'ABC123');
  assert.match(String(line['time']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});

test('never shows the value of a password or privateKey field, at the top or nested one or two levels', () => {
  const out = capture();
  const log = createLogger({ name: 'cli', destination: out.stream });
  log.info({ user: 'alice@example.com', password: 'hunter2-top' }, 'login');
  log.info({ dkim: { domain: 'example.com', privateKey: '-----BEGIN PRIVATE KEY-----MIIEv' } }, 'dkim key');
  log.info({ auth: { login: { password: 'hunter2-deep', pass: 'p4ss', token: 't0ken' } } }, 'nested');
  log.info({ req: { headers: { authorization: 'Basic YWxpY2U6aHVudGVyMg==' } } }, 'http');
  log.info({ users: [{ passwordHash: '$argon2id$v=19$secret-hash', secret: 's3cr3t' }] }, 'array');
  const text = out.text();
  for (const secret of ['hunter2-top', 'hunter2-deep', 'BEGIN PRIVATE KEY', 'p4ss', 't0ken', 'YWxpY2U6aHVudGVyMg', 'argon2id', 's3cr3t']) {
    assert.ok(!text.includes(secret), `log output shows ${secret}`);
  }
  const lines = out.lines();
  assert.equal(lines.length, 5);
  assert.equal(lines[0]?.['password'], '[redacted]');
  assert.equal(lines[0]?.['user'], 'alice@example.com');
  assert.deepEqual(lines[1]?.['dkim'], { domain: 'example.com', privateKey: '[redacted]' });
  assert.deepEqual(lines[3]?.['req'], { headers: { authorization: '[redacted]' } });
});

test('takes the level from the option, else from POSTERN_LOG_LEVEL, else info', () => {
  const saved = process.env['POSTERN_LOG_LEVEL'];
  try {
    delete process.env['POSTERN_LOG_LEVEL'];
    assert.equal(createLogger({ destination: capture().stream }).level, 'info');
    process.env['POSTERN_LOG_LEVEL'] = 'debug';
    assert.equal(createLogger({ destination: capture().stream }).level, 'debug');
    assert.equal(createLogger({ level: 'warn', destination: capture().stream }).level, 'warn');

    const out = capture();
    const log = createLogger({ level: 'warn', destination: out.stream });
    log.info('hidden');
    log.warn('shown');
    assert.deepEqual(out.lines().map((line) => line['msg']), ['shown']);
  } finally {
    if (saved === undefined) delete process.env['POSTERN_LOG_LEVEL'];
    else process.env['POSTERN_LOG_LEVEL'] = saved;
  }
});

test('refuses an unknown level with one line that lists the levels', () => {
  assert.throws(() => createLogger({ level: 'verbose', destination: capture().stream }), (err: Error) => {
    assert.equal(err.message, 'log level "verbose" is not a level (expected one of fatal, error, warn, info, debug, trace, silent)');
    return true;
  });
});
