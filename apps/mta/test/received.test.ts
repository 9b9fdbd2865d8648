import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { HeaderRewriter, receivedHeader, withProtocol, type MissingHeaders } from '../src/received.js';

async function rewrite(input: string, prepend: string, strip: boolean, chunkSize = input.length || 1, addMissing: MissingHeaders | null = null): Promise<{ text: string; rewriter: HeaderRewriter }> {
  const rewriter = new HeaderRewriter(prepend, strip, addMissing);
  const out: Buffer[] = [];
  rewriter.on('data', (chunk: Buffer) => out.push(chunk));
  const done = new Promise((resolve) => rewriter.on('end', resolve));
  const chunks = input === '' ? [] : (input.match(new RegExp(`[\\s\\S]{1,${chunkSize}}`, 'g')) ?? []);
  Readable.from(chunks.map((c) => Buffer.from(c))).pipe(rewriter);
  await done;
  return { text: Buffer.concat(out).toString(), rewriter };
}

const TRACE = 'Received: from us\r\n';
const MESSAGE = 'Received: from laptop (192.168.1.20)\r\n\tby mua; Sat, 21 Nov 2026\r\nSubject: hi\r\nMessage-ID:\r\n <abc@example.org>\r\nReceived: from other\r\n\r\nReceived: in the body stays\r\n';

describe('HeaderRewriter', () => {
  it('puts our trace field first and keeps the message as it was', async () => {
    for (const size of [1, 3, 7, 1000]) {
      const { text, rewriter } = await rewrite(MESSAGE, TRACE, false, size);
      assert.equal(text, TRACE + MESSAGE, `chunks of ${size}`);
      assert.equal(rewriter.messageId, '<abc@example.org>');
    }
  });

  it('drops every Received field of the header (folded lines included) when stripping, never in the body', async () => {
    for (const size of [1, 5, 1000]) {
      const { text, rewriter } = await rewrite(MESSAGE, '', true, size);
      assert.equal(text, 'Subject: hi\r\nMessage-ID:\r\n <abc@example.org>\r\n\r\nReceived: in the body stays\r\n', `chunks of ${size}`);
      assert.equal(rewriter.stripped, 2);
    }
  });

  it('counts the header\'s Received fields (the hop count, RFC 5321 §6.3), stripped or kept, never those in the body', async () => {
    for (const strip of [false, true]) {
      for (const size of [1, 4, 1000]) assert.equal((await rewrite(MESSAGE, TRACE, strip, size)).rewriter.received, 2, `strip ${strip}, chunks of ${size}`);
    }
    assert.equal((await rewrite('RECEIVED: a\r\nreceived : b\r\nX-Received: c\r\n\r\n', '', false)).rewriter.received, 2);
  });

  it('handles a message without a header, one without a body, and an empty one', async () => {
    assert.equal((await rewrite('\r\nbody only\r\n', TRACE, true)).text, `${TRACE}\r\nbody only\r\n`);
    assert.equal((await rewrite('Subject: x\r\nReceived: y\r\n', TRACE, true)).text, `${TRACE}Subject: x\r\n`);
    assert.equal((await rewrite('', TRACE, false)).text, TRACE);
  });

  it('passes an endless header on untouched after header_size_limit', async () => {
    const header = 'X-Filler: yes\r\n'.repeat(10_000);
    const { text } = await rewrite(`${header}\r\nbody\r\n`, TRACE, true, 4096);
    assert.equal(text, `${TRACE}${header}\r\nbody\r\n`);
  });
});

describe('HeaderRewriter adding what our users\' mail lacks (Postfix cleanup, always_add_missing_headers = no)', () => {
  const ours: MissingHeaders = { hostname: 'mail.example.com', date: new Date(Date.UTC(2026, 11, 7, 1, 2, 3)) };

  it('adds Date and Message-ID at the end of the header (RFC 5322 §3.6, RFC 6409 §8.3), in any chunking', async () => {
    for (const size of [1, 6, 1000]) {
      const { text, rewriter } = await rewrite('From: a@example.com\r\nSubject: bare\r\n\r\nbody\r\n', TRACE, false, size, ours);
      assert.match(text, /^Received: from us\r\nFrom: a@example\.com\r\nSubject: bare\r\nDate: Mon, 7 Dec 2026 01:02:03 \+0000\r\nMessage-ID: <[0-9a-z]+\.[0-9a-f]{16}@mail\.example\.com>\r\n\r\nbody\r\n$/, `chunks of ${size}`);
      assert.match(rewriter.messageId ?? '', /@mail\.example\.com>$/, 'the log names the added Message-ID');
    }
  });

  it('keeps a Date and a Message-ID the message has, whatever their case or folding', async () => {
    const input = 'DATE: Sun, 6 Dec 2026 10:00:00 +0100\r\nmessage-id:\r\n <own@example.com>\r\n\r\nbody\r\n';
    assert.equal((await rewrite(input, TRACE, false, 1000, ours)).text, TRACE + input);
  });

  it('adds only the one that is missing, also to a message without a header or a body', async () => {
    assert.match((await rewrite('Date: Sun, 6 Dec 2026 10:00:00 +0100\r\n\r\nx\r\n', '', false, 1000, ours)).text, /^Date: Sun, 6 Dec 2026 10:00:00 \+0100\r\nMessage-ID: <[^>]+>\r\n\r\nx\r\n$/);
    assert.match((await rewrite('\r\nbody only\r\n', '', false, 1000, ours)).text, /^Date: [^\r]+\r\nMessage-ID: <[^>]+>\r\n\r\nbody only\r\n$/);
    assert.match((await rewrite('Subject: no body\r\n', '', false, 1000, ours)).text, /^Subject: no body\r\nDate: [^\r]+\r\nMessage-ID: <[^>]+>\r\n$/);
  });

  it('adds nothing to mail from outside (no MissingHeaders)', async () => {
    assert.equal((await rewrite('Subject: bare\r\n\r\nbody\r\n', TRACE, false)).text, `${TRACE}Subject: bare\r\n\r\nbody\r\n`);
  });
});

describe('receivedHeader', () => {
  it('writes Postfix-style trace fields with the TLS protocol and cipher', () => {
    const header = receivedHeader({
      helo: 'client.example.org',
      clientHostname: 'client.example.org',
      clientAddress: '192.0.2.1',
      hostname: 'mail.example.com',
      protocol: withProtocol({ ehlo: true, tls: true, authenticated: true, smtputf8: false }),
      queueId: '6b00000000000000000000aa',
      tls: { name: 'TLS_AES_256_GCM_SHA384', standardName: 'TLS_AES_256_GCM_SHA384', version: 'TLSv1.3' },
      recipient: 'alice@example.com',
      date: new Date(Date.UTC(2026, 10, 21, 10, 0, 0)),
    });
    assert.equal(
      header,
      'Received: from client.example.org (client.example.org [192.0.2.1])\r\n' +
        '\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)\r\n' +
        '\tby mail.example.com (Postern) with ESMTPSA id 6b00000000000000000000aa\r\n' +
        '\tfor <alice@example.com>; Sat, 21 Nov 2026 10:00:00 +0000\r\n',
    );
  });

  it('keeps a hostile HELO from opening comments or breaking the line', () => {
    const header = receivedHeader({
      helo: 'evil) (by x\r\nX-Injected: yes',
      clientHostname: null,
      clientAddress: '192.0.2.1',
      hostname: 'mail.example.com',
      protocol: 'SMTP',
      queueId: 'q',
      tls: false,
      recipient: null,
      date: new Date(0),
    });
    assert.equal(header.split('\r\n')[0], 'Received: from evil???by?x??X-Injected:?yes (unknown [192.0.2.1])');
    assert.equal(header.split('\r\n').length, 4);
  });

  it('names the protocol as RFC 3848 and RFC 6531 do', () => {
    assert.equal(withProtocol({ ehlo: false, tls: false, authenticated: false, smtputf8: false }), 'SMTP');
    assert.equal(withProtocol({ ehlo: true, tls: true, authenticated: false, smtputf8: false }), 'ESMTPS');
    assert.equal(withProtocol({ ehlo: true, tls: false, authenticated: true, smtputf8: false }), 'ESMTPA');
    assert.equal(withProtocol({ ehlo: true, tls: true, authenticated: true, smtputf8: true }), 'UTF8SMTPSA');
  });
});
