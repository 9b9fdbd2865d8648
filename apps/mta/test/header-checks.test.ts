// header_checks(5) / body_checks and their regexp_table(5) format: parsing (flags, negation,
// if..endif, continuation lines, comments, $n substitution, errors by file:line), the
// filter over a message in any chunking, and — when Debian's postfix is installed — the
// same answers as `postmap -q - regexp:FILE` for a table of header lines.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { validateConfig } from '@postern/config';
import { requireTool, runTool } from '../../../test/support/tools.js';
import { ContentChecksFilter } from '../src/cleanup/checks-filter.js';
import { compileContentChecks, type ContentChecks } from '../src/cleanup/content-checks.js';
import { lookupRegexpTable, parseRegexpTable } from '../src/cleanup/regexp-table.js';

const dir = mkdtempSync(join(tmpdir(), 'postern-header-checks-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const accept = (): void => {};
const lookup = (table: string, input: string): string | null => lookupRegexpTable(parseRegexpTable(table, 't', accept), input)?.result ?? null;

// The Postfix-format table the conformance test and the filter tests share.
const TABLE = `# The guides' header_checks, as Postfix reads them.
/^Received:.*with ESMTPSA/   IGNORE
/^Subject:.*viagra/          REJECT 5.7.1 no pills here
/^(X-Mailer): (.*)$/         REPLACE \${1}: hidden ($2)
/^X-Spam-Flag: YES/          HOLD spam to look at
/^X-Junk:/                   DISCARD junk
/^X-Warn-Me:/                WARN looks odd
/^X-Case:/i                  PREPEND X-Seen: case-sensitive
/^X-Multi: first
  line/                      INFO continued pattern
if /^From:/
!/@example\\.(com|org)>?$/    WARN foreign sender
endif
/^Reply-To:.*[[:digit:]]{3}/ PREPEND X-Numeric-Reply-To: yes
`;

describe('regexp_table(5) as header_checks reads it', () => {
  it('matches case-insensitively by default; the i flag makes it case-sensitive', () => {
    assert.equal(lookup('/^subject: hi/ WARN x\n', 'Subject: HI'), 'WARN x');
    assert.equal(lookup('/^subject: hi/i WARN x\n', 'Subject: HI'), null);
  });

  it('a negated pattern matches what the pattern does not; if..endif nests', () => {
    const table = 'if /^From:/\nif !/example\\.org/\n/./ REJECT outsider\nendif\nendif\n';
    assert.equal(lookup(table, 'From: a@example.net'), 'REJECT outsider');
    assert.equal(lookup(table, 'From: a@example.org'), null);
    assert.equal(lookup(table, 'To: a@example.net'), null);
  });

  it('substitutes $1, ${1}, $(1) and $$', () => {
    assert.equal(lookup('/^(X-[a-z]+): (.*)/ REPLACE $1 ${2}$(2) $$\n', 'X-Foo: bar'), 'REPLACE X-Foo barbar $');
  });

  it('without m, "." matches the newline of a folded header (POSIX regexec without REG_NEWLINE)', () => {
    assert.equal(lookup('/^Subject: a.b$/ WARN folded\n', 'Subject: a\nb'), 'WARN folded');
    assert.equal(lookup('/^b$/m WARN line\n', 'Subject: a\nb'), 'WARN line');
  });

  it('accepts any non-alphanumerical delimiter and a backslash-escaped one inside', () => {
    assert.equal(lookup('#comment\n\n%^X-Path: /a\\%b% WARN ok\n', 'X-Path: /a%b'), 'WARN ok');
  });

  it('refuses a bad line naming file:line', () => {
    assert.throws(() => parseRegexpTable('\n/ok/ DUNNO\n/unclosed DUNNO\n', 'hc', accept), /^Error: hc:3: the pattern has no closing \//);
    assert.throws(() => parseRegexpTable('/a(/ DUNNO\n', 'hc', accept), /hc:1: bad regular expression/);
    assert.throws(() => parseRegexpTable('/a/q DUNNO\n', 'hc', accept), /hc:1: unknown flag "q"/);
    assert.throws(() => parseRegexpTable('if /a/\n/b/ DUNNO\n', 'hc', accept), /hc:1: if without endif/);
    assert.throws(() => parseRegexpTable('/a/\n', 'hc', accept), /hc:1: the pattern has no result/);
  });

  it('a bad action is a config error naming the key and file:line', () => {
    const bad = file('bad-action', '/^Subject:/ WARN fine\n/^X:/ REDIRECT a@b\n');
    assert.throws(() => compileContentChecks(validateConfig({ hostname: 'mx.example.com', smtpd: { header_checks: bad } }, 't.toml')), /smtpd\.header_checks: .*bad-action:2: action REDIRECT is not supported/);
    const noField = file('bad-prepend', '/^Subject:/ PREPEND not a header\n');
    assert.throws(() => compileContentChecks(validateConfig({ hostname: 'mx.example.com', smtpd: { header_checks: noField } }, 't.toml')), /bad-prepend:1: PREPEND "not a header": the text must be a header field/);
    assert.throws(() => compileContentChecks(validateConfig({ hostname: 'mx.example.com', smtpd: { body_checks: join(dir, 'missing') } }, 't.toml')), /smtpd\.body_checks: .*missing: cannot read it: ENOENT/);
  });
});

const HEADERS = [
  'Received: from laptop (x [192.0.2.1]) by mx.example.com (Postern) with ESMTPSA id abc',
  'Received: from mx.other.test by mx.example.com with ESMTP id def',
  'Subject: cheap VIAGRA',
  'Subject: meeting',
  'X-Mailer: Thunderbird 115',
  'X-Spam-Flag: YES',
  'X-Junk: 1',
  'X-Warn-Me: please',
  'X-Case: x',
  'x-case: x',
  'From: Alice <alice@example.com>',
  'From: Mallory <m@evil.test>',
  'To: bob@example.org',
  'Reply-To: r123@example.net',
  'Reply-To: r@example.net',
];

describe('the same answers as Postfix (postmap -q - regexp:FILE)', () => {
  it('agrees on every header line of the table', async (t) => {
    const postmap = requireTool(t, 'postmap', 'postfix');
    if (!postmap) return;
    const path = file('header_checks', TABLE);
    // postmap needs a main.cf; an empty one in a config dir of its own leaves the system's alone.
    const configDir = mkdtempSync(join(dir, 'postfix-'));
    writeFileSync(join(configDir, 'main.cf'), '');
    const result = await runTool(postmap, ['-c', configDir, '-q', '-', `regexp:${path}`], { input: `${HEADERS.join('\n')}\n` });
    assert.ok(result.code === 0 || result.code === 1, result.stderr);
    const postfix = new Map(result.stdout.split('\n').filter(Boolean).map((line) => line.split('\t') as [string, string]));
    const rules = parseRegexpTable(TABLE, path, accept);
    for (const header of HEADERS) assert.equal(lookupRegexpTable(rules, header)?.result ?? null, postfix.get(header) ?? null, header);
    assert.ok(postfix.size >= 9, `postmap matched ${postfix.size} lines`);
  });
});

async function filter(checks: ContentChecks, message: string, chunkSize: number): Promise<{ text: string; filter: ContentChecksFilter }> {
  const stream = new ContentChecksFilter(checks);
  const out: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => out.push(chunk));
  const done = new Promise((resolve) => stream.on('end', resolve));
  const chunks = message.match(new RegExp(`[\\s\\S]{1,${chunkSize}}`, 'g')) ?? [];
  Readable.from(chunks.map((chunk) => Buffer.from(chunk))).pipe(stream);
  await done;
  return { text: Buffer.concat(out).toString(), filter: stream };
}

describe('ContentChecksFilter', () => {
  const checks = (): ContentChecks =>
    compileContentChecks(
      validateConfig(
        { hostname: 'mx.example.com', smtpd: { header_checks: file('hc', TABLE), body_checks: file('bc', '/^secret: (.*)/ REPLACE [redacted]\n/^drop me/ IGNORE\n/^tag me/ PREPEND [tagged]\n/^bad word/ REJECT no bad words\n') } },
        't.toml',
      ),
    )!;

  it('applies the header actions once per logical field, in any chunking', async () => {
    const message =
      'Received: from laptop by mx with ESMTPSA id 1\r\n\tfor <a@b>\r\nSubject: hello\r\nX-Mailer: Foo\r\n 2.0\r\nX-Warn-Me: yes\r\nX-Case: x\r\n\r\nbody\r\n';
    for (const size of [1, 4, 17, 10_000]) {
      const { text, filter: f } = await filter(checks(), message, size);
      assert.equal(text, 'Subject: hello\r\nX-Mailer: hidden (Foo\n 2.0)\r\nX-Warn-Me: yes\r\nX-Seen: case-sensitive\r\nX-Case: x\r\n\r\nbody\r\n', `chunks of ${size}`);
      assert.deepEqual(f.events.map((e) => e.action), ['replace', 'warn', 'prepend']);
      assert.equal(f.reject, null);
    }
  });

  it('REJECT, HOLD and DISCARD are outcomes for the end of DATA; REJECT ends the inspection', async () => {
    const rejected = await filter(checks(), 'Subject: cheap viagra\r\nX-Junk: 1\r\n\r\nx\r\n', 5);
    assert.deepEqual(rejected.filter.reject, { enhanced: '5.7.1', text: 'no pills here' });
    assert.equal(rejected.filter.discard, null, 'no inspection after REJECT');
    const held = await filter(checks(), 'X-Spam-Flag: YES\r\nSubject: x\r\n\r\nx\r\n', 3);
    assert.equal(held.filter.hold, 'spam to look at');
    const discarded = await filter(checks(), 'X-Junk: 1\r\n\r\nx\r\n', 3);
    assert.equal(discarded.filter.discard, 'junk');
  });

  it('body_checks see each body line, never the header', async () => {
    const message = 'Subject: drop me\r\n\r\nsecret: 1234\r\ndrop me\r\ntag me\r\nkeep me\r\nlast line without CRLF';
    for (const size of [1, 6, 10_000]) {
      const { text } = await filter(checks(), message, size);
      assert.equal(text, 'Subject: drop me\r\n\r\n[redacted]\r\n[tagged]\r\ntag me\r\nkeep me\r\nlast line without CRLF', `chunks of ${size}`);
    }
    const rejected = await filter(checks(), 'Subject: x\r\n\r\nfine\r\nbad word here\r\n', 4);
    assert.deepEqual(rejected.filter.reject, { enhanced: '5.7.1', text: 'no bad words' });
  });

  it('inspects the body only up to body_checks_size_limit (51200 bytes)', async () => {
    const filler = 'x'.repeat(98) + '\r\n';
    const message = `Subject: big\r\n\r\n${filler.repeat(600)}bad word late\r\n`;
    const { filter: f, text } = await filter(checks(), message, 4096);
    assert.equal(f.reject, null);
    assert.equal(text, message);
  });
});
