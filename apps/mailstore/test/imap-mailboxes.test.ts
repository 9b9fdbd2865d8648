import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Store } from '@postern/store';
import { describeOnBackends, loginWire, type ImapFixture } from './imap-fixture.js';

describeOnBackends('IMAP mailboxes', {}, (suite) => {
  let fx: ImapFixture;
  let store: Store;

  before(async () => {
    ({ fx, store } = suite);
  });

  test('LIST shows the default folders with their special-use attributes; LIST (SPECIAL-USE) only those', async () => {
    const wire = await loginWire(fx);
    const all = await wire.command('LIST "" "*"');
    assert.equal(all.status, 'OK');
    assert.ok(all.untagged.includes('* LIST (\\HasNoChildren) "/" "INBOX"'), all.untagged.join('\n'));
    assert.ok(all.untagged.includes('* LIST (\\HasNoChildren \\Sent) "/" "Sent"'));
    assert.ok(all.untagged.includes('* LIST (\\HasNoChildren \\Trash) "/" "Trash"'));
    const special = await wire.command('LIST (SPECIAL-USE) "" "*"');
    assert.deepEqual(special.untagged.map((line) => line.split(' ').pop()!.replace(/"/g, '')).sort(), ['Drafts', 'Junk', 'Sent', 'Trash']);
    const delimiter = await wire.command('LIST "" ""');
    assert.deepEqual(delimiter.untagged, ['* LIST (\\Noselect) "/" ""']);
    wire.close();
  });

  test('CREATE makes a folder (hierarchy shown with \\HasChildren), refuses a duplicate with ALREADYEXISTS', async () => {
    const wire = await loginWire(fx);
    assert.equal((await wire.command('CREATE Projects')).status, 'OK');
    assert.equal((await wire.command('CREATE Projects/2026')).status, 'OK');
    const dup = await wire.command('CREATE Projects');
    assert.equal(dup.status, 'NO');
    assert.match(dup.tagged, /ALREADYEXISTS/);
    const list = await wire.command('LIST "" "Projects*"');
    assert.deepEqual(list.untagged, ['* LIST (\\HasChildren) "/" "Projects"', '* LIST (\\HasNoChildren) "/" "Projects/2026"']);
    const percent = await wire.command('LIST "" "%"');
    assert.ok(!percent.untagged.some((line) => line.endsWith('Projects/2026"')), '% does not cross the hierarchy delimiter');
    const bad = await wire.command('CREATE "bad*name"');
    assert.equal(bad.status, 'NO');
    wire.close();
  });

  test('RFC 3501 §6.3.3: CREATE foo/bar/zap also creates foo and foo/bar; existing levels stay as they are', async () => {
    const wire = await loginWire(fx);
    assert.equal((await wire.command('CREATE foo/bar/zap')).status, 'OK');
    const list = await wire.command('LIST "" "foo*"');
    assert.deepEqual(list.untagged, ['* LIST (\\HasChildren) "/" "foo"', '* LIST (\\HasChildren) "/" "foo/bar"', '* LIST (\\HasNoChildren) "/" "foo/bar/zap"']);
    // The superiors are real, selectable mailboxes, not \Noselect placeholders.
    assert.equal((await wire.command('SELECT foo/bar')).status, 'OK');
    assert.equal((await wire.command('APPEND foo/bar {3+}\r\nx\r\n')).status, 'OK');
    // An existing superior (with its message) is kept; INBOX is never created again.
    assert.equal((await wire.command('CREATE foo/bar/other')).status, 'OK');
    assert.match((await wire.command('STATUS foo/bar (MESSAGES)')).untagged[0]!, /MESSAGES 1\)/);
    assert.equal((await wire.command('CREATE INBOX/Sub/Deeper')).status, 'OK');
    const inbox = await wire.command('LIST "" "INBOX*"');
    assert.deepEqual(inbox.untagged, ['* LIST (\\HasChildren) "/" "INBOX"', '* LIST (\\HasChildren) "/" "INBOX/Sub"', '* LIST (\\HasNoChildren) "/" "INBOX/Sub/Deeper"']);
    wire.close();
  });

  test('INBOX is case-insensitive in every command', async () => {
    const wire = await loginWire(fx);
    const select = await wire.command('SELECT inbox');
    assert.equal(select.status, 'OK');
    const status = await wire.command('STATUS iNbOx (MESSAGES)');
    assert.match(status.untagged[0]!, /^\* STATUS iNbOx \(MESSAGES \d+\)$/);
    const create = await wire.command('CREATE Inbox');
    assert.equal(create.status, 'NO');
    wire.close();
  });

  test('RENAME moves the folder and every folder below it, keeping their messages, and creates the new name\'s superiors', async () => {
    const client = fx.client('alice@example.com');
    await client.connect();
    await client.mailboxCreate('Work');
    await client.mailboxCreate('Work/Clients');
    await client.mailboxCreate('Work/Clients/Acme');
    await client.append('Work/Clients/Acme', 'Subject: acme\r\n\r\nhello\r\n');
    await client.mailboxRename('Work', 'Archive/Work');
    const paths = (await client.list()).map((entry) => entry.path);
    assert.ok(paths.includes('Archive/Work'));
    assert.ok(paths.includes('Archive/Work/Clients'));
    assert.ok(paths.includes('Archive/Work/Clients/Acme'));
    assert.ok(!paths.some((path) => path === 'Work' || path.startsWith('Work/')));
    const status = await client.status('Archive/Work/Clients/Acme', { messages: true });
    assert.ok(status);
    assert.equal(status.messages, 1);
    // RFC 3501 §6.3.5: the superior level of the new name was created as a real mailbox.
    assert.equal((await client.mailboxOpen('Archive')).path, 'Archive');
    await client.logout();
  });

  test('RENAME and DELETE refuse INBOX and the special-use folders; DELETE of a missing folder is NONEXISTENT', async () => {
    const wire = await loginWire(fx);
    for (const command of ['RENAME INBOX Old', 'RENAME Sent Sent2', 'DELETE Trash', 'DELETE INBOX']) {
      const result = await wire.command(command);
      assert.equal(result.status, 'NO', `${command}: ${result.tagged}`);
    }
    const missing = await wire.command('DELETE Nowhere');
    assert.equal(missing.status, 'NO');
    assert.match(missing.tagged, /NONEXISTENT/);
    const clash = await wire.command('CREATE Clash');
    assert.equal(clash.status, 'OK');
    const onto = await wire.command('RENAME Clash Drafts');
    assert.equal(onto.status, 'NO');
    assert.match(onto.tagged, /ALREADYEXISTS/);
    wire.close();
  });

  test('DELETE removes the folder and its messages; a parent deleted with children remains as \\Noselect', async () => {
    const client = fx.client('alice@example.com');
    await client.connect();
    await client.mailboxCreate('Old');
    await client.mailboxCreate('Old/Keep');
    await client.append('Old', 'Subject: gone\r\n\r\nbye\r\n');
    await client.mailboxDelete('Old');
    const list = await client.list();
    const old = list.find((entry) => entry.path === 'Old');
    assert.ok(old?.flags.has('\\Noselect'));
    assert.ok(list.some((entry) => entry.path === 'Old/Keep'));
    const user = await store.getUser('alice@example.com');
    assert.equal(await store.getMailbox(user!.id, 'Old'), null);
    await client.logout();
  });

  test('SUBSCRIBE and UNSUBSCRIBE change what LSUB lists', async () => {
    const wire = await loginWire(fx);
    await wire.command('CREATE News');
    let lsub = await wire.command('LSUB "" "*"');
    assert.ok(!lsub.untagged.some((line) => line.endsWith(' "News"')));
    assert.equal((await wire.command('SUBSCRIBE News')).status, 'OK');
    lsub = await wire.command('LSUB "" "*"');
    assert.ok(lsub.untagged.some((line) => line.endsWith(' "News"')));
    assert.ok(lsub.untagged.some((line) => line.endsWith(' "Sent"')));
    assert.equal((await wire.command('UNSUBSCRIBE News')).status, 'OK');
    lsub = await wire.command('LSUB "" "*"');
    assert.ok(!lsub.untagged.some((line) => line.endsWith(' "News"')));
    wire.close();
  });

  test('STATUS reports MESSAGES, UNSEEN, UIDNEXT, UIDVALIDITY and HIGHESTMODSEQ', async () => {
    const client = fx.client('alice@example.com');
    await client.connect();
    await client.mailboxCreate('Counted');
    await client.append('Counted', 'Subject: a\r\n\r\na\r\n', ['\\Seen']);
    await client.append('Counted', 'Subject: b\r\n\r\nb\r\n');
    const status = await client.status('Counted', { messages: true, unseen: true, uidNext: true, uidValidity: true, highestModseq: true });
    assert.ok(status);
    assert.equal(status.messages, 2);
    assert.equal(status.unseen, 1);
    assert.equal(status.uidNext, 3);
    assert.ok(Number(status.uidValidity) > 0);
    // A new mailbox stands at 1 (RFC 7162 §3.1.1): the two appends took 2 and 3.
    assert.equal(Number(status.highestModseq), 3);
    await client.logout();
  });

  test('mailbox names outside ASCII travel as modified UTF-7, or as UTF-8 after ENABLE UTF8=ACCEPT', async () => {
    const wire = await loginWire(fx);
    assert.equal((await wire.command('CREATE "Entw&APw-rfe"')).status, 'OK');
    const user = await store.getUser('alice@example.com');
    assert.ok(await store.getMailbox(user!.id, 'Entwürfe'));
    const utf7 = await wire.command('LIST "" "Entw*"');
    assert.deepEqual(utf7.untagged, ['* LIST (\\HasNoChildren) "/" "Entw&APw-rfe"']);
    assert.equal((await wire.command('ENABLE UTF8=ACCEPT')).status, 'OK');
    const utf8 = await wire.command('LIST "" "Entw*"');
    assert.equal(Buffer.from(utf8.untagged[0]!, 'binary').toString('utf8'), '* LIST (\\HasNoChildren) "/" "Entwürfe"');
    wire.close();
  });

});
