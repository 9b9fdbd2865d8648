// The rspamd scanner against a real rspamd (Debian rspamd), over its HTTP protocol (POST /checkv2).
import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import { validateConfig } from '@postern/config';
import { createContentScanner, type ContentScanner, type ScanFacts } from '../src/index.js';
import { requireTool } from '../../../test/support/tools.js';
import { startRspamd, type Daemon } from './daemons.js';
import { gtubeMessage, letterOfSize, message } from './messages.js';

const facts: ScanFacts = {
  ip: '192.0.2.7',
  helo: 'mx.remote.example',
  from: 'sam@remote.example',
  recipients: ['alice@example.com', 'bob@example.com'],
  hostname: 'mx.remote.example',
  queueId: '4XyZ1a2B3c',
  user: 'sam',
};

let daemon: Promise<Daemon> | null = null;

/** The file's one rspamd, started by the first test that needs it; null (skipped) when rspamd is not installed. */
async function rspamd(t: TestContext): Promise<Daemon | null> {
  const path = requireTool(t, 'rspamd', 'rspamd');
  if (!path) return null;
  daemon ??= startRspamd(path, { ...facts, helo: facts.helo ?? '', user: facts.user ?? '' }).then((running) => {
    t.diagnostic(`rspamd on ${running.address}, accepting connections ${running.startupMs} ms after start`);
    return running;
  });
  return daemon;
}

function scannerFor(running: Daemon, settings: Record<string, unknown> = {}): ContentScanner {
  const config = validateConfig({ hostname: 'mail.example.com', content_filter: { scanner: 'rspamd', address: running.address, ...settings } }, 'test config');
  const scanner = createContentScanner(config);
  assert.ok(scanner);
  return scanner;
}

const testsOf = (headers: string): string[] => /tests=([^\r\n]*(?:\r\n\t[^\r\n]*)*)/.exec(headers)?.[1]?.replace(/\r\n\t/g, '').split(',') ?? [];

describe('rspamd scanner (real rspamd)', () => {
  after(async () => {
    // A daemon that failed to start has already cleaned up after itself (and failed its test).
    await (await daemon?.catch(() => null))?.stop();
  });

  it('calls the GTUBE message spam: rspamd answers the reject action', async (t) => {
    const running = await rspamd(t);
    if (!running) return;
    const result = await scannerFor(running).scan(gtubeMessage(), facts);
    assert.equal(result.status, 'spam', result.detail);
    t.diagnostic(result.detail);
    assert.match(result.detail, /action "reject"/);
    assert.equal(result.threshold, 15);
    assert.match(result.headers, /^X-Spam-Flag: YES\r\nX-Spam-Score: 15\.0\r\nX-Spam-Status: Yes, score=15\.0 required=15\.0 tests=/);
    assert.ok(testsOf(result.headers).includes('GTUBE'), result.headers);
  });

  it('refuses the GTUBE message when its score reaches content_filter.reject_score', async (t) => {
    const running = await rspamd(t);
    if (!running) return;
    const result = await scannerFor(running, { reject_score: 15 }).scan(gtubeMessage(), facts);
    assert.equal(result.status, 'reject', result.detail);
    assert.match(result.headers, /^X-Spam-Flag: YES\r\n/);
  });

  it('calls a message spam when rspamd answers "add header"', async (t) => {
    const running = await rspamd(t);
    if (!running) return;
    const result = await scannerFor(running, { reject_score: 15 }).scan(message({ subject: 'postern-test-spam offer' }), facts);
    assert.equal(result.status, 'spam', result.detail);
    assert.match(result.detail, /action "add header"/);
    assert.equal(result.score, 10);
    assert.ok(testsOf(result.headers).includes('POSTERN_TEST_SPAM'), result.headers);
  });

  it('calls an ordinary letter clean, flagged NO', async (t) => {
    const running = await rspamd(t);
    if (!running) return;
    const result = await scannerFor(running).scan(message(), facts);
    assert.equal(result.status, 'clean', result.detail);
    assert.match(result.detail, /action "no action"/);
    assert.equal(result.score, 0);
    assert.match(result.headers, /^X-Spam-Flag: NO\r\nX-Spam-Score: 0\.0\r\nX-Spam-Status: No, score=0\.0 required=15\.0 tests=/);
  });

  it('hands rspamd the client IP, HELO, envelope sender, each recipient, queue id, login and client host name', async (t) => {
    const running = await rspamd(t);
    if (!running) return;
    const result = await scannerFor(running).scan(message(), facts);
    const tests = testsOf(result.headers);
    for (const part of ['IP', 'HELO', 'FROM', 'RCPT', 'QUEUE_ID', 'USER', 'HOSTNAME']) {
      assert.ok(tests.includes(`POSTERN_SEEN_${part}`), `rspamd saw the ${part}: ${result.headers}`);
    }
  });

  it('scans mail from the null sender with no HELO and no login', async (t) => {
    const running = await rspamd(t);
    if (!running) return;
    const result = await scannerFor(running).scan(message(), { ...facts, from: '', helo: null, user: null, recipients: ['alice@example.com'] });
    assert.equal(result.status, 'clean', result.detail);
    const tests = testsOf(result.headers);
    assert.ok(!tests.includes('POSTERN_SEEN_FROM') && !tests.includes('POSTERN_SEEN_HELO') && !tests.includes('POSTERN_SEEN_USER'), result.headers);
  });

  it('passes a message over content_filter.max_size unscanned', async (t) => {
    const running = await rspamd(t);
    if (!running) return;
    const result = await scannerFor(running, { max_size: '1K' }).scan(Buffer.concat([letterOfSize(3000), gtubeMessage()]), facts);
    assert.equal(result.status, 'skipped');
    assert.equal(result.headers, '');
  });

  it('scans a 5 KB letter (timing reported)', async (t) => {
    const running = await rspamd(t);
    if (!running) return;
    const scanner = scannerFor(running);
    const letter = letterOfSize(5 * 1024);
    await scanner.scan(letter, facts);
    const runs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = process.hrtime.bigint();
      const result = await scanner.scan(letter, facts);
      runs.push(Number(process.hrtime.bigint() - started) / 1e6);
      assert.equal(result.status, 'clean', result.detail);
    }
    t.diagnostic(`rspamd scan of a ${letter.length}-byte letter: ${runs.map((ms) => ms.toFixed(1)).join(', ')} ms`);
  });
});
