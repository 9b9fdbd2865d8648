// A scanner that is down, silent, or talking nonsense gives 'unavailable' (never an exception, never a hang).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateConfig } from '@postern/config';
import { createContentScanner, type ContentScanner, type ScanFacts, type ScanResult } from '../src/index.js';
import { freePort } from '../../../test/support/ports.js';
import { gtubeMessage, message } from './messages.js';
import { requestComplete, startScriptedServer } from './scripted-server.js';

const facts: ScanFacts = {
  ip: '192.0.2.7',
  helo: 'mx.remote.example',
  from: 'sam@remote.example',
  recipients: ['alice@example.com'],
  hostname: 'mx.remote.example',
  queueId: '4XyZ1a2B3c',
  user: null,
};

const SCANNERS = ['spamd', 'rspamd'] as const;

function scannerFor(scanner: (typeof SCANNERS)[number], address: string, settings: Record<string, unknown> = {}): ContentScanner {
  const config = validateConfig({ hostname: 'mail.example.com', content_filter: { scanner, address, timeout: '1s', ...settings } }, 'test config');
  const created = createContentScanner(config);
  assert.ok(created);
  return created;
}

async function timed(scan: Promise<ScanResult>): Promise<{ result: ScanResult; ms: number }> {
  const started = Date.now();
  const result = await scan;
  return { result, ms: Date.now() - started };
}

function assertUnavailable(result: ScanResult, detail: RegExp): void {
  assert.equal(result.status, 'unavailable', result.detail);
  assert.equal(result.headers, '');
  assert.equal(result.score, null);
  assert.equal(result.threshold, null);
  assert.match(result.detail, detail);
}

describe('content scanner configuration', () => {
  it('gives no scanner when content_filter.scanner is "none"', () => {
    assert.equal(createContentScanner(validateConfig({ hostname: 'mail.example.com' }, 'test config')), null);
  });

  it("takes the scanner's usual port when the address has none", async () => {
    const result = await scannerFor('spamd', '[127.0.0.1]').scan(message(), facts);
    assert.match(result.detail, /^spamd 127\.0\.0\.1:783: /);
    const rspamd = await scannerFor('rspamd', '127.0.0.1').scan(message(), facts);
    assert.match(rspamd.detail, /^rspamd 127\.0\.0\.1:11333: /);
  });
});

for (const kind of SCANNERS) {
  describe(`${kind} scanner when the scanner misbehaves`, () => {
    it('is unavailable at once when nothing listens at the address', async () => {
      const port = await freePort();
      const { result, ms } = await timed(scannerFor(kind, `127.0.0.1:${port}`).scan(message(), facts));
      assertUnavailable(result, new RegExp(`^${kind} 127\\.0\\.0\\.1:${port}: connection refused$`));
      assert.ok(ms < 500, `${ms} ms`);
    });

    it('is unavailable after content_filter.timeout when the scanner accepts and never answers', async () => {
      const server = await startScriptedServer();
      try {
        const { result, ms } = await timed(scannerFor(kind, server.address).scan(message(), facts));
        assertUnavailable(result, /no answer within 1000 ms$/);
        assert.ok(ms >= 950 && ms < 3000, `${ms} ms`);
        assert.equal(server.connections, 1);
      } finally {
        await server.close();
      }
    });

    it('is unavailable when the scanner answers garbage', async () => {
      const server = await startScriptedServer((socket, received) => {
        if (requestComplete(received)) socket.end('HELLO THERE, THIS IS NOT A SCANNER\r\n\r\n');
      });
      try {
        const { result, ms } = await timed(scannerFor(kind, server.address).scan(message(), facts));
        assertUnavailable(result, /malformed/);
        assert.ok(ms < 1000, `${ms} ms`);
      } finally {
        await server.close();
      }
    });

    it('is unavailable when the scanner closes the connection without a word', async () => {
      const server = await startScriptedServer((socket) => socket.destroy());
      try {
        const { result } = await timed(scannerFor(kind, server.address).scan(message(), facts));
        assert.equal(result.status, 'unavailable', result.detail);
      } finally {
        await server.close();
      }
    });

    it('is unavailable when the scanner sends an endless answer', async () => {
      const server = await startScriptedServer((socket, received) => {
        if (!requestComplete(received)) return;
        const junk = Buffer.alloc(64 * 1024, 'A');
        const pump = (): void => {
          while (!socket.destroyed && socket.write(junk));
          if (!socket.destroyed) socket.once('drain', pump);
        };
        socket.write(kind === 'spamd' ? 'SPAMD/1.1 0 EX_OK\r\n' : 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n');
        pump();
      });
      try {
        const { result, ms } = await timed(scannerFor(kind, server.address, { timeout: '10s' }).scan(message(), facts));
        assert.equal(result.status, 'unavailable', result.detail);
        assert.ok(ms < 5000, `${ms} ms: ${result.detail}`);
      } finally {
        await server.close();
      }
    });

    it('does not connect at all for a message over content_filter.max_size', async () => {
      const server = await startScriptedServer();
      try {
        const result = await scannerFor(kind, server.address, { max_size: '1K' }).scan(Buffer.concat([message({ body: 'x'.repeat(2000) }), gtubeMessage()]), facts);
        assert.equal(result.status, 'skipped');
        assert.equal(result.headers, '');
        assert.equal(server.connections, 0);
      } finally {
        await server.close();
      }
    });
  });
}

describe('spamd protocol details', () => {
  it('sends SYMBOLS SPAMC/1.5 with Content-length, User and the message bytes unchanged', async () => {
    const server = await startScriptedServer((socket, received) => {
      if (requestComplete(received)) socket.end('SPAMD/1.1 0 EX_OK\r\nContent-length: 13\r\nSpam: False ; 1.2 / 5.0\r\n\r\nRULE_B,RULE_A');
    });
    try {
      const sent = message();
      const result = await scannerFor('spamd', server.address).scan(sent, { ...facts, user: 'alice@example.com' });
      assert.equal(result.status, 'clean', result.detail);
      assert.equal(result.score, 1.2);
      assert.equal(result.threshold, 5);
      assert.equal(result.headers, 'X-Spam-Flag: NO\r\nX-Spam-Score: 1.2\r\nX-Spam-Status: No, score=1.2 required=5.0 tests=RULE_A,RULE_B\r\n');
      const request = server.received[0] ?? Buffer.alloc(0);
      const head = `SYMBOLS SPAMC/1.5\r\nContent-length: ${sent.length}\r\nUser: alice@example.com\r\n\r\n`;
      assert.equal(request.subarray(0, head.length).toString('latin1'), head);
      assert.ok(request.subarray(head.length).equals(sent), 'the message follows the head unchanged');
    } finally {
      await server.close();
    }
  });

  it('leaves out User when there is no login, and keeps a login with CR LF on one line', async () => {
    const server = await startScriptedServer((socket, received) => {
      if (requestComplete(received)) socket.end('SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\nSpam: True ; 6.5 / 5.0\r\n\r\n');
    });
    try {
      const none = await scannerFor('spamd', server.address).scan(message(), facts);
      assert.equal(none.status, 'spam', none.detail);
      assert.match(none.headers, /tests=none\r\n$/);
      assert.doesNotMatch((server.received[0] ?? Buffer.alloc(0)).toString('latin1').split('\r\n\r\n')[0] ?? '', /User:/);
      await scannerFor('spamd', server.address).scan(message(), { ...facts, user: 'eve\r\nUser: root' });
      const head = (server.received[1] ?? Buffer.alloc(0)).toString('latin1').split('\r\n\r\n')[0] ?? '';
      assert.deepEqual(head.split('\r\n').filter((line) => line.startsWith('User:')), ['User: eveUser:root']);
    } finally {
      await server.close();
    }
  });

  it('is unavailable when spamd answers an error code', async () => {
    const server = await startScriptedServer((socket) => socket.end('SPAMD/1.0 76 Bad header line: (EOF)\r\n\r\n'));
    try {
      assertUnavailable(await scannerFor('spamd', server.address).scan(message(), facts), /answered "SPAMD\/1\.0 76 Bad header line: \(EOF\)"/);
    } finally {
      await server.close();
    }
  });

  it('is unavailable when spamd closes before the whole answer arrived', async () => {
    const server = await startScriptedServer((socket, received) => {
      if (requestComplete(received)) socket.end('SPAMD/1.1 0 EX_OK\r\nContent-length: 50\r\nSpam: True ; 9.0 / 5.0\r\n\r\nGTUBE');
    });
    try {
      assertUnavailable(await scannerFor('spamd', server.address).scan(message(), facts), /45 bytes short/);
    } finally {
      await server.close();
    }
  });

  it('is unavailable when the Spam: line is missing or malformed', async () => {
    const server = await startScriptedServer((socket, received) => {
      if (requestComplete(received)) socket.end('SPAMD/1.1 0 EX_OK\r\nContent-length: 0\r\nSpam: maybe\r\n\r\n');
    });
    try {
      assertUnavailable(await scannerFor('spamd', server.address).scan(message(), facts), /without a valid Spam: line/);
    } finally {
      await server.close();
    }
  });
});

describe('rspamd protocol details', () => {
  const answer = (socket: import('node:net').Socket, status: string, body: string): void => {
    socket.end(`HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  };

  it('POSTs to /checkv2 with one Rcpt header per recipient, UTF-8 addresses intact and no header injection', async () => {
    const server = await startScriptedServer((socket, received) => {
      if (requestComplete(received)) answer(socket, '200 OK', '{"action":"no action","score":-0.5,"required_score":15,"symbols":{"MIME_GOOD":{"score":-0.1}}}');
    });
    try {
      const sent = message();
      const result = await scannerFor('rspamd', server.address).scan(sent, {
        ...facts,
        recipients: ['jörg@example.com', 'bob@example.com'],
        queueId: 'Q1\r\nPass: all',
        user: 'sam',
      });
      assert.equal(result.status, 'clean', result.detail);
      assert.equal(result.score, -0.5);
      const request = server.received[0] ?? Buffer.alloc(0);
      const end = request.indexOf('\r\n\r\n');
      const lines = request.subarray(0, end).toString('utf8').split('\r\n');
      assert.equal(lines[0], 'POST /checkv2 HTTP/1.1');
      const values = (name: string): string[] => lines.filter((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`)).map((line) => line.slice(name.length + 1).trim());
      assert.deepEqual(values('Rcpt'), ['jörg@example.com', 'bob@example.com']);
      assert.deepEqual(values('IP'), ['192.0.2.7']);
      assert.deepEqual(values('Helo'), ['mx.remote.example']);
      assert.deepEqual(values('From'), ['sam@remote.example']);
      assert.deepEqual(values('Queue-Id'), ['Q1  Pass: all']);
      assert.deepEqual(values('Pass'), []);
      assert.deepEqual(values('User'), ['sam']);
      assert.deepEqual(values('Hostname'), ['mx.remote.example']);
      assert.deepEqual(values('Content-Length'), [String(sent.length)]);
      assert.ok(request.subarray(end + 4).equals(sent), 'the message is the body, unchanged');
    } finally {
      await server.close();
    }
  });

  it('sends an IPv4-mapped client address as plain IPv4 and leaves out an IP that is not one', async () => {
    const server = await startScriptedServer((socket, received) => {
      if (requestComplete(received)) answer(socket, '200 OK', '{"action":"no action","score":0,"required_score":15,"symbols":{}}');
    });
    try {
      await scannerFor('rspamd', server.address).scan(message(), { ...facts, ip: '::ffff:192.0.2.7' });
      await scannerFor('rspamd', server.address).scan(message(), { ...facts, ip: 'unknown' });
      assert.match((server.received[0] ?? Buffer.alloc(0)).toString('latin1'), /\r\nIP: 192\.0\.2\.7\r\n/);
      assert.doesNotMatch((server.received[1] ?? Buffer.alloc(0)).toString('latin1'), /\r\nIP:/i);
    } finally {
      await server.close();
    }
  });

  it('sends the null sender as From: <>', async () => {
    const server = await startScriptedServer((socket, received) => {
      if (requestComplete(received)) answer(socket, '200 OK', '{"action":"no action","score":0,"required_score":15,"symbols":{}}');
    });
    try {
      await scannerFor('rspamd', server.address).scan(message(), { ...facts, from: '' });
      assert.match((server.received[0] ?? Buffer.alloc(0)).toString('latin1'), /\r\nFrom: <>\r\n/);
    } finally {
      await server.close();
    }
  });

  it('treats greylist and soft reject as not spam', async () => {
    for (const action of ['greylist', 'soft reject']) {
      const server = await startScriptedServer((socket, received) => {
        if (requestComplete(received)) answer(socket, '200 OK', JSON.stringify({ action, score: 4.5, required_score: 15, symbols: { SOME_RULE: {} } }));
      });
      try {
        const result = await scannerFor('rspamd', server.address).scan(message(), facts);
        assert.equal(result.status, 'clean', `${action}: ${result.detail}`);
        assert.match(result.headers, /^X-Spam-Flag: NO\r\n/);
      } finally {
        await server.close();
      }
    }
  });

  it('is unavailable on an HTTP error, on a body that is not JSON and on JSON without action and score', async () => {
    const cases: [string, string, RegExp][] = [
      ['500 Internal Server Error', '{"error":"cannot process"}', /answered HTTP 500 Internal Server Error/],
      ['200 OK', '<html>not json</html>', /malformed answer \(not JSON\)/],
      ['200 OK', '{"error":"task timeout"}', /answer without action and score: task timeout/],
      ['200 OK', '{"action":"reject","score":"high"}', /answer without action and score/],
    ];
    for (const [status, body, detail] of cases) {
      const server = await startScriptedServer((socket, received) => {
        if (requestComplete(received)) answer(socket, status, body);
      });
      try {
        assertUnavailable(await scannerFor('rspamd', server.address).scan(message(), facts), detail);
      } finally {
        await server.close();
      }
    }
  });
});
