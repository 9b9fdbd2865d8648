// check_policy_service against a small policy server written from SMTPD_POLICY_README:
// the attributes it is told, the access(5) actions it may answer, connection reuse,
// and Postfix's default action when the service is down or silent.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { facts, openWorld, reply, type TestWorld } from './helpers.js';

interface PolicyServer {
  port: number;
  /** Every request, as a map of its attributes. */
  requests: Map<string, string>[];
  /** How many connections the MTA side opened. */
  connections: number;
  /** The action to answer (null: never answer). */
  action: string | null;
  close(): Promise<void>;
}

async function startPolicyServer(socketPath?: string): Promise<PolicyServer> {
  const state: PolicyServer = { port: 0, requests: [], connections: 0, action: 'DUNNO', close: async () => {} };
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString();
      // SMTPD_POLICY_README: "a sequence of name=value lines, ending in an empty line".
      let end;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const request = new Map(buffered.slice(0, end).split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as [string, string]));
        buffered = buffered.slice(end + 2);
        state.requests.push(request);
        if (state.action !== null) socket.write(`action=${state.action}\n\n`);
      }
    });
  });
  if (socketPath) await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  else {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    state.port = (server.address() as { port: number }).port;
  }
  state.close = () =>
    new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return state;
}

describe('check_policy_service (Postfix policy delegation)', { timeout: 60_000 }, () => {
  let world: TestWorld;
  let service: PolicyServer;
  before(async () => {
    world = await openWorld();
    service = await startPolicyServer();
  });
  after(async () => {
    await service?.close();
    await world?.close();
  });
  const settings = (extra: Record<string, unknown> = {}) => ({ recipient_restrictions: [`check_policy_service inet:127.0.0.1:${service.port}`], ...extra });

  it('sends the attribute list of SMTPD_POLICY_README for RCPT, ending in an empty line', async () => {
    service.requests.length = 0;
    service.action = 'DUNNO';
    const verdict = await world.verdict(settings(), 'rcpt', {
      saslUsername: 'alice@example.com',
      session: { id: 'abc123', queueId: 'Q1', protocolName: 'ESMTP', clientPort: 40000, serverAddress: '192.0.2.1', serverPort: 25, size: 1234, saslMethod: 'PLAIN', tlsProtocol: 'TLSv1.3', tlsCipher: 'TLS_AES_256_GCM_SHA384' },
    });
    assert.equal(reply(verdict), 'accept');
    const request = service.requests.at(-1)!;
    const expected: Record<string, string> = {
      request: 'smtpd_access_policy',
      protocol_state: 'RCPT',
      protocol_name: 'ESMTP',
      helo_name: 'mail.sender.example',
      queue_id: 'Q1',
      sender: 'someone@sender.example',
      recipient: 'alice@example.com',
      recipient_count: '0',
      client_address: '203.0.113.5',
      client_name: 'mail.sender.example',
      reverse_client_name: 'mail.sender.example',
      instance: 'abc123.Q1',
      sasl_method: 'PLAIN',
      sasl_username: 'alice@example.com',
      size: '1234',
      encryption_protocol: 'TLSv1.3',
      encryption_cipher: 'TLS_AES_256_GCM_SHA384',
      client_port: '40000',
      server_address: '192.0.2.1',
      server_port: '25',
    };
    for (const [name, value] of Object.entries(expected)) assert.equal(request.get(name), value, name);
    assert.ok(request.has('ccert_subject') && request.has('etrn_domain'), 'attributes Postern does not have are sent empty');
  });

  it('a client without verified names is "unknown", as Postfix writes it', async () => {
    await world.verdict(settings(), 'rcpt', { clientHostname: null, reverseClientHostname: null });
    assert.equal(service.requests.at(-1)!.get('client_name'), 'unknown');
    assert.equal(service.requests.at(-1)!.get('reverse_client_name'), 'unknown');
  });

  it('answers with the access(5) action: REJECT text, 4xx text, OK', async () => {
    service.action = 'REJECT no thanks';
    assert.equal(reply(await world.verdict(settings(), 'rcpt')), '554 5.7.1 <alice@example.com>: Recipient address rejected: no thanks');
    service.action = '450 4.7.1 try later';
    assert.equal(reply(await world.verdict(settings(), 'rcpt')), '450 4.7.1 <alice@example.com>: Recipient address rejected: try later');
    service.action = 'OK';
    assert.equal(reply(await world.verdict(settings({ recipient_restrictions: [`check_policy_service inet:127.0.0.1:${service.port}`, 'reject'] }), 'rcpt')), 'accept');
  });

  it('DEFER_IF_PERMIT defers a command the other rules accept (postgrey), and yields to a later reject', async () => {
    service.action = 'DEFER_IF_PERMIT Greylisted';
    assert.equal(reply(await world.verdict(settings(), 'rcpt')), '450 4.7.1 <alice@example.com>: Recipient address rejected: Greylisted');
    const rejected = await world.verdict(settings({ recipient_restrictions: [`check_policy_service inet:127.0.0.1:${service.port}`, 'reject'] }), 'rcpt');
    assert.match(reply(rejected), /^554 /);
  });

  it('DEFER_IF_REJECT turns a later 5xx into a 450', async () => {
    service.action = 'DEFER_IF_REJECT maybe later';
    const verdict = await world.verdict(settings({ recipient_restrictions: [`check_policy_service inet:127.0.0.1:${service.port}`, 'reject'] }), 'rcpt');
    assert.equal(reply(verdict), '450 4.7.1 <alice@example.com>: Recipient address rejected: maybe later');
  });

  it('PREPEND hands a header field to the MTA; WARN only logs', async () => {
    service.action = 'PREPEND X-Greylist: delayed 1 seconds';
    const verdict = await world.verdict(settings(), 'rcpt');
    assert.equal(verdict.action, 'accept');
    assert.deepEqual(verdict.action === 'accept' ? verdict.prepend : null, ['X-Greylist: delayed 1 seconds']);
    service.action = 'WARN looks odd';
    const warned = await world.verdict(settings(), 'rcpt');
    assert.equal(warned.action, 'accept');
    assert.ok(warned.warnings.some((line) => line.includes('looks odd')));
  });

  it('reuses one connection for the requests of a compiled policy', async () => {
    const { compilePolicy } = await import('../src/index.js');
    const { configWith } = await import('./helpers.js');
    service.action = 'DUNNO';
    const policy = compilePolicy(configWith(settings()));
    const before = service.connections;
    for (let i = 0; i < 5; i++) await policy.evaluate('rcpt', facts(), world.env);
    assert.equal(service.connections - before, 1);
  });

  it('a service that is down gets Postfix default action, 451 4.3.5, and a warning', async () => {
    const verdict = await world.verdict({ recipient_restrictions: ['check_policy_service inet:127.0.0.1:1'] }, 'rcpt');
    assert.equal(reply(verdict), '451 4.3.5 <alice@example.com>: Recipient address rejected: Server configuration problem');
    assert.ok(verdict.warnings.some((line) => line.includes('problem talking to inet:127.0.0.1:1')));
  });

  it('a service that does not answer within policy_service_timeout gets the configured default action', async () => {
    service.action = null;
    const started = Date.now();
    const verdict = await world.verdict(settings({ policy_service_timeout: '1s', policy_service_default_action: 'DUNNO' }), 'rcpt');
    service.action = 'DUNNO';
    assert.equal(reply(verdict), 'accept');
    assert.ok(Date.now() - started < 5000);
    assert.ok(verdict.warnings.some((line) => line.includes('no reply within 1000 ms')));
  });

  it('speaks the same protocol over a unix:/path socket', async () => {
    const path = join(world.dir, 'policy.sock');
    const local = await startPolicyServer(path);
    try {
      local.action = '554 5.7.1 not over this socket';
      assert.equal(reply(await world.verdict({ recipient_restrictions: [`check_policy_service unix:${path}`] }, 'rcpt')), '554 5.7.1 <alice@example.com>: Recipient address rejected: not over this socket');
      assert.equal(local.requests.at(-1)?.get('request'), 'smtpd_access_policy');
    } finally {
      await local.close();
    }
  });

  it('an endpoint that is not inet:host:port or unix:/path is a config error', async () => {
    await assert.rejects(() => world.verdict({ recipient_restrictions: ['check_policy_service 127.0.0.1:10023'] }, 'rcpt'), /check_policy_service 127\.0\.0\.1:10023: .*inet:host:port or unix:\/path/);
    await assert.rejects(() => world.verdict({ recipient_restrictions: ['check_policy_service unix:private/policy'] }, 'rcpt'), /absolute/);
  });
});
