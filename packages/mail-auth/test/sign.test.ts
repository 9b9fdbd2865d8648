import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { authenticate, type DNSResolver } from 'mailauth';
import { Readable } from 'node:stream';
import { dkimSignatureFields, sealKeyFor, signMessage } from '../src/index.js';
import { configWith, dkimTag, fields, headerText, message, openWorld, type World } from './fixture.js';

/** mailauth's own verdicts on a message, asking our DNS server. */
async function verify(world: World, data: Buffer) {
  const result = await authenticate(data, {
    ip: '192.0.2.10',
    helo: 'mail.signer.example',
    sender: 'alice@signer.example',
    mta: 'verifier.example',
    resolver: world.resolver.mailauthResolver() as DNSResolver,
    disableArc: true,
    disableBimi: true,
  });
  return result.dkim.results.map((r) => ({ domain: r.signingDomain, selector: r.selector, result: r.status.result }));
}

describe('signMessage', () => {
  let world: World;
  const config = configWith();

  before(async () => {
    world = await openWorld();
    await world.addKey('signer.example', 'rsa2026', 'rsa');
    await world.addKey('signer.example', 'ed2026', 'ed25519');
    await world.addKey('rsaonly.example', 'r1', 'rsa');
    await world.addKey('edonly.example', 'e1', 'ed25519');
    await world.addKey('retired.example', 'gone', 'rsa', { active: false });
    await world.addKey('table.example', 'old', 'rsa', { active: false });
    await world.addKey('table.example', 'new', 'rsa');
    await world.addKey('table.example', 'ceo', 'ed25519');
  });
  after(() => world.close());

  test('a pending key (postern dkim rotate) does not sign; once its publish delay has passed it signs and the old key retires', async () => {
    await world.addKey('rotating.example', 'current', 'rsa');
    const pending = await world.addKey('rotating.example', 'next', 'rsa', { active: false });
    await world.store.updateDkimKey('rotating.example', 'next', { activateAt: new Date(Date.now() + 3_600_000) });
    const before = await signMessage(message('Rob <rob@rotating.example>'), { store: world.store, config, sender: 'rob@rotating.example' });
    assert.deepEqual(before.signatures.map((s) => s.selector), ['current']);
    await world.store.updateDkimKey('rotating.example', pending.selector, { activateAt: new Date(Date.now() - 1000) });
    const after = await signMessage(message('Rob <rob@rotating.example>'), { store: world.store, config, sender: 'rob@rotating.example' });
    assert.deepEqual(after.signatures.map((s) => s.selector), ['next']);
    assert.deepEqual(await verify(world, after.message), [{ domain: 'rotating.example', selector: 'next', result: 'pass' }]);
    const keys = await world.store.listDkimKeys('rotating.example');
    const old = keys.find((k) => k.selector === 'current');
    assert.equal(old?.active, false);
    assert.ok(old?.retireAt && old.retireAt.getTime() > Date.now(), 'the old key stays published for dkim.rotation_grace');
    assert.equal(keys.find((k) => k.selector === 'next')?.activateAt, null);
  });

  test('signs a message read as a stream (the MTA\'s spool) with fields that verify over the same bytes', async () => {
    const original = message('Rita <rita@rsaonly.example>', { body: `${'z'.repeat(70)}\r\n`.repeat(5000) });
    const header = original.subarray(0, original.indexOf('\r\n\r\n') + 4);
    const chunks = Array.from({ length: Math.ceil(original.length / 4096) }, (_, i) => original.subarray(i * 4096, (i + 1) * 4096));
    const signed = await dkimSignatureFields({ header, content: () => Readable.from(chunks) }, { store: world.store, config, sender: 'rita@rsaonly.example' });
    assert.deepEqual(signed.signatures, [{ domain: 'rsaonly.example', selector: 'r1', algorithm: 'rsa' }]);
    assert.match(signed.fields, /^DKIM-Signature: /);
    assert.deepEqual(await verify(world, Buffer.concat([Buffer.from(signed.fields, 'latin1'), original])), [{ domain: 'rsaonly.example', selector: 'r1', result: 'pass' }]);
    const none = await dkimSignatureFields({ header: Buffer.from('Subject: x\r\n\r\n'), content: () => Readable.from([Buffer.from('Subject: x\r\n\r\n')]) }, { store: world.store, config, sender: '' });
    assert.deepEqual(none, { fields: '', signatures: [] });
  });

  test('an RSA key signs with rsa-sha256, relaxed/relaxed, and mailauth verifies it', async () => {
    const signed = await signMessage(message('Rita <rita@rsaonly.example>'), { store: world.store, config, sender: 'rita@rsaonly.example' });
    assert.deepEqual(signed.signatures, [{ domain: 'rsaonly.example', selector: 'r1', algorithm: 'rsa' }]);
    const [signature] = fields(headerText(signed.message), 'DKIM-Signature');
    assert.ok(signature);
    assert.equal(dkimTag(signature, 'a'), 'rsa-sha256');
    assert.equal(dkimTag(signature, 'c'), 'relaxed/relaxed');
    assert.equal(dkimTag(signature, 'd'), 'rsaonly.example');
    assert.deepEqual(await verify(world, signed.message), [{ domain: 'rsaonly.example', selector: 'r1', result: 'pass' }]);
  });

  test('an Ed25519 key signs with ed25519-sha256 (RFC 8463) and mailauth verifies it', async () => {
    const signed = await signMessage(message('eve@edonly.example'), { store: world.store, config, sender: 'eve@edonly.example' });
    assert.deepEqual(signed.signatures, [{ domain: 'edonly.example', selector: 'e1', algorithm: 'ed25519' }]);
    assert.equal(dkimTag(fields(headerText(signed.message), 'DKIM-Signature')[0] ?? '', 'a'), 'ed25519-sha256');
    assert.deepEqual(await verify(world, signed.message), [{ domain: 'edonly.example', selector: 'e1', result: 'pass' }]);
  });

  test('a domain with an RSA and an Ed25519 key gets both signatures, and both verify', async () => {
    const signed = await signMessage(message('"Alice A." <alice@signer.example>'), { store: world.store, config, sender: 'alice@signer.example' });
    assert.deepEqual(
      signed.signatures.map((s) => `${s.selector}/${s.algorithm}`),
      ['rsa2026/rsa', 'ed2026/ed25519'],
    );
    assert.equal(fields(headerText(signed.message), 'DKIM-Signature').length, 2);
    const results = await verify(world, signed.message);
    assert.deepEqual(results.map((r) => `${r.selector}=${r.result}`).sort(), ['ed2026=pass', 'rsa2026=pass']);
  });

  test('the message after the prepended signatures is the original, byte for byte', async () => {
    const original = message('alice@signer.example', { body: 'Line one\r\n\r\n\r\n  indented \r\nlast line without CRLF' });
    const signed = await signMessage(original, { store: world.store, config, sender: 'alice@signer.example' });
    assert.ok(signed.message.subarray(signed.message.length - original.length).equals(original));
    const prefix = signed.message.subarray(0, signed.message.length - original.length).toString('latin1');
    assert.match(prefix, /^(DKIM-Signature: [^]*?\r\n)+$/);
    assert.doesNotMatch(prefix.replace(/\r\n/g, ''), /[\r\n]/, 'only CRLF line ends');
  });

  test('h= lists From once more than the message has it (oversigned), so an added From breaks the signature', async () => {
    const signed = await signMessage(message('rita@rsaonly.example'), { store: world.store, config, sender: 'rita@rsaonly.example' });
    const h = (dkimTag(fields(headerText(signed.message), 'DKIM-Signature')[0] ?? '', 'h') ?? '').toLowerCase().split(':');
    assert.equal(h.filter((name) => name === 'from').length, 2);
    for (const name of ['to', 'subject', 'date', 'message-id', 'mime-version', 'content-type']) assert.ok(h.includes(name), `h= has ${name}`);

    const forged = Buffer.concat([Buffer.from('From: ceo@rsaonly.example\r\n'), signed.message]);
    assert.deepEqual(await verify(world, forged), [{ domain: 'rsaonly.example', selector: 'r1', result: 'fail' }]);
  });

  test('List-* fields present in the message are signed; absent ones are not listed', async () => {
    const data = message('rita@rsaonly.example', { headers: ['List-Id: Reports <reports.rsaonly.example>', 'List-Unsubscribe: <mailto:leave@rsaonly.example>'] });
    const signed = await signMessage(data, { store: world.store, config, sender: 'rita@rsaonly.example' });
    const h = (dkimTag(fields(headerText(signed.message), 'DKIM-Signature')[0] ?? '', 'h') ?? '').toLowerCase().split(':');
    assert.ok(h.includes('list-id') && h.includes('list-unsubscribe'));
    assert.ok(!h.includes('cc') && !h.includes('list-post'));
    assert.deepEqual(await verify(world, signed.message), [{ domain: 'rsaonly.example', selector: 'r1', result: 'pass' }]);
  });

  test('signs as the From domain, not the envelope sender’s', async () => {
    const signed = await signMessage(message('rita@rsaonly.example'), { store: world.store, config, sender: 'bounces@edonly.example' });
    assert.deepEqual(signed.signatures.map((s) => s.domain), ['rsaonly.example']);
  });

  test('without a From field, signs as the envelope sender’s domain', async () => {
    const data = Buffer.from('To: bob@postern.example\r\nSubject: no author\r\n\r\nbody\r\n');
    const signed = await signMessage(data, { store: world.store, config, sender: 'eve@edonly.example' });
    assert.deepEqual(signed.signatures, [{ domain: 'edonly.example', selector: 'e1', algorithm: 'ed25519' }]);
  });

  test('a domain without keys, or only inactive ones, leaves the message unchanged', async () => {
    const data = message('someone@nokeys.example');
    const signed = await signMessage(data, { store: world.store, config, sender: 'someone@nokeys.example' });
    assert.deepEqual(signed.signatures, []);
    assert.equal(signed.message, data);
    const retired = await signMessage(message('x@retired.example'), { store: world.store, config, sender: 'x@retired.example' });
    assert.deepEqual(retired.signatures, []);
    assert.equal(fields(headerText(retired.message), 'DKIM-Signature').length, 0);
    const nothing = await signMessage(Buffer.from('Subject: x\r\n\r\n'), { store: world.store, config, sender: '' });
    assert.deepEqual(nothing.signatures, []);
  });

  test('every active key signs when no signing_table entry applies; inactive ones never', async () => {
    const signed = await signMessage(message('ann@table.example'), { store: world.store, config, sender: 'ann@table.example' });
    assert.deepEqual(signed.signatures.map((s) => s.selector), ['new', 'ceo']);
  });

  test('a signing_table entry for the From address picks the named selector', async () => {
    const table = configWith({ dkim: { signing_table: { 'CEO@table.example': 'ceo', '*@table.example': 'new' } } });
    const signed = await signMessage(message('Chief <ceo@table.example>'), { store: world.store, config: table, sender: 'ceo@table.example' });
    assert.deepEqual(signed.signatures.map((s) => s.selector), ['ceo']);
    assert.deepEqual(await verify(world, signed.message), [{ domain: 'table.example', selector: 'ceo', result: 'pass' }]);
  });

  test('a signing_table entry for the envelope sender, then "*@domain", picks the selector', async () => {
    const byEnvelope = configWith({ dkim: { signing_table: { 'robot@table.example': 'new', '*@table.example': 'ceo' } } });
    const signed = await signMessage(message('ann@table.example'), { store: world.store, config: byEnvelope, sender: 'robot@table.example' });
    assert.deepEqual(signed.signatures.map((s) => s.selector), ['new']);
    const viaWildcard = await signMessage(message('ann@table.example'), { store: world.store, config: byEnvelope, sender: 'ann@table.example' });
    assert.deepEqual(viaWildcard.signatures.map((s) => s.selector), ['ceo']);
  });

  test('a signing_table selector the domain lacks, or has only inactive, falls back to the active keys', async () => {
    for (const selector of ['missing', 'old']) {
      const table = configWith({ dkim: { signing_table: { '*@table.example': selector } } });
      const signed = await signMessage(message('ann@table.example'), { store: world.store, config: table, sender: 'ann@table.example' });
      assert.deepEqual(signed.signatures.map((s) => s.selector), ['new', 'ceo'], selector);
    }
  });
});

describe('sealKeyFor', () => {
  let world: World;
  before(async () => {
    world = await openWorld();
    await world.addKey('both.example', 'ed', 'ed25519');
    await world.addKey('both.example', 'rsa-old', 'rsa', { active: false });
    await world.addKey('both.example', 'rsa', 'rsa');
    await world.addKey('edonly.example', 'ed', 'ed25519');
  });
  after(() => world.close());

  test('is the first active RSA key of the domain, even when an Ed25519 key is older', async () => {
    const seal = await sealKeyFor(world.store, 'both.example');
    assert.equal(seal?.domain, 'both.example');
    assert.equal(seal?.selector, 'rsa');
    assert.match(seal?.privateKey ?? '', /BEGIN PRIVATE KEY/);
  });

  test('is null for a domain with only Ed25519 keys or no keys (mailauth seals ARC with RSA only)', async () => {
    assert.equal(await sealKeyFor(world.store, 'edonly.example'), null);
    assert.equal(await sealKeyFor(world.store, 'nokeys.example'), null);
  });
});
