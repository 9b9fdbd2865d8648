// header_checks and body_checks from a Postfix-format file, through `postern start` and
// swaks: each action as a sender and the mailbox see it, HOLD through `postern queue`,
// and a bad line refused at `postern reload` naming file:line.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findTool, requireTool } from '../support/tools.js';
import { startMtaInstance, type MtaInstance } from './instance.js';
import { swaks } from './tools.js';

// As a Postfix admin writes it (header_checks(5), regexp_table(5)): comments, a continued line, if..endif.
const HEADER_CHECKS = `# /etc/postfix/header_checks
/^X-Remove-Me:/            IGNORE
/^(X-Mailer): (.*)$/       REPLACE \${1}: hidden ($2)
/^Subject:.*\\bviagra\\b/   REJECT 5.7.1 no pills here
/^X-Suspicious:/           WARN suspicious header
/^X-Tag-Me:/               PREPEND X-Tagged: yes
/^X-Hold-Me: yes/          HOLD
  spam to look at
/^X-Junk:/                 DISCARD junk mail
if /^Subject:/
/^Subject: \\[ok\\]/         OK
endif
`;
const BODY_CHECKS = `/^password: /   REPLACE password: [removed]
/^BEGIN MALWARE/  REJECT malware in the body
`;

describe('header_checks and body_checks through postern start (sqlite)', { timeout: 180_000 }, () => {
  let mta: MtaInstance | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'postern-checks-'));
  const headerChecks = join(dir, 'header_checks');
  before(async () => {
    if (!findTool('swaks')) return;
    writeFileSync(headerChecks, HEADER_CHECKS);
    writeFileSync(join(dir, 'body_checks'), BODY_CHECKS);
    mta = await startMtaInstance('sqlite', { settings: [['smtpd.header_checks', JSON.stringify(headerChecks)], ['smtpd.body_checks', JSON.stringify(join(dir, 'body_checks'))]] });
    await mta.addUser('alice@example.com', 'pw');
  });
  after(async () => {
    await mta?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const send = (subject: string, extra: string[] = [], body = 'Hello.') =>
    swaks(mta!.ports.smtp, ['--from', 'sender@other.test', '--to', 'alice@example.com', '--local-interface', '127.0.0.2', '--header', `Subject: ${subject}`, ...extra.flatMap((h) => ['--header', h]), '--body', body]);
  const headerOf = (raw: string): string => raw.slice(0, raw.indexOf('\r\n\r\n') + 2);

  it('IGNORE, REPLACE (with $1/$2), PREPEND and body REPLACE rewrite the delivered message', async (t) => {
    if (!requireTool(t, 'swaks', 'swaks') || !mta) return;
    const result = await send('rewritten', ['X-Remove-Me: secret', 'X-Mailer: Foo 1.0', 'X-Tag-Me: 1'], 'first line\npassword: hunter2\nlast line');
    assert.equal(result.code, 0, result.transcript);
    const [message] = await mta.waitForInbox('alice@example.com', 1);
    const header = headerOf(message!.raw);
    assert.doesNotMatch(header, /X-Remove-Me/);
    assert.match(header, /^X-Mailer: hidden \(Foo 1\.0\)\r$/m);
    assert.match(header, /^X-Tagged: yes\r\nX-Tag-Me: 1\r$/m);
    assert.match(message!.raw, /\r\npassword: \[removed\]\r\n/);
    assert.doesNotMatch(message!.raw, /hunter2/);
  });

  it('REJECT answers 550 5.7.1 with the text at the end of DATA, and queues nothing', async (t) => {
    if (!requireTool(t, 'swaks', 'swaks') || !mta) return;
    const before = (await mta.inbox('alice@example.com')).length;
    const result = await send('cheap viagra');
    assert.match(result.transcript, /<\*\* 550 5\.7\.1 no pills here/, result.transcript);
    const body = await send('fine', [], 'BEGIN MALWARE\nxx');
    assert.match(body.transcript, /<\*\* 550 5\.7\.1 malware in the body/, body.transcript);
    const logged = await mta.waitForLog((line) => line.event === 'header_checks' && line.action === 'reject');
    assert.match(String(logged.msg), /reject: header Subject: cheap viagra from unknown\[127\.0\.0\.2\]; from=<sender@other\.test> to=<alice@example\.com>: 5\.7\.1 no pills here/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal((await mta.inbox('alice@example.com')).length, before);
  });

  it('WARN logs the header and delivers; an OK inside if..endif ends the lookup', async (t) => {
    if (!requireTool(t, 'swaks', 'swaks') || !mta) return;
    const before = (await mta.inbox('alice@example.com')).length;
    assert.equal((await send('[ok] warned', ['X-Suspicious: 1'])).code, 0);
    const warned = await mta.waitForLog((line) => line.event === 'header_checks' && line.action === 'warn');
    assert.equal(warned.text, 'suspicious header');
    assert.match(String(warned.rule), /header_checks:5$/);
    assert.equal((await mta.waitForInbox('alice@example.com', before + 1)).length, before + 1);
  });

  it('DISCARD answers 250 and drops the message, with a log line', async (t) => {
    if (!requireTool(t, 'swaks', 'swaks') || !mta) return;
    const before = (await mta.inbox('alice@example.com')).length;
    const result = await send('discarded', ['X-Junk: yes']);
    assert.equal(result.code, 0, result.transcript);
    assert.match(result.transcript, /<- {2}250 2\.0\.0 Ok: queued as/);
    const logged = await mta.waitForLog((line) => line.event === 'header_checks' && line.action === 'discard');
    assert.equal(logged.text, 'junk mail');
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal((await mta.inbox('alice@example.com')).length, before);
  });

  it('HOLD queues the message on hold: `postern queue list` shows it, `postern queue release` delivers it', async (t) => {
    if (!requireTool(t, 'swaks', 'swaks') || !mta) return;
    const before = (await mta.inbox('alice@example.com')).length;
    const result = await send('held', ['X-Hold-Me: yes']);
    assert.equal(result.code, 0, result.transcript);
    const queueId = /queued as (\S+)/.exec(result.transcript)?.[1];
    assert.ok(queueId, result.transcript);
    const listed = await mta.instance.run(['queue', 'list']);
    // mailq's mark of the hold queue: "!" after the id.
    assert.match(listed.stdout, new RegExp(`^${queueId}!`, 'm'), listed.stdout);
    const shown = await mta.instance.run(['queue', 'show', queueId]);
    assert.match(shown.stdout, /on hold/, shown.stdout);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal((await mta.inbox('alice@example.com')).length, before, 'held, not delivered');
    const released = await mta.instance.run(['queue', 'release', queueId]);
    assert.equal(released.code, 0, released.stderr);
    // The runner finds the released entry at its next scan (queue.queue_run_delay).
    const delivered = (await mta.waitForInbox('alice@example.com', before + 1, 30_000)).length;
    assert.equal(delivered, before + 1, JSON.stringify(mta.logLines().filter((l) => l.queue_id === queueId)));
  });

  // Postfix's cleanup serves pickup as it serves smtpd: local submissions meet the same tables.
  it('`postern sendmail` meets the same tables: REJECT fails with the text and queues nothing, DISCARD exits 0 and drops it, HOLD queues it on hold, a rewrite arrives rewritten', async (t) => {
    if (!requireTool(t, 'swaks', 'swaks') || !mta) return;
    const sendmail = (headers: string, body = 'Hello.') => mta!.instance.run(['sendmail', 'alice@example.com'], { input: `${headers}

${body}
` });
    const before = (await mta.inbox('alice@example.com')).length;
    const queued = async (): Promise<string[]> => (await mta!.instance.run(['queue', 'list'])).stdout.split('\n').filter((line) => /^[0-9a-z]+[!*]?\s+\d+\s/i.test(line));
    // The HOLD test's released entry leaves the queue just after its delivery: wait for it to go.
    for (let i = 0; i < 100 && (await queued()).length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    const queuedBefore = (await queued()).length;

    const rejected = await sendmail('Subject: cheap viagra');
    assert.equal(rejected.code, 1, rejected.stderr);
    assert.match(rejected.stderr, /message content rejected: 5\.7\.1 no pills here: not sent/);
    const rejectedBody = await sendmail('Subject: local', 'BEGIN MALWARE\nxx');
    assert.match(rejectedBody.stderr, /message content rejected: 5\.7\.1 malware in the body/);

    const discarded = await sendmail('Subject: local discard\nX-Junk: yes');
    assert.equal(discarded.code, 0, discarded.stderr);

    const held = await sendmail('Subject: local hold\nX-Hold-Me: yes');
    assert.equal(held.code, 0, held.stderr);
    const heldEntries = (await queued()).filter((line) => /^[0-9a-z]+!/i.test(line));
    assert.equal((await queued()).length, queuedBefore + 1, `only the held message is queued: ${(await mta.instance.run(['queue', 'list'])).stdout}`);
    assert.equal(heldEntries.length, 1, (await queued()).join('\n'));

    const rewritten = await sendmail('Subject: local rewrite\nX-Remove-Me: secret', 'password: hunter2');
    assert.equal(rewritten.code, 0, rewritten.stderr);
    const inbox = await mta.waitForInbox('alice@example.com', before + 1);
    assert.equal(inbox.length, before + 1, 'only the rewritten message is delivered');
    const message = inbox.at(-1)!;
    assert.match(message.raw, /\r\nSubject: local rewrite\r\n/);
    assert.doesNotMatch(headerOf(message.raw), /X-Remove-Me/);
    assert.match(message.raw, /\r\npassword: \[removed\]\r\n/);
    const heldId = /^([0-9a-z]+)!/i.exec(heldEntries[0]!)![1]!;
    assert.equal((await mta.instance.run(['queue', 'delete', heldId])).code, 0);
  });

  it('a bad line is refused at `postern reload`, naming file:line, and the running tables stay', async (t) => {
    if (!requireTool(t, 'swaks', 'swaks') || !mta) return;
    writeFileSync(headerChecks, `${HEADER_CHECKS}/^X-Broken:/ FROBNICATE\n`);
    const reload = await mta.instance.run(['reload']);
    assert.equal(reload.code, 1);
    assert.match(reload.stderr, /smtpd\.header_checks: .*header_checks:13: unknown action "FROBNICATE"/);
    writeFileSync(headerChecks, HEADER_CHECKS);
    assert.match((await send('cheap viagra')).transcript, /<\*\* 550 5\.7\.1 no pills here/);
  });
});
