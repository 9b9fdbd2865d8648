import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { authenticate, type DNSResolver } from 'mailauth';
import type { ZoneRecords } from '../../../test/support/dns-server.js';
import { authenticateInbound, sealKeyFor, signMessage, type InboundFacts, type InboundVerdict } from '../src/index.js';
import { configWith, fields, HOSTNAME, message, openWorld, type World } from './fixture.js';

const PERMITTED_IP = '192.0.2.10';
const OTHER_IP = '198.51.100.7';
const SPF = 'v=spf1 ip4:192.0.2.0/24 -all';

const ZONE: ZoneRecords = {
  'spf.example': { TXT: [SPF] },
  'soft.example': { TXT: ['v=spf1 ip4:192.0.2.0/24 ~all'] },
  'nospf.example': { A: [PERMITTED_IP] },
  'timeout.example': { TIMEOUT: true },
  'servfail.example': { SERVFAIL: true },
  'mail.helo.example': { A: [PERMITTED_IP], TXT: ['v=spf1 a -all'] },
  'reject.example': { TXT: [SPF] },
  '_dmarc.reject.example': { TXT: ['v=DMARC1; p=reject'] },
  'quarantine.example': { TXT: [SPF] },
  '_dmarc.quarantine.example': { TXT: ['v=DMARC1; p=quarantine'] },
  'none.example': { TXT: [SPF] },
  '_dmarc.none.example': { TXT: ['v=DMARC1; p=none'] },
  'pct.example': { TXT: [SPF] },
  '_dmarc.pct.example': { TXT: ['v=DMARC1; p=reject; pct=0'] },
  'parent.example': { TXT: [SPF] },
  '_dmarc.parent.example': { TXT: ['v=DMARC1; p=none; sp=reject'] },
  'dnsfail.example': { TXT: [SPF] },
  '_dmarc.dnsfail.example': { SERVFAIL: true },
  'spftemp.example': { TIMEOUT: true },
  '_dmarc.spftemp.example': { TXT: ['v=DMARC1; p=reject'] },
  'signer.example': { TXT: [SPF] },
  '_dmarc.signer.example': { TXT: ['v=DMARC1; p=reject'] },
  'keytimeout.example': { TXT: [SPF] },
  '_dmarc.keytimeout.example': { TXT: ['v=DMARC1; p=reject'] },
  'slow1._domainkey.keytimeout.example': { TIMEOUT: true },
  'flaky.example': { TXT: [SPF] },
  '_dmarc.flaky.example': { SERVFAIL: true },
};

function facts(sender: string, overrides: Partial<InboundFacts> = {}): InboundFacts {
  return { ip: PERMITTED_IP, helo: 'mail.sender.example', sender, hostname: HOSTNAME, queueId: '4XyZq1AbCd', ...overrides };
}

describe('authenticateInbound', () => {
  let world: World;
  const config = configWith();
  const check = (data: Buffer, f: InboundFacts, options: { config?: typeof config; seal?: Parameters<typeof authenticateInbound>[2]['seal'] } = {}) =>
    authenticateInbound(data, f, { resolver: world.resolver, config: options.config ?? config, seal: options.seal ?? null });
  /** A message from `from`, DKIM-signed by our own signer with the From domain's keys. */
  const signedBy = async (from: string, body?: string) =>
    (await signMessage(message(from, body === undefined ? {} : { body }), { store: world.store, config, sender: from })).message;

  before(async () => {
    world = await openWorld(ZONE);
    await world.addKey('signer.example', 'sel1', 'rsa');
    await world.addKey('flaky.example', 'sel1', 'ed25519');
    await world.addKey('keytimeout.example', 'slow1', 'rsa', { publish: false });
    await world.addKey('forwarder.example', 'arc1', 'rsa');
    await world.addKey('second-hop.example', 'arc2', 'rsa');
  });
  after(() => world.close());

  test('reads the message as a stream (the MTA\'s spool) to the same verdict as from a buffer', async () => {
    const signed = await signedBy('alice@signer.example', `${'w'.repeat(70)}\r\n`.repeat(3000));
    const chunks = Array.from({ length: Math.ceil(signed.length / 4096) }, (_, i) => signed.subarray(i * 4096, (i + 1) * 4096));
    const fromBuffer = await check(signed, facts('alice@signer.example'));
    const fromStream = await authenticateInbound(Readable.from(chunks), facts('alice@signer.example'), { resolver: world.resolver, config, seal: null });
    assert.equal(fromStream.dkim, 'pass');
    assert.equal(fromStream.dmarc, 'pass');
    assert.deepEqual({ ...fromStream, headers: null }, { ...fromBuffer, headers: null });
  });

  describe('SPF (RFC 7208) and Received-SPF', () => {
    test('a permitted client passes, and Received-SPF carries the RFC 7208 §9.1 key-value pairs', async () => {
      const verdict = await check(message('alice@spf.example'), facts('alice@spf.example'));
      assert.equal(verdict.spf, 'pass');
      const [received] = fields(verdict.headers, 'Received-SPF');
      assert.ok(received, 'Received-SPF present');
      assert.match(received, /^pass \(mx\.postern\.example: domain of alice@spf\.example designates 192\.0\.2\.10 as permitted sender\) /);
      for (const pair of ['client-ip=192.0.2.10;', 'envelope-from="alice@spf.example";', 'helo=mail.sender.example;', `receiver=${HOSTNAME};`, 'identity=mailfrom;']) {
        assert.ok(received.includes(pair), `Received-SPF has ${pair}: ${received}`);
      }
    });

    test('a client outside -all fails, outside ~all softfails, and a domain without SPF is none', async () => {
      assert.equal((await check(message('alice@spf.example'), facts('alice@spf.example', { ip: OTHER_IP }))).spf, 'fail');
      assert.equal((await check(message('alice@soft.example'), facts('alice@soft.example', { ip: OTHER_IP }))).spf, 'softfail');
      const none = await check(message('alice@nospf.example'), facts('alice@nospf.example'));
      assert.equal(none.spf, 'none');
      assert.match(fields(none.headers, 'Received-SPF')[0] ?? '', /^none /);
    });

    test('a DNS timeout or SERVFAIL is temperror, and without a DMARC policy the message is still accepted', async () => {
      for (const domain of ['timeout.example', 'servfail.example']) {
        const started = Date.now();
        const verdict = await check(message(`alice@${domain}`), facts(`alice@${domain}`));
        assert.equal(verdict.spf, 'temperror', domain);
        assert.equal(verdict.action, 'accept', domain);
        assert.match(fields(verdict.headers, 'Received-SPF')[0] ?? '', /^temperror /);
        assert.ok(Date.now() - started < 5000, `${domain} answered within the resolver's timeouts`);
      }
    });

    test('the null sender is checked as postmaster@HELO (RFC 7208 §2.4), identity=helo', async () => {
      const verdict = await check(message('MAILER-DAEMON@mail.helo.example'), facts('', { helo: 'mail.helo.example' }));
      assert.equal(verdict.spf, 'pass');
      const received = fields(verdict.headers, 'Received-SPF')[0] ?? '';
      assert.ok(received.includes('envelope-from="";') && received.includes('identity=helo;'), received);
    });

    test('a client without HELO is checked with its address literal', async () => {
      const verdict = await check(message('alice@spf.example'), facts('alice@spf.example', { helo: null }));
      assert.equal(verdict.spf, 'pass');
      assert.ok((fields(verdict.headers, 'Received-SPF')[0] ?? '').includes('helo="[192.0.2.10]";'));
    });
  });

  describe('Authentication-Results (RFC 8601)', () => {
    test('one field whose authserv-id is our hostname, with spf, dkim, dmarc and arc results', async () => {
      const verdict = await check(message('alice@spf.example'), facts('alice@spf.example'));
      const results = fields(verdict.headers, 'Authentication-Results');
      assert.equal(results.length, 1);
      const [value] = results;
      assert.ok(value?.startsWith(`${HOSTNAME};`), value);
      for (const method of ['spf=pass', 'dkim=none', 'dmarc=none', 'arc=none']) assert.ok(value?.includes(method), `${method} in ${value}`);
    });

    test('headers are whole CRLF-terminated fields in the order ARC set, Authentication-Results, Received-SPF', async () => {
      const verdict = await check(message('alice@spf.example'), facts('alice@spf.example'));
      assert.ok(verdict.headers.endsWith('\r\n'));
      assert.doesNotMatch(verdict.headers.replace(/\r\n/g, ''), /[\r\n]/);
      const names = verdict.headers.split('\r\n').filter((line) => /^[^\s]/.test(line)).map((line) => line.slice(0, line.indexOf(':')));
      assert.deepEqual(names, ['Authentication-Results', 'Received-SPF']);
    });
  });

  describe('DKIM (RFC 6376)', () => {
    test('a valid signature passes, and DMARC passes through it even when SPF fails', async () => {
      const verdict = await check(await signedBy('alice@signer.example'), facts('alice@signer.example', { ip: OTHER_IP }));
      assert.deepEqual([verdict.dkim, verdict.spf, verdict.dmarc, verdict.action], ['pass', 'fail', 'pass', 'accept']);
      assert.match(fields(verdict.headers, 'Authentication-Results')[0] ?? '', /dkim=pass [^;]*header\.i=@signer\.example/);
    });

    test('an altered body fails the signature, and p=reject then rejects with 550 5.7.1', async () => {
      const signed = await signedBy('alice@signer.example');
      const altered = Buffer.from(signed.toString('latin1').replace('The numbers are in.', 'The numbers are out.'), 'latin1');
      const verdict = await check(altered, facts('alice@signer.example', { ip: OTHER_IP }));
      assert.equal(verdict.dkim, 'fail');
      assert.match(fields(verdict.headers, 'Authentication-Results')[0] ?? '', /dkim=fail \(body hash did not verify\)/);
      assert.equal(verdict.action, 'reject');
      assert.deepEqual(verdict.reply, { code: 550, enhanced: '5.7.1', text: 'Email rejected per DMARC policy for signer.example' });
    });
  });

  describe('DMARC (RFC 7489) and the action', () => {
    test('p=reject: a failing message is rejected with 550 5.7.1 naming the domain', async () => {
      const verdict = await check(message('alice@reject.example'), facts('alice@reject.example', { ip: OTHER_IP }));
      assert.deepEqual([verdict.dmarc, verdict.dmarcPolicy, verdict.action], ['fail', 'reject', 'reject']);
      assert.deepEqual(verdict.reply, { code: 550, enhanced: '5.7.1', text: 'Email rejected per DMARC policy for reject.example' });
      assert.match(fields(verdict.headers, 'Authentication-Results')[0] ?? '', /dmarc=fail \(p=REJECT arc=none\) header\.from=reject\.example/);
    });

    test('the same domain passing SPF passes DMARC and is accepted', async () => {
      const verdict = await check(message('alice@reject.example'), facts('alice@reject.example'));
      assert.deepEqual([verdict.dmarc, verdict.dmarcPolicy, verdict.action, verdict.reply], ['pass', null, 'accept', null]);
    });

    test('p=quarantine: quarantined, no SMTP reply', async () => {
      const verdict = await check(message('alice@quarantine.example'), facts('alice@quarantine.example', { ip: OTHER_IP }));
      assert.deepEqual([verdict.dmarc, verdict.dmarcPolicy, verdict.action, verdict.reply], ['fail', 'quarantine', 'quarantine', null]);
    });

    test('p=none: accepted though DMARC failed', async () => {
      const verdict = await check(message('alice@none.example'), facts('alice@none.example', { ip: OTHER_IP }));
      assert.deepEqual([verdict.dmarc, verdict.dmarcPolicy, verdict.action], ['fail', 'none', 'accept']);
    });

    test('pct=0: p=reject is applied to no message, which gets the next policy down, quarantine (RFC 7489 §6.6.4)', async () => {
      const verdict = await check(message('alice@pct.example'), facts('alice@pct.example', { ip: OTHER_IP }));
      assert.deepEqual([verdict.dmarcPolicy, verdict.action], ['quarantine', 'quarantine']);
    });

    test('sp= applies to a subdomain under the organisational record; p= to the domain itself', async () => {
      const sub = await check(message('alice@news.parent.example'), facts('alice@news.parent.example', { ip: OTHER_IP }));
      assert.deepEqual([sub.dmarc, sub.dmarcPolicy, sub.action], ['fail', 'reject', 'reject']);
      const top = await check(message('alice@parent.example'), facts('alice@parent.example', { ip: OTHER_IP }));
      assert.deepEqual([top.dmarc, top.dmarcPolicy, top.action], ['fail', 'none', 'accept']);
    });

    test('dmarc_reject = false: a p=reject failure is not rejected but quarantined; with dmarc_quarantine = false too, accepted', async () => {
      const noReject = configWith({ inbound: { dmarc_reject: false } });
      const verdict = await check(message('alice@reject.example'), facts('alice@reject.example', { ip: OTHER_IP }), { config: noReject });
      assert.deepEqual([verdict.dmarcPolicy, verdict.action, verdict.reply], ['reject', 'quarantine', null]);
      const neither = configWith({ inbound: { dmarc_reject: false, dmarc_quarantine: false } });
      const accepted = await check(message('alice@reject.example'), facts('alice@reject.example', { ip: OTHER_IP }), { config: neither });
      assert.equal(accepted.action, 'accept');
    });

    test('a second author in From cannot dodge the first one’s p=reject (RFC 7489 §6.6.1)', async () => {
      const data = message('alice@none.example, mallory@reject.example');
      const verdict = await check(data, facts('alice@none.example', { ip: OTHER_IP }));
      assert.deepEqual([verdict.dmarc, verdict.action], ['fail', 'reject']);
      assert.equal(verdict.reply?.text, 'Email rejected per DMARC policy for reject.example');
    });
  });

  describe('DNS trouble never rejects', () => {
    test('SERVFAIL on the DMARC record: temperror, 451 4.7.5', async () => {
      const verdict = await check(message('alice@dnsfail.example'), facts('alice@dnsfail.example', { ip: OTHER_IP }));
      assert.deepEqual([verdict.dmarc, verdict.action], ['temperror', 'tempfail']);
      assert.equal(verdict.reply?.code, 451);
      assert.equal(verdict.reply?.enhanced, '4.7.5');
      assert.match(verdict.reply?.text ?? '', /dnsfail\.example/);
    });

    test('an SPF temperror that could have passed DMARC for p=reject: 451 4.7.5, not 550', async () => {
      const verdict = await check(message('alice@spftemp.example'), facts('alice@spftemp.example'));
      assert.deepEqual([verdict.spf, verdict.dmarc, verdict.dmarcPolicy, verdict.action], ['temperror', 'fail', 'reject', 'tempfail']);
      assert.deepEqual([verdict.reply?.code, verdict.reply?.enhanced], [451, '4.7.5']);
    });

    test('a DKIM key lookup that times out, for p=reject: 451 4.7.5, not 550', async () => {
      const verdict = await check(await signedBy('alice@keytimeout.example'), facts('alice@keytimeout.example', { ip: OTHER_IP }));
      assert.deepEqual([verdict.dkim, verdict.dmarc, verdict.action], ['temperror', 'fail', 'tempfail']);
      assert.equal(verdict.reply?.code, 451);
    });

    test('a DMARC record lookup failure does not matter when DKIM passed for the From domain itself', async () => {
      const verdict = await check(await signedBy('alice@flaky.example'), facts('alice@flaky.example', { ip: OTHER_IP }));
      assert.deepEqual([verdict.dkim, verdict.dmarc, verdict.action], ['pass', 'temperror', 'accept']);
    });
  });

  describe('ARC (RFC 8617)', () => {
    /** What a receiver after us sees: mailauth's own ARC verdict on the message with our headers on top. */
    const downstream = async (data: Buffer) =>
      authenticate(data, {
        ip: '203.0.113.9',
        helo: HOSTNAME,
        sender: 'forwarder@forwarder.example',
        mta: 'next-hop.example',
        resolver: world.resolver.mailauthResolver() as DNSResolver,
        disableBimi: true,
      });

    test('a message without a chain is sealed as i=1 cv=none, and the seal verifies downstream', async () => {
      const seal = await sealKeyFor(world.store, 'forwarder.example');
      assert.ok(seal);
      const original = await signedBy('alice@signer.example');
      const verdict = await check(original, facts('alice@signer.example'), { seal });
      assert.equal(verdict.arc, 'none');
      const names = verdict.headers.split('\r\n').filter((line) => /^[^\s]/.test(line)).map((line) => line.slice(0, line.indexOf(':')));
      assert.deepEqual(names, ['ARC-Seal', 'ARC-Message-Signature', 'ARC-Authentication-Results', 'Authentication-Results', 'Received-SPF']);
      assert.match(fields(verdict.headers, 'ARC-Seal')[0] ?? '', /^i=1; a=rsa-sha256; .*cv=none; d=forwarder\.example; s=arc1;/);
      const aar = fields(verdict.headers, 'ARC-Authentication-Results')[0] ?? '';
      assert.equal(aar, `i=1; ${fields(verdict.headers, 'Authentication-Results')[0]}`);

      const sealed = Buffer.concat([Buffer.from(verdict.headers), original]);
      const result = await downstream(sealed);
      assert.equal(result.arc && result.arc.status.result, 'pass');
    });

    test('a second hop verifies our seal (arc=pass), adds i=2 cv=pass, and that chain verifies too', async () => {
      const first = await check(await signedBy('alice@signer.example'), facts('alice@signer.example'), { seal: await sealKeyFor(world.store, 'forwarder.example') });
      const once = Buffer.concat([Buffer.from(first.headers), await signedBy('alice@signer.example')]);
      const second = await check(once, facts('forwarder@forwarder.example', { ip: '203.0.113.9', helo: 'mx.forwarder.example' }), {
        seal: await sealKeyFor(world.store, 'second-hop.example'),
      });
      assert.equal(second.arc, 'pass');
      assert.match(fields(second.headers, 'ARC-Seal')[0] ?? '', /^i=2; .*cv=pass; d=second-hop\.example;/);
      const twice = Buffer.concat([Buffer.from(second.headers), once]);
      const result = await downstream(twice);
      assert.equal(result.arc && result.arc.status.result, 'pass');
    });

    test('without a seal key no ARC set is added', async () => {
      const verdict: InboundVerdict = await check(message('alice@spf.example'), facts('alice@spf.example'));
      assert.equal(fields(verdict.headers, 'ARC-Seal').length, 0);
    });
  });

  // RFC 7489 §7.2 and Appendix C: what the aggregate report counts of each message.
  describe('aggregate report entries', () => {
    test('a pass names the policy domain, the published record with its defaults, aligned results and every signature', async () => {
      const verdict = await check(await signedBy('alice@signer.example'), facts('alice@signer.example'));
      assert.deepEqual(verdict.dmarcReports, [
        {
          policyDomain: 'signer.example',
          headerFrom: 'signer.example',
          published: { p: 'reject', sp: 'reject', pct: 100, adkim: 'r', aspf: 'r', fo: '0', rua: [] },
          results: {
            envelopeFrom: 'signer.example',
            disposition: 'none',
            dkimAligned: 'pass',
            spfAligned: 'pass',
            reasons: [],
            dkim: [{ domain: 'signer.example', selector: 'sel1', result: 'pass' }],
            spf: { domain: 'signer.example', scope: 'mfrom', result: 'pass' },
          },
        },
      ]);
    });

    test('a subdomain without its own record reports under the organizational domain\'s record and its sp= (§6.6.3)', async () => {
      const [entry] = (await check(message('alice@news.parent.example'), facts('alice@news.parent.example', { ip: OTHER_IP }))).dmarcReports;
      assert.equal(entry?.policyDomain, 'parent.example');
      assert.equal(entry?.headerFrom, 'news.parent.example');
      assert.deepEqual([entry?.published.p, entry?.published.sp, entry?.results.disposition, entry?.results.spfAligned], ['none', 'reject', 'reject', 'fail']);
    });

    test('a failure spared by pct= is sampled_out, one spared by dmarc_reject = false is local_policy', async () => {
      const sampled = await check(message('alice@pct.example'), facts('alice@pct.example', { ip: OTHER_IP }));
      assert.deepEqual([sampled.dmarcReports[0]?.results.disposition, sampled.dmarcReports[0]?.results.reasons], ['quarantine', ['sampled_out']]);
      const lenient = configWith({ inbound: { dmarc_reject: false, dmarc_quarantine: false } });
      const local = await check(message('alice@reject.example'), facts('alice@reject.example', { ip: OTHER_IP }), { config: lenient });
      assert.deepEqual([local.dmarcReports[0]?.results.disposition, local.dmarcReports[0]?.results.reasons], ['none', ['local_policy']]);
    });

    test('nothing is counted for a domain without a record, nor for a message answered 4xx (the sender tries again)', async () => {
      assert.deepEqual((await check(message('alice@spf.example'), facts('alice@spf.example'))).dmarcReports, []);
      const tempfail = await check(message('alice@dnsfail.example'), facts('alice@dnsfail.example', { ip: OTHER_IP }));
      assert.equal(tempfail.action, 'tempfail');
      assert.deepEqual(tempfail.dmarcReports, []);
    });

    test('the null sender is reported with the HELO identity (RFC 7208 §2.4) and an empty envelope_from', async () => {
      const [entry] = (await check(message('alice@reject.example'), facts('', { ip: OTHER_IP }))).dmarcReports;
      assert.deepEqual([entry?.results.envelopeFrom, entry?.results.spf.scope, entry?.results.spf.domain], ['', 'helo', 'mail.sender.example']);
    });
  });
});
