// The Sieve chain of a delivery (sieve.before, the user's script, sieve.after; Pigeonhole's order)
// over a real store on both backends, and the vacation reply as RFC 5230 §5 builds it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '@postern/log';
import type { Store, User } from '@postern/store';
import { applyHeaderEdits, buildVacationReply, SieveFilter } from '../src/delivery/sieve/index.js';
import { BACKENDS, startBackend, testConfig, type Backend } from './fixture.js';

const scratch = mkdtempSync(join(tmpdir(), 'postern-sieve-delivery-'));
process.once('exit', () => rmSync(scratch, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(scratch, name);
  writeFileSync(path, content);
  return path;
}

const SPAM = Buffer.from('Return-Path: <a@remote.test>\r\nDelivered-To: u@example.com\r\nX-Spam-Flag: YES\r\nSubject: spam\r\nTo: u@example.com\r\n\r\nbody\r\n');
const HAM = Buffer.from('Return-Path: <a@remote.test>\r\nDelivered-To: u@example.com\r\nSubject: archive me\r\nTo: u@example.com\r\n\r\nbody\r\n');

for (const backendName of BACKENDS) {
  describe(`the Sieve chain on ${backendName}`, () => {
    let backend: Backend;
    let store: Store;
    let user: User;
    const logs: Record<string, unknown>[] = [];
    const log = createLogger({
      name: 'test',
      level: 'debug',
      destination: new Writable({
        write(chunk: Buffer, _e, done) {
          for (const line of chunk.toString().split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
          done();
        },
      }),
    });
    const filterWith = (sieve: Record<string, unknown> = {}): SieveFilter => {
      const config = testConfig({ sieve });
      return new SieveFilter(store, () => config, log);
    };
    const envelope = { from: 'a@remote.test', to: 'u@example.com' };

    before(async () => {
      backend = await startBackend(backendName);
      store = await backend.open();
      user = await store.addUser({ address: `u.${process.pid}@example.com`, passwordHash: '{PLAIN}x' });
      for (const path of ['INBOX', 'Archive', 'Copies']) await store.createMailbox(user.id, path);
    });
    after(async () => {
      await store?.close();
      await backend?.stop();
    });

    it('runs the shipped spam rule when sieve.before is unset: fileinto Junk, no keep', async () => {
      const plan = await filterWith().plan(user, SPAM, envelope);
      assert.deepEqual(plan.copies.map((c) => c.mailbox), ['Junk']);
      assert.deepEqual((await filterWith().plan(user, HAM, envelope)).copies.map((c) => c.mailbox), ['INBOX']);
    });

    it('runs a postmaster sieve.before file instead, then the user\'s script, then sieve.after', async () => {
      const before = file('before.sieve', 'require "fileinto";\nif header :contains "Subject" "archive" { fileinto "Archive"; }\n');
      const afterScript = file('after.sieve', 'require ["imap4flags"];\naddflag "$After";\n');
      await store.putSieveScript(user.id, 'mine', 'require ["fileinto", "copy"];\nfileinto :copy "Copies";\n');
      await store.setActiveSieveScript(user.id, 'mine');
      try {
        const plan = await filterWith({ before, after: afterScript }).plan(user, HAM, envelope);
        // before cancelled the implicit keep; the user's :copy and after's keep do not bring it back.
        assert.deepEqual(plan.copies.map((c) => c.mailbox), ['Archive', 'Copies']);
        const spam = await filterWith({ before, after: afterScript }).plan(user, SPAM, envelope);
        assert.deepEqual(spam.copies.map((c) => [c.mailbox, c.flags]), [['INBOX', ['$After']], ['Copies', []]], 'the postmaster\'s file replaced the spam rule');
      } finally {
        await store.setActiveSieveScript(user.id, null);
      }
    });

    it('skips a global file that does not compile, with an error log line naming it', async () => {
      const broken = file('broken.sieve', 'fileinto "Junk"');
      const plan = await filterWith({ before: broken }).plan(user, SPAM, envelope);
      assert.deepEqual(plan.copies.map((c) => c.mailbox), ['INBOX']);
      assert.ok(logs.some((line) => line.event === 'sieve_global_error' && line.script === broken));
    });

    it('keeps when the user\'s script fails at run time', async () => {
      await store.putSieveScript(user.id, 'two-rejects', 'require "reject";\nreject "a";\nreject "b";\n');
      await store.setActiveSieveScript(user.id, 'two-rejects');
      try {
        const plan = await filterWith().plan(user, HAM, envelope);
        assert.deepEqual(plan.copies.map((c) => c.mailbox), ['INBOX']);
        assert.equal(plan.reject, null);
        assert.equal(plan.errors.length, 1);
      } finally {
        await store.setActiveSieveScript(user.id, null);
      }
    });
  });
}

describe('the vacation reply (RFC 5230 §5)', () => {
  const user = { address: 'erin@example.com' } as User;
  const original = Buffer.from('From: Ann <ann@remote.test>\r\nSubject: Hello\r\nMessage-ID: <m2@remote.test>\r\nReferences: <m1@remote.test>\r\n\r\nHi\r\n');
  const action = { type: 'vacation' as const, replyTo: 'ann@remote.test', from: null, subject: 'Abwesend – zurück am Montag', reason: 'Ich bin weg.\nBis zurück.', mime: false, handle: 'h', periodSeconds: 86_400 };

  it('answers the envelope sender with In-Reply-To, References, Auto-Submitted and an encoded subject', () => {
    const reply = buildVacationReply(action, user, original, 'mail.example.com', new Date('2026-12-07T10:00:00Z')).toString('utf8');
    const [header, body] = reply.split('\r\n\r\n') as [string, string];
    assert.match(header, /^From: erin@example\.com\r\n/);
    assert.match(header, /\r\nTo: <ann@remote\.test>\r\n/);
    assert.match(header, /\r\nSubject: Abwesend =\?UTF-8\?Q\?[^\r\n]+\?= am Montag\r\n/);
    assert.match(header, /\r\nIn-Reply-To: <m2@remote\.test>\r\n/);
    assert.match(header, /\r\nReferences: <m1@remote\.test> <m2@remote\.test>\r\n/);
    assert.match(header, /\r\nAuto-Submitted: auto-replied/);
    assert.match(header, /\r\nDate: Mon, 7 Dec 2026 10:00:00 \+0000\r\n/);
    assert.match(header, /\r\nMessage-ID: <\d+\.[0-9a-f]+@mail\.example\.com>/);
    assert.match(header, /Content-Transfer-Encoding: base64/);
    assert.equal(Buffer.from(body.replace(/\r\n/g, ''), 'base64').toString('utf8'), 'Ich bin weg.\r\nBis zurück.');
  });

  it('never lets the script add header fields through CR/LF in the subject or :from', () => {
    const reply = buildVacationReply({ ...action, subject: 'Away\r\nBcc: victim@remote.test', from: 'x@example.com\nX-Evil: 1' }, user, original, 'mail.example.com').toString('utf8');
    assert.doesNotMatch(reply, /^Bcc:/m);
    assert.doesNotMatch(reply, /^X-Evil:/m);
  });
});

describe('editheader on the stored copy (RFC 5293)', () => {
  const raw = Buffer.from('Return-Path: <a@b>\r\nDelivered-To: u@example.com\r\nX-A: 1\r\nX-A: 2\r\nReceived: from x\r\nSubject: s\r\n\r\nbody\r\n');
  it('adds at the top below the trace fields, or last; deletes by name, index and value; never Received', () => {
    const edited = applyHeaderEdits(raw, [
      { type: 'addheader', name: 'X-Top', value: 'yes', last: false },
      { type: 'addheader', name: 'X-Bottom', value: 'yes', last: true },
      { type: 'deleteheader', name: 'X-A', index: 2 },
      { type: 'deleteheader', name: 'Received' },
    ]).toString();
    assert.equal(edited, 'Return-Path: <a@b>\r\nDelivered-To: u@example.com\r\nX-Top: yes\r\nX-A: 1\r\nReceived: from x\r\nSubject: s\r\nX-Bottom: yes\r\n\r\nbody\r\n');
  });
});
