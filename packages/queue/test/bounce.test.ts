// DSN composition (RFC 3464 in RFC 6522 multipart/report), checked by taking the message apart as a reader would.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildBounce, FULL_RETURN_LIMIT, type DsnRecipient, type DsnReport } from '../src/bounce.js';
import { wantsNotification } from '../src/dsn.js';
import { parseReport, statusGroups, type Part } from './bounce-parse.js';

const ORIGINAL = Buffer.from(
  [
    'From: Alice <alice@sender.test>',
    'To: Bob <bob@dest.test>',
    'Subject: Lunch on Friday?',
    'Message-ID: <lunch-1@sender.test>',
    '',
    'Shall we meet at noon?',
    '',
  ].join('\r\n'),
);

const ARRIVAL = new Date('2026-03-02T08:00:00Z');
const ATTEMPT = new Date('2026-03-02T08:00:05Z');
const NOW = new Date('2026-03-02T08:00:06Z');

function recipient(overrides: Partial<DsnRecipient> = {}): DsnRecipient {
  return {
    address: 'bob@dest.test',
    orcpt: 'rfc822;Bob@Dest.test',
    action: 'failed',
    status: '5.1.1',
    reply: '550 5.1.1 <bob@dest.test>: Recipient address rejected: User unknown',
    remoteMta: 'mx.dest.test',
    relay: 'mx.dest.test[127.0.0.5]:25',
    lastAttempt: ATTEMPT,
    willRetryUntil: null,
    ...overrides,
  };
}

function report(overrides: Partial<DsnReport> = {}): DsnReport {
  return {
    kind: 'failure',
    hostname: 'mail.sender.test',
    queueId: '0123456789abcdef01234567',
    sender: 'alice@sender.test',
    envid: 'lunch-envelope-1',
    ret: null,
    arrivalDate: ARRIVAL,
    recipients: [recipient()],
    original: ORIGINAL,
    date: NOW,
    ...overrides,
  };
}

describe('bounce composition (RFC 3464, RFC 6522)', () => {
  test('a failure DSN is a multipart/report from MAILER-DAEMON to the sender, auto-replied, with a notification, a delivery-status and the message', () => {
    const dsn = buildBounce(report());
    const { top, parts } = parseReport(dsn.message);
    assert.equal(top.headers.get('from'), 'Mail Delivery System <MAILER-DAEMON@mail.sender.test>');
    assert.equal(top.headers.get('to'), 'alice@sender.test');
    assert.equal(top.headers.get('subject'), 'Undelivered Mail Returned to Sender');
    assert.equal(top.headers.get('auto-submitted'), 'auto-replied');
    assert.equal(top.headers.get('date'), 'Mon, 2 Mar 2026 08:00:06 +0000');
    assert.match(top.headers.get('message-id') ?? '', /^<[^<>@\s]+@mail\.sender\.test>$/);
    assert.equal(top.headers.get('mime-version'), '1.0');
    assert.match(top.headers.get('content-type') ?? '', /^multipart\/report; report-type=delivery-status; boundary="/);
    assert.equal(parts.length, 3);

    const [human, status, returned] = parts as [Part, Part, Part];
    assert.match(human.headers.get('content-type') ?? '', /^text\/plain; charset=utf-8$/);
    assert.match(human.body, /<bob@dest\.test>:/);
    assert.match(human.body.replace(/\s+/g, ' '), /host mx\.dest\.test\[127\.0\.0\.5\]:25 said: 550 5\.1\.1 <bob@dest\.test>: Recipient address rejected: User unknown/);

    assert.equal(status.headers.get('content-type'), 'message/delivery-status');
    const [perMessage, perRecipient, ...more] = statusGroups(status.body);
    assert.equal(more.length, 0);
    assert.equal(perMessage?.get('reporting-mta'), 'dns; mail.sender.test');
    assert.equal(perMessage?.get('x-postern-queue-id'), '0123456789abcdef01234567');
    assert.equal(perMessage?.get('original-envelope-id'), 'lunch-envelope-1');
    assert.equal(perMessage?.get('arrival-date'), 'Mon, 2 Mar 2026 08:00:00 +0000');
    assert.equal(perRecipient?.get('final-recipient'), 'rfc822; bob@dest.test');
    assert.equal(perRecipient?.get('original-recipient'), 'rfc822; Bob@Dest.test');
    assert.equal(perRecipient?.get('action'), 'failed');
    assert.equal(perRecipient?.get('status'), '5.1.1');
    assert.equal(perRecipient?.get('remote-mta'), 'dns; mx.dest.test');
    assert.equal(perRecipient?.get('diagnostic-code'), 'smtp; 550 5.1.1 <bob@dest.test>: Recipient address rejected: User unknown');
    assert.equal(perRecipient?.get('last-attempt-date'), 'Mon, 2 Mar 2026 08:00:05 +0000');
    assert.equal(perRecipient?.has('will-retry-until'), false);

    assert.equal(returned.headers.get('content-type'), 'message/rfc822');
    assert.equal(returned.body, ORIGINAL.toString('utf8'), 'the original comes back byte for byte');
    assert.equal(dsn.returned, 'message');
    assert.equal(dsn.eightBit, false);
    assert.equal(dsn.smtputf8, false);
  });

  test('every line ends in CRLF and stays within 998 octets, also for a very long remote reply', () => {
    const reply = `550 5.7.1 ${'policy-words '.repeat(200)}end`;
    const dsn = buildBounce(report({ recipients: [recipient({ reply })] }));
    const text = dsn.message.toString('utf8');
    assert.equal(/[^\r]\n/.test(text), false, 'no bare LF');
    assert.equal(/\r[^\n]/.test(text), false, 'no bare CR');
    for (const line of text.split('\r\n')) assert.ok(Buffer.byteLength(line) <= 998, `line of ${Buffer.byteLength(line)} octets`);
    const { parts } = parseReport(dsn.message);
    const perRecipient = statusGroups(parts[1]?.body ?? '')[1];
    assert.equal(perRecipient?.get('diagnostic-code'), `smtp; ${reply}`, 'folded, the reply unfolds to what the remote said');
  });

  test('a CR LF in a remote reply cannot start a header of its own', () => {
    const dsn = buildBounce(report({ recipients: [recipient({ reply: '550 no\r\nBcc: victim@elsewhere.test\r\n\r\nInjected' })] }));
    const text = dsn.message.toString('utf8');
    assert.equal(/^Bcc:/im.test(text), false);
    const { parts } = parseReport(dsn.message);
    assert.equal(statusGroups(parts[1]?.body ?? '')[1]?.get('diagnostic-code'), 'smtp; 550 no Bcc: victim@elsewhere.test Injected');
  });

  test('RET=HDRS returns only the header, as text/rfc822-headers (RFC 3461 §4.3)', () => {
    const dsn = buildBounce(report({ ret: 'HDRS' }));
    const returned = parseReport(dsn.message).parts[2];
    assert.equal(returned?.headers.get('content-type'), 'text/rfc822-headers');
    assert.match(returned?.body ?? '', /^From: Alice <alice@sender\.test>\r\n/);
    assert.match(returned?.body ?? '', /Subject: Lunch on Friday\?\r\n/);
    assert.equal(returned?.body.includes('Shall we meet'), false);
    assert.equal(dsn.returned, 'headers');
  });

  test(`a message over ${FULL_RETURN_LIMIT / 1024 / 1024} MiB comes back as its header only`, () => {
    const big = Buffer.concat([ORIGINAL, Buffer.alloc(FULL_RETURN_LIMIT, 'x')]);
    const dsn = buildBounce(report({ original: big }));
    assert.equal(dsn.returned, 'headers');
    assert.ok(dsn.message.length < 10_000);
    assert.equal(parseReport(dsn.message).parts[2]?.headers.get('content-type'), 'text/rfc822-headers');
  });

  test('a delay warning says Delayed Mail, Action delayed with Will-Retry-Until, and returns the header only', () => {
    const until = new Date('2026-03-07T08:00:00Z');
    const dsn = buildBounce(
      report({
        kind: 'delay',
        recipients: [recipient({ action: 'delayed', status: '4.2.1', reply: '450 4.2.1 mailbox busy', willRetryUntil: until })],
      }),
    );
    const { top, parts } = parseReport(dsn.message);
    assert.equal(top.headers.get('subject'), 'Delayed Mail (still being retried)');
    assert.match(parts[0]?.body ?? '', /you do not need to send your message again/);
    const perRecipient = statusGroups(parts[1]?.body ?? '')[1];
    assert.equal(perRecipient?.get('action'), 'delayed');
    assert.equal(perRecipient?.get('status'), '4.2.1');
    assert.equal(perRecipient?.get('will-retry-until'), 'Sat, 7 Mar 2026 08:00:00 +0000');
    assert.equal(parts[2]?.headers.get('content-type'), 'text/rfc822-headers');
  });

  test('a success report says Successful Mail Delivery Report, Action delivered or relayed with 2.0.0, and returns the header only even with RET=FULL (RFC 3461 §4.3)', () => {
    const dsn = buildBounce(
      report({
        kind: 'success',
        ret: 'FULL',
        recipients: [
          recipient({ action: 'relayed', status: '2.0.0', reply: '250 2.0.0 Ok: queued as 4XYZ' }),
          recipient({ address: 'carol@local.test', orcpt: null, action: 'delivered', status: '2.0.0', reply: '250 2.1.5 <carol@local.test> delivered', remoteMta: '127.0.0.1', relay: 'lmtp[127.0.0.1:24]' }),
        ],
      }),
    );
    const { top, parts } = parseReport(dsn.message);
    assert.equal(top.headers.get('subject'), 'Successful Mail Delivery Report');
    assert.equal(top.headers.get('from'), 'Mail Delivery System <MAILER-DAEMON@mail.sender.test>');
    assert.equal(top.headers.get('auto-submitted'), 'auto-replied');
    assert.match(top.headers.get('content-type') ?? '', /^multipart\/report; report-type=delivery-status;/);
    const human = parts[0]?.body.replace(/\s+/g, ' ') ?? '';
    assert.match(human, /<bob@dest\.test>: relayed to mx\.dest\.test\[127\.0\.0\.5\]:25, which sends no delivery notifications; it said: 250 2\.0\.0 Ok: queued as 4XYZ/);
    assert.match(human, /<carol@local\.test>: delivered to the mailbox by lmtp\[127\.0\.0\.1:24\]: 250 2\.1\.5/);
    const [, relayed, delivered] = statusGroups(parts[1]?.body ?? '');
    assert.equal(relayed?.get('final-recipient'), 'rfc822; bob@dest.test');
    assert.equal(relayed?.get('original-recipient'), 'rfc822; Bob@Dest.test');
    assert.equal(relayed?.get('action'), 'relayed');
    assert.equal(relayed?.get('status'), '2.0.0');
    assert.equal(relayed?.get('remote-mta'), 'dns; mx.dest.test');
    assert.equal(relayed?.get('diagnostic-code'), 'smtp; 250 2.0.0 Ok: queued as 4XYZ');
    assert.equal(relayed?.has('will-retry-until'), false);
    assert.equal(delivered?.get('action'), 'delivered');
    assert.equal(delivered?.get('status'), '2.0.0');
    assert.equal(parts[2]?.headers.get('content-type'), 'text/rfc822-headers');
    assert.equal(parts[2]?.headers.get('content-description'), 'Delivered Message Headers');
    assert.equal(parts[2]?.body.includes('Shall we meet'), false, 'no body in a report without a failure');
    assert.equal(dsn.returned, 'headers');
  });

  test('a reason of our own (nothing answered) has no Remote-MTA and an X-Postern diagnostic', () => {
    const dsn = buildBounce(
      report({ recipients: [recipient({ reply: '5.4.4 no route to dest.test: null MX', status: '5.4.4', remoteMta: null, relay: null })] }),
    );
    const perRecipient = statusGroups(parseReport(dsn.message).parts[1]?.body ?? '')[1];
    assert.equal(perRecipient?.has('remote-mta'), false);
    assert.equal(perRecipient?.get('diagnostic-code'), 'X-Postern; 5.4.4 no route to dest.test: null MX');
  });

  test('several failed recipients get one group each, in order, and no Original-Envelope-Id without ENVID', () => {
    const dsn = buildBounce(
      report({
        envid: null,
        recipients: [recipient(), recipient({ address: 'carol@dest.test', orcpt: null, reply: '552 5.2.2 mailbox full', status: '5.2.2' })],
      }),
    );
    const groups = statusGroups(parseReport(dsn.message).parts[1]?.body ?? '');
    assert.equal(groups.length, 3);
    assert.equal(groups[0]?.has('original-envelope-id'), false);
    assert.equal(groups[1]?.get('final-recipient'), 'rfc822; bob@dest.test');
    assert.equal(groups[2]?.get('final-recipient'), 'rfc822; carol@dest.test');
    assert.equal(groups[2]?.has('original-recipient'), false);
    assert.equal(groups[2]?.get('status'), '5.2.2');
  });

  test('an internationalized recipient is reported as utf-8 in message/global-delivery-status (RFC 6533) and needs SMTPUTF8', () => {
    const dsn = buildBounce(report({ recipients: [recipient({ address: 'jörg@dest.test', orcpt: null })], originalUtf8: true }));
    const { top, parts } = parseReport(dsn.message);
    assert.match(top.headers.get('content-type') ?? '', /report-type=global-delivery-status/);
    assert.equal(parts[1]?.headers.get('content-type'), 'message/global-delivery-status');
    assert.equal(statusGroups(parts[1]?.body ?? '')[1]?.get('final-recipient'), 'utf-8; jörg@dest.test');
    assert.equal(dsn.smtputf8, true);
    assert.equal(dsn.eightBit, true);
  });

  test('an 8-bit original is returned with Content-Transfer-Encoding 8bit and the DSN asks for 8BITMIME', () => {
    const original = Buffer.from('Subject: caf\u00e9\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nna\u00efve\r\n', 'utf8');
    const dsn = buildBounce(report({ original }));
    const returned = parseReport(dsn.message).parts[2];
    assert.equal(returned?.headers.get('content-transfer-encoding'), '8bit');
    assert.equal(dsn.eightBit, true);
    assert.ok(dsn.message.includes(original), 'the 8-bit octets come back unchanged');
  });
});

describe('RFC 3461 NOTIFY', () => {
  const cases: [string[] | null, boolean, boolean, boolean][] = [
    // notify, FAILURE, DELAY, SUCCESS
    [null, true, true, false],
    [[], true, true, false],
    [['NEVER'], false, false, false],
    [['FAILURE'], true, false, false],
    [['delay'], false, true, false],
    [['SUCCESS', 'FAILURE'], true, false, true],
  ];
  for (const [notify, failure, delay, success] of cases) {
    test(`NOTIFY=${notify === null ? '(none)' : notify.join(',') || '(empty)'} asks for failure ${failure}, delay ${delay}, success ${success}`, () => {
      assert.equal(wantsNotification(notify, 'FAILURE'), failure);
      assert.equal(wantsNotification(notify, 'DELAY'), delay);
      assert.equal(wantsNotification(notify, 'SUCCESS'), success);
    });
  }
});
