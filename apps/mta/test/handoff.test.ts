import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { SMTPServer, type SMTPServerDataResult } from 'smtp-server';
import { Handoff, smtpReplyFor, type RecipientResult } from '../src/handoff.js';

/** Recipients by local part: ok → 250, full → 452, gone → 550 after DATA; nouser → 550 at RCPT (smtp-server adds 4.2.2 / 5.1.1). */
function lmtpPeer(): { server: SMTPServer; messages: { rcpt: string[]; body: string }[]; connections: () => number } {
  const messages: { rcpt: string[]; body: string }[] = [];
  let connections = 0;
  const server = new SMTPServer({
    lmtp: true,
    hideSTARTTLS: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    hideENHANCEDSTATUSCODES: false,
    logger: false,
    onConnect: (_session, callback) => {
      connections++;
      callback();
    },
    onRcptTo: (address, _session, callback) => {
      if (address.address.startsWith('nouser@')) return callback(Object.assign(new Error('no such user'), { responseCode: 550 }));
      callback();
    },
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const rcpt = session.envelope.rcptTo.map((r) => r.address);
        messages.push({ rcpt, body: Buffer.concat(chunks).toString() });
        const replies: SMTPServerDataResult[] = rcpt.map((address) => {
          if (address.startsWith('full@')) return Object.assign(new Error('mailbox full'), { responseCode: 452 });
          if (address.startsWith('gone@')) return Object.assign(new Error('mailbox disabled'), { responseCode: 550 });
          return `<${address}> saved`;
        });
        callback(null, replies);
      });
    },
  });
  return { server, messages, connections: () => connections };
}

describe('Handoff (the LMTP client towards the mailstore or Dovecot)', () => {
  let peer: ReturnType<typeof lmtpPeer>;
  let handoff: Handoff;
  before(async () => {
    peer = lmtpPeer();
    await new Promise<void>((resolve) => peer.server.listen(0, '127.0.0.1', resolve));
    const { port } = peer.server.server.address() as AddressInfo;
    handoff = new Handoff({ kind: 'tcp', host: '127.0.0.1', port }, 'mail.example.com');
  });
  after(async () => {
    await handoff.close();
    await new Promise<void>((resolve) => peer.server.close(() => resolve()));
  });

  const deliver = async (recipients: string[], body = 'Subject: t\r\n\r\n.dot\r\nbody\r\n'): Promise<RecipientResult[]> => {
    const { transaction, refused } = await handoff.begin({ sender: 'someone@example.org', recipients, smtputf8: false, eightBit: true });
    if (!transaction) return refused;
    assert.equal(await transaction.write(Readable.from([Buffer.from(body.replace(/^\./gm, '..'))]), () => false), true);
    return [...refused, ...(await transaction.finish())];
  };

  it('streams the message and reads one reply per recipient (RFC 2033 §4.2)', async () => {
    const results = await deliver(['ok1@example.com', 'ok2@example.com']);
    assert.deepEqual(results.map((r) => r.reply.code), [250, 250]);
    assert.deepEqual(smtpReplyFor(results, 'Q1'), { ok: true, message: '2.0.0 Ok: queued as Q1' });
    assert.equal(peer.messages.at(-1)!.body, 'Subject: t\r\n\r\n.dot\r\nbody\r\n');
  });

  it('answers 250 only when every recipient got 250: a 4xx makes 451 4.3.0, naming the recipient', async () => {
    const results = await deliver(['ok@example.com', 'full@example.com']);
    const outcome = smtpReplyFor(results, 'Q2');
    assert.equal(outcome.ok, false);
    if (!outcome.ok) assert.equal(outcome.reply.line, '451 4.3.0 <full@example.com>: delivery deferred: 452 4.2.2 mailbox full (1 of 2 recipients delivered)');
  });

  it('a permanent failure keeps its code and enhanced code; a temporary one elsewhere wins (the client retries)', async () => {
    const permanent = smtpReplyFor(await deliver(['gone@example.com']), 'Q3');
    assert.equal(permanent.ok ? 'ok' : permanent.reply.line, '550 5.1.1 <gone@example.com>: delivery failed: 550 5.1.1 mailbox disabled');
    const mixed = smtpReplyFor(await deliver(['gone@example.com', 'full@example.com']), 'Q4');
    assert.equal(mixed.ok ? 'ok' : mixed.reply.code, 451);
  });

  it('a recipient refused at RCPT is reported with the others; all refused sends no DATA', async () => {
    const before = peer.messages.length;
    const results = await deliver(['nouser@example.com', 'ok@example.com']);
    assert.deepEqual(results.map((r) => [r.recipient, r.reply.code]), [['nouser@example.com', 550], ['ok@example.com', 250]]);
    const none = await deliver(['nouser@example.com']);
    assert.deepEqual(none.map((r) => r.reply.code), [550]);
    assert.equal(peer.messages.length, before + 1);
  });

  it('reuses idle LMTP sessions for the next message', async () => {
    const before = peer.connections();
    for (let i = 0; i < 5; i++) await deliver(['ok@example.com']);
    assert.ok(peer.connections() - before <= 1, `${peer.connections() - before} new connections`);
  });

  it('an aborted transaction delivers nothing and the next message still goes through', async () => {
    const before = peer.messages.length;
    const { transaction } = await handoff.begin({ sender: '', recipients: ['ok@example.com'], smtputf8: false, eightBit: false });
    assert.ok(transaction);
    assert.equal(await transaction.write(Readable.from([Buffer.from('Subject: half\r\n')]), () => true), false);
    transaction.abort();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(peer.messages.length, before);
    assert.deepEqual((await deliver(['ok@example.com'])).map((r) => r.reply.code), [250]);
  });

  it('fails with an error when nothing listens', async () => {
    const nowhere = new Handoff({ kind: 'tcp', host: '127.0.0.1', port: 1 }, 'mail.example.com');
    await assert.rejects(nowhere.begin({ sender: '', recipients: ['ok@example.com'], smtputf8: false, eightBit: false }), /ECONNREFUSED/);
  });
});
