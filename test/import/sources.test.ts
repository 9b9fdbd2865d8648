// The source formats `postern import` reads, from their documentation's wording and examples:
// Dovecot's dovecot-uidlist, dovecot-keywords, subscriptions and Maildir info, a passwd-file's
// quota rule, postconf(5) main.cf and postmap(1) source tables.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { quotaFromRule, parsePasswdFile } from '../../apps/cli/src/import/dovecot-users.js';
import { baseName, flagsOf, folderPath, parseKeywords, parseSubscriptions, parseUidList, toCrlf } from '../../apps/cli/src/import/maildir-source.js';
import { expand, listOf, parseMainCf } from '../../apps/cli/src/import/postfix-source.js';
import { ImportReport } from '../../apps/cli/src/import/report.js';

function quietReport(): { report: ImportReport; lines: string[] } {
  const lines: string[] = [];
  return { report: new ImportReport(false, (line) => lines.push(line)), lines };
}

describe('Dovecot Maildir files', () => {
  it('reads dovecot-uidlist version 3: the header V/N fields and `<uid> [ext] :<filename>` lines', () => {
    const list = parseUidList(
      '3 V1733520000 N7 G3085f01b7f11094c501100008c4a11c1\n' +
        '2 :1733520001.M1P2.mail,S=525,W=540\n' +
        '3 G3085f01b W540 :1733520002.M2P2.mail,S=525,W=540\n' +
        '6 :1733520005.M5P2.mail\n',
    );
    assert.equal(list?.uidValidity, 1733520000);
    assert.equal(list?.nextUid, 7);
    assert.deepEqual([...(list?.uids ?? [])], [
      ['1733520001.M1P2.mail,S=525,W=540', 2],
      ['1733520002.M2P2.mail,S=525,W=540', 3],
      ['1733520005.M5P2.mail', 6],
    ]);
  });

  it('reads version 1 (`1 <uidvalidity> <nextuid>`, `<uid> <filename>`) and refuses what it cannot read', () => {
    const list = parseUidList('1 1100000000 4\n1 1100000001.P1.host\n3 1100000003.P3.host:2,S\n');
    assert.equal(list?.uidValidity, 1100000000);
    assert.equal(list?.nextUid, 4);
    assert.equal(list?.uids.get('1100000003.P3.host'), 3);
    assert.equal(parseUidList(''), null);
    assert.equal(parseUidList('3 V0 N1\n'), null, 'UIDVALIDITY is non-zero (RFC 3501 §2.3.1.1)');
  });

  it('maps the `:2,` info letters to IMAP flags and a–z to the numbered lines of dovecot-keywords', () => {
    const keywords = parseKeywords('0 $Forwarded\n1 Project-X\n3 NonJunk\n');
    assert.deepEqual(flagsOf('1733.M1.mail,S=5:2,DFRST', keywords), ['\\Draft', '\\Flagged', '\\Answered', '\\Seen', '\\Deleted']);
    assert.deepEqual(flagsOf('1733.M1.mail:2,Sabd', keywords), ['\\Seen', '$Forwarded', 'Project-X', 'NonJunk']);
    assert.deepEqual(flagsOf('1733.M1.mail:2,Pc', keywords), [], 'P (passed) has no IMAP flag; an unknown keyword letter is dropped');
    assert.deepEqual(flagsOf('1733.M1.mail', keywords), [], 'new/ files carry no info');
    assert.equal(baseName('1733.M1.mail,S=5:2,FS'), '1733.M1.mail,S=5');
  });

  it('turns Maildir++ folder names into Postern paths and reads both subscriptions formats', () => {
    assert.equal(folderPath('.Sent'), 'Sent');
    assert.equal(folderPath('.Archive.2025'), 'Archive/2025');
    assert.equal(folderPath('.Entw&APw-rfe'), 'Entw&APw-rfe', 'modified UTF-7 kept as the client wrote it');
    assert.deepEqual([...parseSubscriptions('V\t2\n\nINBOX\nArchive\t2025\nSent\n')], ['INBOX', 'Archive/2025', 'Sent']);
    assert.deepEqual([...parseSubscriptions('INBOX\nArchive.2025\n')], ['INBOX', 'Archive/2025']);
  });

  it('gives bare-LF messages (Dovecot saves with mail_save_crlf = no) CRLF line ends, leaving CRLF alone', () => {
    assert.equal(toCrlf(Buffer.from('Subject: a\nX: b\r\n\nbody\n')).toString(), 'Subject: a\r\nX: b\r\n\r\nbody\r\n');
  });
});

describe('Dovecot passwd-file', () => {
  it('reads userdb_quota_rule=*:storage=SIZE with Dovecot units; 0 and unlimited mean none', () => {
    assert.equal(quotaFromRule('*:storage=1G'), 1024 ** 3);
    assert.equal(quotaFromRule('*:storage=512M'), 512 * 1024 ** 2);
    assert.equal(quotaFromRule('*:storage=0'), 0);
    assert.equal(quotaFromRule('*:storage=+10%'), null);
    assert.equal(quotaFromRule('Trash:storage=+100M'), null);
  });

  it('parses the guides\' lines, keeps hashes as they are and lists what it cannot use', () => {
    const { report, lines } = quietReport();
    const users = parsePasswdFile(
      [
        '# users',
        'alice@example.org:{SHA512-CRYPT}$6$salt$hash:5000:5000::/var/vmail/example.org/alice::userdb_quota_rule=*:storage=1G',
        'bob@example.org:{BLF-CRYPT}$2y$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui:5000:5000::/var/vmail/example.org/bob::',
        'nodomain:{PLAIN}x:::::',
        'carol@example.org:{MD5}whatever:::::',
        'dave@example.org:{CRYPT}$1$ab$3sxvD87Z74wfS0b3lhTMN.::::::userdb_quota_rule=*:storage=+10% userdb_mail=maildir:~/x',
      ].join('\n'),
      report,
    );
    assert.deepEqual(users.map((u) => [u.address, u.quota]), [['alice@example.org', 1024 ** 3], ['bob@example.org', 0], ['dave@example.org', 0]]);
    assert.equal(users[0]?.passwordHash, '{SHA512-CRYPT}$6$salt$hash');
    assert.deepEqual(lines, [
      'not imported: passwd-file line 4: "nodomain" is not an address (Postern logins are user@domain)',
      'not imported: passwd-file line 5: carol@example.org: a password hash Postern cannot verify',
      'not imported: dave@example.org: quota rule "*:storage=+10%" (only *:storage=SIZE has a Postern equivalent)',
      'not imported: dave@example.org: extra field userdb_mail=maildir:~/x',
    ]);
  });
});

describe('Postfix main.cf and tables', () => {
  it('reads postconf(5) syntax: comments, continuation lines, $name and ${name} expansion', () => {
    const settings = parseMainCf('# comment\nmydomain = example.org\nmyorigin = $mydomain\nmydestination = $myhostname, localhost.${mydomain},\n    localhost\n  # not a continuation\nempty =\n');
    assert.equal(settings.get('mydestination'), '$myhostname, localhost.${mydomain}, localhost');
    assert.equal(expand(settings, settings.get('myorigin') ?? ''), 'example.org');
    assert.deepEqual(listOf(expand(settings, settings.get('mydestination') ?? '')), ['$myhostname', 'localhost.example.org', 'localhost']);
    assert.equal(settings.get('empty'), '');
  });
});
