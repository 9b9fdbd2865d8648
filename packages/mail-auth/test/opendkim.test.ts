// OpenDKIM's library (libopendkim 2.11, Debian opendkim-tools) verifies what signMessage signs.
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { requireTool } from '../../../test/support/tools.js';
import { signMessage } from '../src/index.js';
import { configWith, message, openWorld, type World } from './fixture.js';
import { opendkimTestmsg, startPort53Relay, type Port53Relay } from './opendkim.js';

/** The signed message once per signature, each copy carrying only that DKIM-Signature field. */
function oneSignatureEach(signed: Buffer, original: Buffer): Buffer[] {
  const prefix = signed.subarray(0, signed.length - original.length).toString('latin1');
  const signatures = prefix.split(/\r\n(?=DKIM-Signature:)/).map((field) => (field.endsWith('\r\n') ? field : `${field}\r\n`));
  return signatures.map((field) => Buffer.concat([Buffer.from(field, 'latin1'), original]));
}

function tools(t: TestContext): { unshare: string; testmsg: string } | null {
  const testmsg = requireTool(t, 'opendkim-testmsg', 'opendkim-tools');
  const unshare = requireTool(t, 'unshare', 'util-linux');
  return testmsg && unshare ? { testmsg, unshare } : null;
}

describe('opendkim-testmsg verifies our signatures', () => {
  let world: World;
  let relay: Port53Relay;
  const config = configWith();

  before(async () => {
    world = await openWorld();
    await world.addKey('signer.example', 'rsa2026', 'rsa');
    await world.addKey('signer.example', 'ed2026', 'ed25519');
    relay = await startPort53Relay(world.dns.port);
  });
  after(async () => {
    await relay.stop();
    await world.close();
  });

  test('the RSA and the Ed25519 signature each verify, and each key was fetched from our DNS', async (t) => {
    const paths = tools(t);
    if (!paths) return;
    const original = message('Alice <alice@signer.example>', { headers: ['List-Id: <reports.signer.example>'] });
    const signed = await signMessage(original, { store: world.store, config, sender: 'alice@signer.example' });
    const copies = oneSignatureEach(signed.message, original);
    assert.equal(copies.length, 2);
    for (const [index, copy] of copies.entries()) {
      const selector = signed.signatures[index]?.selector ?? '';
      const before = world.dns.count(`${selector}._domainkey.signer.example`, 'TXT');
      const result = await opendkimTestmsg(paths, copy, relay.address);
      assert.deepEqual({ code: result.code, output: result.stdout + result.stderr }, { code: 0, output: '' }, `${selector} verifies`);
      assert.equal(world.dns.count(`${selector}._domainkey.signer.example`, 'TXT'), before + 1, `${selector} key looked up`);
    }
  });

  test('an altered body fails both signatures with "Bad signature"', async (t) => {
    const paths = tools(t);
    if (!paths) return;
    const original = message('alice@signer.example');
    const signed = await signMessage(original, { store: world.store, config, sender: 'alice@signer.example' });
    const altered = Buffer.from(original.toString('latin1').replace('The numbers are in.', 'The numbers are out.'), 'latin1');
    for (const copy of oneSignatureEach(signed.message, original)) {
      const tampered = Buffer.concat([copy.subarray(0, copy.length - original.length), altered]);
      const result = await opendkimTestmsg(paths, tampered, relay.address);
      assert.equal(result.code, 70);
      assert.match(result.stderr, /Bad signature/);
    }
  });
});
