// The examples of RFC 5228 and its extensions, run against fixture messages with the actions they describe.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { actions, COYOTE, ENVELOPE, fileinto, KEEP, message, run } from './fixtures.js';

describe('RFC 5228 base examples', () => {
  it('§2.10.2: a script with no action keeps the message (implicit keep)', () => {
    assert.deepEqual(actions('', { message: COYOTE }), [KEEP]);
    assert.deepEqual(actions('# nothing to do\r\n/* really */', { message: COYOTE }), [KEEP]);
  });

  it('§2.10.2: discard cancels the implicit keep', () => {
    assert.deepEqual(actions('discard;', { message: COYOTE }), [{ type: 'discard' }]);
  });

  it('§2.10.3: fileinto the same mailbox twice files once; keep twice keeps once', () => {
    assert.deepEqual(actions('require "fileinto"; fileinto "A"; fileinto "A"; keep; keep;', { message: COYOTE }), [fileinto('A'), KEEP]);
  });

  it('§3.1: if/elsif/else takes the first true branch', () => {
    const script = `require "fileinto";
      if header :contains "from" "coyote" { discard; }
      elsif header :contains ["subject"] ["$$$"] { discard; }
      else { fileinto "INBOX"; }`;
    assert.deepEqual(actions(script, { message: COYOTE }), [{ type: 'discard' }]);
    const other = message(['From: someone@example.com', 'Subject: $$$ for you']);
    assert.deepEqual(actions(script, { message: other }), [{ type: 'discard' }]);
    assert.deepEqual(actions(script, { message: message(['From: friend@example.com', 'Subject: hi']) }), [fileinto('INBOX')]);
  });

  it('§3.3: stop ends the script, the implicit keep still applies', () => {
    assert.deepEqual(actions('stop; discard;', { message: COYOTE }), [KEEP]);
  });

  it('§4.2: redirect sends to the address and cancels the implicit keep', () => {
    assert.deepEqual(actions('redirect "bart@example.com";', { message: COYOTE }), [{ type: 'redirect', address: 'bart@example.com', copy: false }]);
  });

  it('§5.1: address :domain / :localpart / :all', () => {
    assert.deepEqual(actions('if address :is :all "from" "tim@example.com" { discard; }', { message: message(['From: Tim <tim@example.com>']) }), [{ type: 'discard' }]);
    assert.deepEqual(actions('if address :domain :is "from" "EXAMPLE.com" { discard; }', { message: message(['From: Tim <tim@example.com>']) }), [{ type: 'discard' }]);
    assert.deepEqual(actions('if address :localpart :is "from" "tom" { discard; }', { message: message(['From: Tim <tim@example.com>']) }), [KEEP]);
  });

  it('§5.4: envelope :domain, and the null reverse-path matches ""', () => {
    const script = 'require "envelope"; if envelope :all :is "from" "" { discard; } elsif envelope :domain :is "to" "acme.example.com" { stop; }';
    assert.deepEqual(actions(script, { message: COYOTE, envelope: { ...ENVELOPE, from: '' } }), [{ type: 'discard' }]);
    assert.deepEqual(actions(script, { message: COYOTE }), [KEEP]);
  });

  it('§5.5: exists needs every named header', () => {
    assert.deepEqual(actions('if exists ["From","Date"] { discard; }', { message: COYOTE }), [{ type: 'discard' }]);
    assert.deepEqual(actions('if exists ["From","X-Nope"] { discard; }', { message: COYOTE }), [KEEP]);
  });

  it('§5.7: header :matches with "?" and "*" and escapes', () => {
    assert.deepEqual(actions('if header :matches "Subject" "I have a ?resent*" { discard; }', { message: COYOTE }), [{ type: 'discard' }]);
    assert.deepEqual(actions('if header :matches "Subject" "\\\\*" { discard; }', { message: message(['Subject: *']) }), [{ type: 'discard' }]);
    assert.deepEqual(actions('if header :matches "Subject" "\\\\*" { discard; }', { message: message(['Subject: x']) }), [KEEP]);
  });

  it('§5.9: size :over 100K / :under 1M', () => {
    assert.deepEqual(actions('if size :over 100K { discard; }', { message: COYOTE }), [KEEP]);
    assert.deepEqual(actions('if size :under 1M { discard; }', { message: COYOTE }), [{ type: 'discard' }]);
  });

  it('§2.7.3: i;octet is case-sensitive, i;ascii-casemap is not', () => {
    assert.deepEqual(actions('if header :is :comparator "i;octet" "Subject" "i have a present for you" { discard; }', { message: COYOTE }), [KEEP]);
    assert.deepEqual(actions('if header :is "Subject" "i have a present for you" { discard; }', { message: COYOTE }), [{ type: 'discard' }]);
  });

  it('§2.7.2: header values are RFC 2047-decoded before comparison', () => {
    const m = message(['Subject: =?UTF-8?B?w4lwaWNlcmll?=']);
    assert.deepEqual(actions('if header :is "Subject" "Épicerie" { discard; }', { message: m }), [{ type: 'discard' }]);
  });

  it('§6 example: the coyote is filed, the rest kept (multi-line text:)', () => {
    const script = `require ["fileinto", "reject"];
if allof (not exists ["From","Date"], header :contains "x" "y") { discard; }
elsif header :contains "from" "coyote" {
  reject text:
I do not talk to coyotes.
... never
.
;
}`;
    const result = run(script, { message: COYOTE });
    assert.deepEqual(result.actions, [{ type: 'reject', reason: 'I do not talk to coyotes.\r\n.. never\r\n', extended: false }]);
  });
});

describe('RFC 5429 reject and ereject', () => {
  it('§2.1: reject cancels the implicit keep', () => {
    assert.deepEqual(actions('require "ereject"; ereject "Go away";', { message: COYOTE }), [{ type: 'reject', reason: 'Go away', extended: true }]);
  });
  it('§2.1: reject with keep, fileinto, redirect or vacation is an error and keeps', () => {
    for (const other of ['keep;', 'fileinto "x";', 'redirect "a@b.example";', 'vacation "away";']) {
      const result = run(`require ["reject","fileinto","vacation"]; reject "no"; ${other}`, { message: message(['To: roadrunner@acme.example.com', 'Subject: s']) });
      assert.deepEqual(result.actions, [KEEP], other);
      assert.match(result.error ?? '', /reject/);
    }
  });
});

describe('RFC 3894 copy', () => {
  it(':copy does not cancel the implicit keep', () => {
    assert.deepEqual(actions('require ["copy","fileinto"]; fileinto :copy "Archive"; redirect :copy "x@example.com";', { message: COYOTE }), [
      KEEP,
      fileinto('Archive', { copy: true }),
      { type: 'redirect', address: 'x@example.com', copy: true },
    ]);
  });
});

describe('RFC 5232 imap4flags', () => {
  it('§5 example: flags set then given to fileinto and the implicit keep', () => {
    const script = `require ["imap4flags","fileinto"];
      addflag "\\\\Flagged";
      fileinto :copy "Important";`;
    // :copy needs "copy": a compile error, so use the plain form below.
    assert.equal(script.includes(':copy'), true);
    const result = actions('require ["imap4flags","fileinto"]; addflag ["\\\\Flagged", "$Work"]; fileinto "Important"; removeflag "$Work"; keep;', { message: COYOTE });
    assert.deepEqual(result, [fileinto('Important', { flags: ['\\Flagged', '$Work'] }), { type: 'keep', flags: ['\\Flagged'] }]);
  });
  it('§4 hasflag and :flags overriding the internal flags', () => {
    const script = `require ["imap4flags","fileinto"]; setflag "flagvar" "\\\\Seen"; addflag "\\\\Answered";
      if hasflag :is "\\\\answered" { fileinto :flags "\\\\Deleted" "Trash"; }
      if hasflag "flagvar" "\\\\Seen" { stop; }`;
    assert.deepEqual(actions(script, { message: COYOTE }), [fileinto('Trash', { flags: ['\\Deleted'] })]);
  });
  it('the implicit keep carries the internal flags', () => {
    assert.deepEqual(actions('require "imap4flags"; setflag "\\\\Seen \\\\Flagged";', { message: COYOTE }), [{ type: 'keep', flags: ['\\Seen', '\\Flagged'] }]);
  });
});

describe('RFC 5229 variables', () => {
  it('§3.2 example: "[*] *" — ${1} takes the shortest match', () => {
    const m = message(['Subject: [acme-users] [fwd] version 1.0 is out']);
    const script = 'require ["fileinto","variables"]; if header :matches "Subject" "[*] *" { fileinto "lists.${1}"; set "rest" "${2}"; } if string :is "${rest}" "[fwd] version 1.0 is out" { discard; }';
    assert.deepEqual(actions(script, { message: m }), [fileinto('lists.acme-users'), { type: 'discard' }]);
  });
  it('§3.2 example: List-ID "*<*@*"', () => {
    const m = message(['List-ID: Example list <mylist@example.com>']);
    assert.deepEqual(actions('require ["fileinto","variables"]; if header :matches "List-ID" "*<*@*" { fileinto "INBOX.lists.${2}"; stop; }', { message: m }), [
      fileinto('INBOX.lists.mylist'),
    ]);
  });
  it('§4.1 modifiers: :upper, :lowerfirst, :quotewildcard, :length', () => {
    const script = `require ["variables"];
      set "a" "juMBlEd lETteRS"; set :upper "b" "\${a}"; set :lowerfirst "c" "\${b}"; set :length "n" "\${a}"; set :quotewildcard "q" "a*b?";
      if allof (string :is "\${b}" "JUMBLED LETTERS", string :is :comparator "i;octet" "\${c}" "jUMBLED LETTERS", string :is "\${n}" "15", string :is "\${q}" "a\\\\*b\\\\?") { discard; }`;
    assert.deepEqual(actions(script, { message: COYOTE }), [{ type: 'discard' }]);
  });
  it('§3: unknown variables expand to the empty string; names are case-insensitive', () => {
    assert.deepEqual(actions('require "variables"; set "Name" "x"; if string :is "${nope}${NAME}" "x" { discard; }', { message: COYOTE }), [{ type: 'discard' }]);
  });
});

describe('RFC 5231 relational', () => {
  it(':value "gt" with i;ascii-numeric on X-Spam-Score', () => {
    const script = 'require ["relational","comparator-i;ascii-numeric","fileinto"]; if header :value "ge" :comparator "i;ascii-numeric" "X-Spam-Score" "5" { fileinto "Junk"; }';
    assert.deepEqual(actions(script, { message: message(['X-Spam-Score: 7']) }), [fileinto('Junk')]);
    assert.deepEqual(actions(script, { message: message(['X-Spam-Score: 4']) }), [KEEP]);
    assert.deepEqual(actions(script, { message: message(['X-Spam-Score: abc']) }), [fileinto('Junk')], 'no digits is +infinity (RFC 4790 §9.1)');
  });
  it('§6 example: :count "ge" counts addresses', () => {
    const m = message(['To: a@example.com, b@example.com', 'Cc: c@example.com']);
    const script = 'require ["relational","comparator-i;ascii-numeric"]; if address :count "ge" :comparator "i;ascii-numeric" ["to", "cc"] ["3"] { discard; }';
    assert.deepEqual(actions(script, { message: m }), [{ type: 'discard' }]);
  });
});

describe('RFC 5233 subaddress', () => {
  it(':user and :detail split at the recipient delimiter', () => {
    const script = 'require ["envelope","subaddress","fileinto","variables"]; if envelope :detail :matches "to" "*" { fileinto "tag.${1}"; }';
    assert.deepEqual(actions(script, { message: COYOTE, envelope: { from: 'a@b.example', to: 'ken+sieve@example.org' } }), [fileinto('tag.sieve')]);
    assert.deepEqual(actions(script, { message: COYOTE, envelope: { from: 'a@b.example', to: 'ken@example.org' } }), [KEEP], 'no detail: no match (§4)');
    assert.deepEqual(
      actions('require ["subaddress"]; if address :user "to" "ken" { discard; }', { message: message(['To: ken-lists@example.org']), recipientDelimiter: '-' }),
      [{ type: 'discard' }],
    );
  });
});

describe('RFC 5173 body', () => {
  const multipart = message(
    ['Content-Type: multipart/alternative; boundary="b1"', 'Subject: parts'],
    '--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n' +
      Buffer.from('Le café est prêt\r\n').toString('base64') +
      '\r\n--b1\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<b>MAKE MONEY=\r\n FAST</b>\r\n--b1--\r\n',
  );
  it(':text searches decoded text parts', () => {
    assert.deepEqual(actions('require "body"; if body :contains "café est" { discard; }', { message: multipart }), [{ type: 'discard' }]);
    assert.deepEqual(actions('require "body"; if body :text :contains "MONEY FAST" { discard; }', { message: multipart }), [{ type: 'discard' }]);
  });
  it(':content "text/plain" leaves out the HTML part; :raw sees the encoded bytes', () => {
    assert.deepEqual(actions('require "body"; if body :content "text/plain" :contains "MONEY" { discard; }', { message: multipart }), [KEEP]);
    assert.deepEqual(actions('require "body"; if body :raw :contains "MONEY=" { discard; }', { message: multipart }), [{ type: 'discard' }]);
  });
});

describe('RFC 5490 mailbox', () => {
  it('fileinto :create, and mailboxexists', () => {
    const exists = (name: string) => name === 'INBOX';
    assert.deepEqual(actions('require ["fileinto","mailbox"]; if mailboxexists "Lists" { stop; } fileinto :create "Lists";', { message: COYOTE, mailboxExists: exists }), [
      fileinto('Lists', { create: true }),
    ]);
  });
  it('fileinto a missing mailbox without :create is an error and keeps', () => {
    const result = run('require "fileinto"; fileinto "Nowhere";', { message: COYOTE, mailboxExists: () => false });
    assert.deepEqual(result.actions, [KEEP]);
    assert.match(result.error ?? '', /Nowhere/);
  });
});

describe('RFC 5260 date and index', () => {
  it('§4 date :originalzone, :zone and date parts', () => {
    const m = COYOTE; // Date: Tue, 1 Apr 1997 09:06:31 -0800
    assert.deepEqual(actions('require "date"; if date :originalzone "date" "hour" "09" { discard; }', { message: m }), [{ type: 'discard' }]);
    assert.deepEqual(actions('require "date"; if date :zone "+0000" "date" "time" "17:06:31" { discard; }', { message: m }), [{ type: 'discard' }]);
    assert.deepEqual(actions('require "date"; if date :originalzone "date" "iso8601" "1997-04-01T09:06:31-08:00" { discard; }', { message: m }), [{ type: 'discard' }]);
    assert.deepEqual(actions('require "date"; if date :originalzone "date" "weekday" "2" { discard; }', { message: m }), [{ type: 'discard' }]);
    assert.deepEqual(actions('require "date"; if date :originalzone "date" "julian" "50539" { discard; }', { message: m }), [{ type: 'discard' }]);
  });
  it('§5 currentdate against the run time', () => {
    const now = new Date('2026-12-07T04:00:00Z');
    const script = 'require ["date","relational"]; if allof (currentdate :zone "+0000" :value "ge" "date" "2026-12-01", currentdate :zone "+0000" :value "le" "date" "2026-12-31") { discard; }';
    assert.deepEqual(actions(script, { message: COYOTE, now }), [{ type: 'discard' }]);
    assert.deepEqual(actions(script, { message: COYOTE, now: new Date('2027-01-01T00:00:00Z') }), [KEEP]);
  });
  it('§6 :index / :last pick one occurrence', () => {
    const m = message(['Received: from a by mx2', 'Received: from b by mx1', 'X-Spam-Flag: NO', 'X-Spam-Flag: YES']);
    assert.deepEqual(actions('require "index"; if header :index 2 :last :contains "Received" "from a" { discard; }', { message: m }), [{ type: 'discard' }]);
    assert.deepEqual(actions('require "index"; if header :index 1 :is "X-Spam-Flag" "YES" { discard; }', { message: m }), [KEEP]);
  });
});

describe('RFC 5293 editheader', () => {
  it('addheader and deleteheader change what later tests see', () => {
    const m = message(['Subject: hi', 'X-Tag: one', 'X-Tag: two']);
    const script = `require ["editheader"]; addheader "X-Sieve" "filtered"; deleteheader :matches "X-Tag" "o*";
      if allof (header :is "X-Sieve" "filtered", header :is "X-Tag" "two", not header :is "X-Tag" "one") { discard; }`;
    assert.deepEqual(actions(script, { message: m }), [
      { type: 'addheader', name: 'X-Sieve', value: 'filtered', last: false },
      { type: 'deleteheader', name: 'X-Tag', patterns: ['o*'] },
      { type: 'discard' },
    ]);
  });
  it('Received is protected', () => {
    assert.deepEqual(actions('require "editheader"; deleteheader "Received";', { message: message(['Received: x']) }), [KEEP]);
  });
});

describe('RFC 5228 §2.4.2.4 encoded-character', () => {
  it('${hex:} and ${unicode:} decode once required', () => {
    assert.deepEqual(actions('require "encoded-character"; if header :is "Subject" "${hex: 49}${unicode:20}have a present for you" { discard; }', { message: COYOTE }), [
      { type: 'discard' },
    ]);
  });
});

describe('RFC 5232 with variables', () => {
  it('§3: a flag variable is an ordinary variable', () => {
    const script = 'require ["imap4flags","variables"]; set "mine" "\\\\Seen"; addflag "mine" "$Work"; if string :is "${mine}" "\\\\Seen $Work" { discard; }';
    assert.deepEqual(actions(script, { message: COYOTE }), [{ type: 'discard' }]);
  });
});

describe('RFC 5260 §4.2 std11', () => {
  it('renders the date as RFC 5322 text', () => {
    assert.deepEqual(actions('require "date"; if date :originalzone "date" "std11" "Tue, 01 Apr 1997 09:06:31 -0800" { discard; }', { message: COYOTE }), [{ type: 'discard' }]);
  });
});

describe('RFC 5228 §2.10.3 keep and fileinto "INBOX"', () => {
  it('are one delivery', () => {
    assert.deepEqual(actions('require ["fileinto","copy"]; fileinto :copy "INBOX";', { message: COYOTE }), [KEEP]);
    assert.deepEqual(actions('require ["fileinto"]; fileinto "inbox"; keep;', { message: COYOTE }), [KEEP]);
    assert.deepEqual(actions('require ["fileinto"]; fileinto "INBOX";', { message: COYOTE }), [fileinto('INBOX')], 'alone it stays a fileinto');
  });
});
