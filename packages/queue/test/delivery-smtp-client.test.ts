import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDnsServer, type DnsTestServer } from '../../../test/support/dns-server.js';
import { freePort } from '../../../test/support/ports.js';
import { deliver } from '../src/delivery/index.js';
import { xtext } from '../src/delivery/envelope.js';
import { parseNextHop } from '../src/delivery/next-hop.js';
import { Capabilities, dotStuffed, dotStuffedChunks, formatReply, ReplyParser, SmtpClientError, type SmtpReply } from '../src/smtp-client/index.js';
import { testConfig, testContext, testRequest } from './support/delivery-context.js';
import { startRemoteSmtp } from '../../../test/support/remote-smtp.js';
import { startScriptedServer } from './support/scripted-server.js';
import { waitFor } from './runner-world.js';

function parseAll(...chunks: string[]): SmtpReply[] {
  const parser = new ReplyParser();
  return chunks.flatMap((chunk) => parser.push(Buffer.from(chunk, 'utf8')));
}

function protocolError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof SmtpClientError && error.kind === 'protocol', String(error));
    return error.message;
  }
  assert.fail('expected a protocol error');
}

describe('SMTP client: replies (RFC 5321 §4.2, RFC 2034)', () => {
  test('gathers a multi-line reply and drops the enhanced code repeated on each line', () => {
    const [reply] = parseAll('550-5.7.1 Message rejected\r\n550-5.7.1 see https://example.test/why\r\n550 5.7.1 for details\r\n');
    assert.deepEqual(reply, { code: 550, enhanced: '5.7.1', lines: ['Message rejected', 'see https://example.test/why', 'for details'] });
    assert.equal(formatReply(reply!), '550 5.7.1 Message rejected see https://example.test/why for details');
  });

  test('reads replies split across reads, with bare LF line ends', () => {
    const replies = parseAll('250-mx.test hel', 'lo\n250-PIPELINING\r\n250 SIZE 1000', '\r\n221 2.0.0 Bye\n');
    assert.deepEqual(replies.map((reply) => [reply.code, reply.lines]), [[250, ['mx.test hello', 'PIPELINING', 'SIZE 1000']], [221, ['Bye']]]);
  });

  test('ignores an enhanced code of another class than the reply', () => {
    const [reply] = parseAll('450 5.1.1 odd server\r\n');
    assert.equal(reply?.enhanced, null);
    assert.equal(formatReply(reply!), '450 5.1.1 odd server');
  });

  test('refuses a line over 4096 octets, a non-reply, and a code change inside a multi-line reply', () => {
    assert.match(protocolError(() => parseAll(`250 ${'x'.repeat(4100)}\r\n`)), /longer than 4096 octets/);
    assert.match(protocolError(() => parseAll('x'.repeat(5000))), /longer than 4096 octets/);
    assert.match(protocolError(() => parseAll('hello there\r\n')), /malformed reply/);
    assert.match(protocolError(() => parseAll('250-one\r\n251 two\r\n')), /changes its code/);
  });

  test('reads EHLO keywords, old AUTH= lines, SIZE and an empty last line', () => {
    const [reply] = parseAll('250-mx.test\r\n250-AUTH PLAIN LOGIN\r\n250-AUTH=LOGIN CRAM-MD5\r\n250-SIZE 0\r\n250-starttls\r\n250 \r\n');
    const capabilities = Capabilities.fromHello(reply!);
    assert.deepEqual(capabilities.authMechanisms, ['PLAIN', 'LOGIN', 'CRAM-MD5']);
    assert.equal(capabilities.sizeLimit, null);
    assert.ok(capabilities.has('STARTTLS'));
    assert.deepEqual(capabilities.list(), ['AUTH', 'SIZE', 'STARTTLS']);
  });
});

describe('SMTP client: dot-stuffing (RFC 5321 §4.5.2)', () => {
  const stuff = (text: string) => Buffer.concat([...dotStuffed(Buffer.from(text, 'latin1'))]).toString('latin1');

  test('doubles a dot that begins a line and ends the content with CRLF', () => {
    assert.equal(stuff('.first\r\nmiddle\r\n.\r\n..two\r\nlast'), '..first\r\nmiddle\r\n..\r\n...two\r\nlast\r\n');
    assert.equal(stuff('a.b\r\n'), 'a.b\r\n');
    assert.equal(stuff(''), '');
  });

  test('stuffs a large message the same as line-by-line stuffing would', () => {
    const lines: string[] = [];
    for (let i = 0; i < 20000; i++) lines.push(i % 7 === 0 ? `.line ${i} ${'x'.repeat(i % 90)}` : `line ${i}`);
    const message = lines.join('\r\n') + '\r\n';
    const expected = lines.map((line) => (line.startsWith('.') ? `.${line}` : line)).join('\r\n') + '\r\n';
    const chunks = [...dotStuffed(Buffer.from(message, 'latin1'))];
    assert.ok(chunks.length > 1);
    assert.equal(Buffer.concat(chunks).toString('latin1'), expected);
  });

  test('stuffs a message read in chunks the same, wherever the chunks are cut (a line start may begin a chunk)', async () => {
    const message = '.a\r\n.\r\nb.c\r\n..d\r\n\r\n.e\r\nlast';
    const whole = stuff(message);
    for (let cut = 0; cut <= message.length; cut++) {
      for (let second = cut; second <= message.length; second++) {
        async function* pieces() {
          yield Buffer.from(message.slice(0, cut), 'latin1');
          yield Buffer.from(message.slice(cut, second), 'latin1');
          yield Buffer.from(message.slice(second), 'latin1');
        }
        const out: Buffer[] = [];
        for await (const chunk of dotStuffedChunks(pieces())) out.push(chunk);
        assert.equal(Buffer.concat(out).toString('latin1'), whole, `cut at ${cut} and ${second}`);
      }
    }
  });
});

describe('delivery parameters', () => {
  test('xtext-encodes "+", "=", spaces and non-ASCII (RFC 3461 §4)', () => {
    assert.equal(xtext('a+b=c d'), 'a+2Bb+3Dc+20d');
    assert.equal(xtext('zoë'), 'zo+C3+AB');
  });

  test('reads next hops in Postfix syntax', () => {
    assert.deepEqual(parseNextHop('[smtp.sendgrid.net]:587', 25), { host: 'smtp.sendgrid.net', port: 587, mx: false });
    assert.deepEqual(parseNextHop('[10.0.0.5]', 25), { host: '10.0.0.5', port: 25, mx: false });
    assert.deepEqual(parseNextHop('Relay.Example.com:2525', 25), { host: 'relay.example.com', port: 2525, mx: true });
    assert.deepEqual(parseNextHop('relay.example.com', 26), { host: 'relay.example.com', port: 26, mx: true });
    assert.deepEqual(parseNextHop('[::1]:25', 25), { host: '::1', port: 25, mx: false });
  });
});

// This part's servers live on 127.0.0.100-119.
describe('SMTP client against scripted servers', () => {
  let dns: DnsTestServer;
  let port: number;

  before(async () => {
    port = await freePort();
    const zone: Parameters<typeof startDnsServer>[0] = {};
    for (let i = 100; i < 110; i++) {
      zone[`d${i}.test`] = { MX: [{ exchange: `mx.d${i}.test`, priority: 10 }] };
      zone[`mx.d${i}.test`] = { A: [`127.0.0.${i}`] };
    }
    dns = await startDnsServer(zone);
  });
  after(() => dns.stop());

  const config = (extra = '') => testConfig(`[smtp]\nport = ${port}\nconnect_timeout = "3s"\ntimeout = "3s"\n${extra}`);

  test('defers with a protocol error (4.5.0) on a reply line over 4096 octets', async () => {
    const server = await startScriptedServer('127.0.0.100', port, '220 mx ESMTP\r\n', (line) => (line.startsWith('EHLO') ? `250 ${'x'.repeat(5000)}\r\n` : '250 ok\r\n'));
    try {
      const { ctx } = testContext({ config: config(), dns: dns.address });
      const [outcome] = await deliver(ctx, testRequest(['a@d100.test']));
      assert.equal(outcome?.status, 'deferred');
      assert.equal(outcome?.dsn, '4.5.0');
      assert.equal(outcome?.response, `4.5.0 protocol error with mx.d100.test[127.0.0.100]:${port} while performing the EHLO handshake: reply line longer than 4096 octets`);
    } finally {
      await server.stop();
    }
  });

  test('accepts multi-line greetings and replies, and QUITs politely', async () => {
    const server = await startScriptedServer('127.0.0.101', port, '220-mx.d101.test ESMTP\r\n220-second line\r\n220 ready\r\n', (line) => {
      if (line.startsWith('EHLO')) return '250-mx.d101.test\r\n250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n';
      if (line === 'DATA') return '354 go ahead\r\n';
      if (line === '.') return '250-2.0.0 Ok\r\n250 2.0.0 queued as X1\r\n';
      if (line === 'QUIT') return '221 2.0.0 Bye\r\n';
      return '250 2.1.0 Ok\r\n';
    });
    try {
      const { ctx } = testContext({ config: config(), dns: dns.address });
      const [outcome] = await deliver(ctx, testRequest(['a@d101.test']));
      assert.equal(outcome?.status, 'delivered');
      assert.equal(outcome?.response, '250 2.0.0 Ok queued as X1');
      // The outcome is known (and recorded) at the final reply; QUIT follows without holding it up.
      await waitFor('QUIT', () => server.received.includes('QUIT'), 5000);
      assert.deepEqual(server.received, ['EHLO mail.test.example', 'MAIL FROM:<alice@test.example>', 'RCPT TO:<a@d101.test>', 'DATA', '.', 'QUIT']);
    } finally {
      await server.stop();
    }
  });

  test('sends an empty message to end DATA when the server said 354 after refusing every recipient (RFC 2920 §3.1)', async () => {
    const server = await startScriptedServer('127.0.0.102', port, '220 mx\r\n', (line) => {
      if (line.startsWith('EHLO')) return '250-mx\r\n250 PIPELINING\r\n';
      if (line.startsWith('RCPT')) return '550 5.1.1 unknown\r\n';
      if (line === 'DATA') return '354 go ahead\r\n';
      if (line === '.') return '554 5.5.1 no valid recipients\r\n';
      if (line === 'QUIT') return '221 Bye\r\n';
      return '250 Ok\r\n';
    });
    try {
      const { ctx } = testContext({ config: config(), dns: dns.address });
      const outcomes = await deliver(ctx, testRequest(['a@d102.test', 'b@d102.test']));
      assert.deepEqual(outcomes.map((o) => [o.status, o.response]), [['bounced', '550 5.1.1 unknown'], ['bounced', '550 5.1.1 unknown']]);
      await waitFor('QUIT', () => server.received.includes('QUIT'), 5000);
      assert.deepEqual(server.received.slice(1), ['MAIL FROM:<alice@test.example>', 'RCPT TO:<a@d102.test>', 'RCPT TO:<b@d102.test>', 'DATA', '.', 'QUIT']);
    } finally {
      await server.stop();
    }
  });

  test('connects from smtp.bind_address', async () => {
    const server = await startRemoteSmtp({ host: '127.0.0.103', port });
    try {
      const { ctx } = testContext({ config: config('bind_address = "127.0.0.110"'), dns: dns.address });
      const [outcome] = await deliver(ctx, testRequest(['a@d103.test']));
      assert.equal(outcome?.status, 'delivered');
      assert.equal(server.connections.at(-1)?.clientAddress, '127.0.0.110');
    } finally {
      await server.stop();
    }
  });
});
