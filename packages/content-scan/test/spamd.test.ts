// The spamd scanner against a real SpamAssassin spamd (Debian spamassassin), over the spamc protocol.
import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import { validateConfig } from '@postern/config';
import { createContentScanner, type ContentScanner, type ScanFacts } from '../src/index.js';
import { requireTool } from '../../../test/support/tools.js';
import { startSpamd, type Daemon } from './daemons.js';
import { gtubeMessage, letterOfSize, message } from './messages.js';

const facts: ScanFacts = {
  ip: '192.0.2.7',
  helo: 'mx.remote.example',
  from: 'sam@remote.example',
  recipients: ['alice@example.com'],
  hostname: 'mx.remote.example',
  queueId: '4XyZ1a2B3c',
  user: null,
};

let daemon: Promise<Daemon> | null = null;

/** The file's one spamd, started by the first test that needs it; null (skipped) when spamd is not installed. */
async function spamd(t: TestContext): Promise<Daemon | null> {
  const path = requireTool(t, 'spamd', 'spamd');
  if (!path) return null;
  daemon ??= startSpamd(path).then((running) => {
    t.diagnostic(`spamd on ${running.address}, accepting connections ${running.startupMs} ms after start`);
    return running;
  });
  return daemon;
}

function scannerFor(running: Daemon, settings: Record<string, unknown> = {}): ContentScanner {
  const config = validateConfig({ hostname: 'mail.example.com', content_filter: { scanner: 'spamd', address: running.address, ...settings } }, 'test config');
  const scanner = createContentScanner(config);
  assert.ok(scanner);
  return scanner;
}

describe('spamd scanner (real spamd)', () => {
  after(async () => {
    // A daemon that failed to start has already cleaned up after itself (and failed its test).
    await (await daemon?.catch(() => null))?.stop();
  });

  it('calls the GTUBE message spam with a score of at least 1000 and SpamAssassin-style headers', async (t) => {
    const running = await spamd(t);
    if (!running) return;
    const result = await scannerFor(running).scan(gtubeMessage(), facts);
    assert.equal(result.status, 'spam', result.detail);
    t.diagnostic(result.detail);
    assert.ok(result.score !== null && result.score >= 1000, `score ${result.score}`);
    assert.equal(result.threshold, 5);
    assert.match(result.headers, /^X-Spam-Flag: YES\r\nX-Spam-Score: \d{4,}\.\d\r\nX-Spam-Status: Yes, score=\d{4,}\.\d required=5\.0 tests=/);
    assert.match(result.headers, /GTUBE/);
    assert.ok(result.headers.endsWith('\r\n'));
    for (const line of result.headers.split('\r\n')) assert.ok(line.length <= 78, `folded: ${JSON.stringify(line)}`);
    assert.match(result.detail, /^spamd 127\.0\.0\.1:\d+: spam \(Spam: True, score \d+\.\d\/5\.0\) tests=.*GTUBE/);
  });

  it('calls an ordinary letter clean, flagged NO, with its score below the threshold', async (t) => {
    const running = await spamd(t);
    if (!running) return;
    const result = await scannerFor(running).scan(message(), facts);
    assert.equal(result.status, 'clean', result.detail);
    assert.ok(result.score !== null && result.score < 5, `score ${result.score}`);
    assert.match(result.headers, /^X-Spam-Flag: NO\r\nX-Spam-Score: -?\d+\.\d\r\nX-Spam-Status: No, score=-?\d+\.\d required=5\.0 tests=\S+\r\n$/);
  });

  it('refuses at or above content_filter.reject_score', async (t) => {
    const running = await spamd(t);
    if (!running) return;
    const result = await scannerFor(running, { reject_score: 15 }).scan(gtubeMessage(), facts);
    assert.equal(result.status, 'reject', result.detail);
    assert.match(result.headers, /^X-Spam-Flag: YES\r\n/);
    assert.match(result.detail, /at or above reject_score 15/);
    const clean = await scannerFor(running, { reject_score: 15 }).scan(message(), facts);
    assert.equal(clean.status, 'clean', clean.detail);
  });

  it('sends the login as the spamc User and still gets a verdict', async (t) => {
    const running = await spamd(t);
    if (!running) return;
    const result = await scannerFor(running).scan(gtubeMessage(), { ...facts, user: 'alice@example.com' });
    assert.equal(result.status, 'spam', result.detail);
  });

  it('passes a message over content_filter.max_size unscanned', async (t) => {
    const running = await spamd(t);
    if (!running) return;
    const big = letterOfSize(3000);
    const result = await scannerFor(running, { max_size: '1K' }).scan(Buffer.concat([big, gtubeMessage()]), facts);
    assert.equal(result.status, 'skipped');
    assert.equal(result.headers, '');
    assert.equal(result.score, null);
    assert.match(result.detail, /over content_filter\.max_size 1024/);
  });

  it('scans a 5 KB letter (timing reported)', async (t) => {
    const running = await spamd(t);
    if (!running) return;
    const scanner = scannerFor(running);
    const letter = letterOfSize(5 * 1024);
    assert.ok(letter.length > 4.5 * 1024 && letter.length < 5.5 * 1024, `${letter.length} bytes`);
    await scanner.scan(letter, facts);
    const runs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = process.hrtime.bigint();
      const result = await scanner.scan(letter, facts);
      runs.push(Number(process.hrtime.bigint() - started) / 1e6);
      assert.equal(result.status, 'clean', result.detail);
    }
    t.diagnostic(`spamd scan of a ${letter.length}-byte letter: ${runs.map((ms) => ms.toFixed(1)).join(', ')} ms`);
  });
});
