// Scripts from real use (Roundcube's managesieve plugin, list filing, spam score, vacation) with asserted actions.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileSieve, runSieve, SIEVE_CAPABILITIES, SPAM_TO_JUNK_SCRIPT, type SieveAction } from '../src/index.js';
import { actions, compile, ENVELOPE, fileinto, KEEP, message } from './fixtures.js';

const USER = 'roadrunner@acme.example.com';
const toUser = (extra: string[] = []) => message([`From: Coyote <coyote@desert.example.org>`, `To: Road Runner <${USER}>`, 'Subject: Lunch?', ...extra]);

describe('the spam rule (SPAM_TO_JUNK_SCRIPT)', () => {
  it('files the topmost X-Spam-Flag: YES into Junk, as the mailstore did', () => {
    assert.deepEqual(actions(SPAM_TO_JUNK_SCRIPT, { message: message(['X-Spam-Flag: YES', 'Subject: buy']) }), [fileinto('Junk')]);
    assert.deepEqual(actions(SPAM_TO_JUNK_SCRIPT, { message: message(['X-Spam-Flag:   yes  ', 'Subject: buy']) }), [fileinto('Junk')]);
  });
  it('keeps mail whose topmost flag is NO even if the sender wrote YES below it', () => {
    assert.deepEqual(actions(SPAM_TO_JUNK_SCRIPT, { message: message(['X-Spam-Flag: NO', 'X-Spam-Flag: YES']) }), [KEEP]);
    assert.deepEqual(actions(SPAM_TO_JUNK_SCRIPT, { message: message(['Subject: hi']) }), [KEEP]);
  });
});

describe('Roundcube managesieve-generated scripts', () => {
  const roundcube = `require ["fileinto","imap4flags","vacation","copy","reject","relational","comparator-i;ascii-numeric"];
# rule:[Newsletters]
if anyof (header :contains "from" "newsletter@", header :contains "subject" "[Newsletter]")
{
\tfileinto "Newsletters";
\tstop;
}
# rule:[Boss]
if allof (address :is "from" "boss@acme.example.com", not header :contains "subject" "fyi")
{
\taddflag "\\\\Flagged";
\tfileinto :copy "Boss";
}
# rule:[spam score]
if header :value "ge" :comparator "i;ascii-numeric" "x-spam-score" "10"
{
\tdiscard;
\tstop;
}
`;
  it('compiles', () => assert.ok(compile(roundcube)));
  it('files a newsletter and stops', () => {
    assert.deepEqual(actions(roundcube, { message: message(['From: newsletter@shop.example', 'Subject: deals']) }), [fileinto('Newsletters')]);
  });
  it('flags and copies the boss, keeping the original flagged', () => {
    assert.deepEqual(actions(roundcube, { message: message(['From: The Boss <boss@acme.example.com>', 'Subject: meeting']) }), [
      { type: 'keep', flags: ['\\Flagged'] },
      fileinto('Boss', { flags: ['\\Flagged'], copy: true }),
    ]);
  });
  it('discards a score of 12 but not of 9', () => {
    assert.deepEqual(actions(roundcube, { message: message(['From: x@y.example', 'X-Spam-Score: 12']) }), [{ type: 'discard' }]);
    assert.deepEqual(actions(roundcube, { message: message(['From: x@y.example', 'X-Spam-Score: 9']) }), [KEEP]);
  });
});

describe('mailing lists filed by List-Id with variables', () => {
  const script = `require ["fileinto","mailbox","variables"];
if header :matches "List-Id" "*<*.*>*" {
  set :lower "list" "\${2}";
  fileinto :create "Lists/\${list}";
}`;
  it('files into a folder named from the List-Id', () => {
    assert.deepEqual(actions(script, { message: message(['List-Id: Postern Users <Postern-Users.lists.example.org>']) }), [fileinto('Lists/postern-users', { create: true })]);
  });
  it('keeps mail without a List-Id', () => {
    assert.deepEqual(actions(script, { message: toUser() }), [KEEP]);
  });
});

describe('vacation (RFC 5230)', () => {
  const script = `require ["vacation"];
vacation :days 14 :subject "Out of office" :from "Road Runner <${USER}>" :addresses ["rr@acme.example.com"] :handle "ooo-2026"
"I am away until January.";`;
  const expected = (extra: Partial<Extract<SieveAction, { type: 'vacation' }>> = {}): SieveAction[] => [
    KEEP,
    {
      type: 'vacation',
      replyTo: 'coyote@desert.example.org',
      from: `Road Runner <${USER}>`,
      subject: 'Out of office',
      reason: 'I am away until January.',
      mime: false,
      handle: 'ooo-2026',
      periodSeconds: 14 * 86400,
      ...extra,
    },
  ];
  it('answers a personal message, leaving the implicit keep', () => {
    assert.deepEqual(actions(script, { message: toUser(), userAddresses: [USER] }), expected());
  });
  it('answers mail to an :addresses alias in Cc', () => {
    const m = message(['From: coyote@desert.example.org', 'To: someone@else.example', 'Cc: rr@acme.example.com']);
    assert.deepEqual(actions(script, { message: m, envelope: { ...ENVELOPE, to: 'other@acme.example.com' } }), expected());
  });
  it('§4.5: never answers mail not addressed to the user (Bcc-less list copy)', () => {
    const m = message(['From: coyote@desert.example.org', 'To: all@desert.example.org']);
    assert.deepEqual(actions(script, { message: m }), [KEEP]);
  });
  const refused: [string, string[], string?][] = [
    ['the null sender', [], ''],
    ['MAILER-DAEMON', [], 'MAILER-DAEMON@desert.example.org'],
    ['owner-* senders', [], 'owner-acme@lists.example.org'],
    ['*-request senders', [], 'acme-request@lists.example.org'],
    ['Auto-Submitted: auto-replied', ['Auto-Submitted: auto-replied']],
    ['Precedence: bulk', ['Precedence: bulk']],
    ['Precedence: list', ['Precedence: list']],
    ['Precedence: junk', ['Precedence: junk']],
    ['List-Id', ['List-Id: <acme.lists.example.org>']],
    ['List-Unsubscribe', ['List-Unsubscribe: <mailto:leave@lists.example.org>']],
  ];
  for (const [what, headers, sender] of refused) {
    it(`§4.6: never answers ${what}`, () => {
      const envelope = { ...ENVELOPE, from: sender ?? ENVELOPE.from };
      assert.deepEqual(actions(script, { message: toUser(headers), envelope, userAddresses: [USER] }), [KEEP]);
    });
  }
  it('answers Auto-Submitted: no', () => {
    assert.equal(actions(script, { message: toUser(['Auto-Submitted: no']), userAddresses: [USER] }).length, 2);
  });
  it('§4.1: :days defaults to 7 and is at least 1; default subject "Auto: …"; default handle is stable', () => {
    const plain = (days: string) => actions(`require "vacation"; vacation ${days} "away";`, { message: toUser(), userAddresses: [USER] })[1] as Extract<SieveAction, { type: 'vacation' }>;
    assert.equal(plain('').periodSeconds, 7 * 86400);
    assert.equal(plain(':days 0').periodSeconds, 86400);
    assert.equal(plain('').subject, 'Auto: Lunch?');
    assert.equal(plain('').handle, plain('').handle);
    assert.notEqual(plain('').handle, (actions('require "vacation"; vacation "back soon";', { message: toUser(), userAddresses: [USER] })[1] as { handle: string }).handle);
  });
  it('RFC 6131: :seconds', () => {
    const a = actions('require ["vacation","vacation-seconds"]; vacation :seconds 3600 "away";', { message: toUser(), userAddresses: [USER] })[1];
    assert.equal((a as { periodSeconds: number }).periodSeconds, 3600);
  });
});

describe('capabilities', () => {
  it('every advertised capability can be required', () => {
    const result = compileSieve(`require [${SIEVE_CAPABILITIES.map((c) => `"${c}"`).join(',')}];`);
    assert.equal(result.ok, true);
  });
  it('runSieve never throws on a compiled script, whatever the message', () => {
    const script = compile('require ["body","variables"]; if body :matches "*${x}*" { keep; }');
    assert.deepEqual(runSieve(script, { message: Buffer.from('no header separator at all'), envelope: ENVELOPE }).actions, [KEEP]);
  });
});
