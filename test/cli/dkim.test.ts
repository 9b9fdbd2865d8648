// `postern dkim` end to end (SPEC §3) on both store backends: keys are
// generated, shown and rotated through the built CLI, and every TXT record it
// prints is proved to publish the stored key: mailauth verifies a signature
// made with the private key against the record exactly as printed.
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { dkimSign, dkimVerify } from 'mailauth';
import { loadConfig, storeOptions } from '@postern/config';
import { datedSelector } from '@postern/dkim';
import { openStore, type DkimKey, type Store } from '@postern/store';
import { startDnsServer, type DnsTestServer } from '../support/dns-server.js';
import { initInstance, type CliInstance } from './backends.js';

function assertOneLineError(result: { code: number; stderr: string }, pattern: RegExp): void {
  assert.equal(result.code, 1, `expected exit 1, got ${result.code}: ${result.stderr}`);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${result.stderr}`);
  assert.match(lines[0] ?? '', pattern);
}

interface PrintedRecord {
  name: string;
  /** The character-strings of the TXT record, as the zone line quotes them. */
  strings: string[];
}

/** Every `NAME.  IN TXT   "…" "…"` line in the output. */
function printedRecords(stdout: string): PrintedRecord[] {
  return [...stdout.matchAll(/^\s*(\S+)\.\s+IN TXT\s+((?:"[^"]*"\s*)+)$/gm)].map((m) => ({
    name: m[1] ?? '',
    strings: [...(m[2] ?? '').matchAll(/"([^"]*)"/g)].map((s) => s[1] ?? ''),
  }));
}

function recordFor(stdout: string, selector: string, domain: string): PrintedRecord {
  const record = printedRecords(stdout).find((r) => r.name === `${selector}._domainkey.${domain}`);
  assert.ok(record, `no TXT record for ${selector}._domainkey.${domain} in:\n${stdout}`);
  return record;
}

/** The record's tags (RFC 6376 §3.6.1), its strings joined as a resolver joins them. */
function recordTags(record: PrintedRecord): Map<string, string> {
  return new Map(
    record.strings
      .join('')
      .split(';')
      .map((tag) => tag.trim())
      .filter((tag) => tag !== '')
      .map((tag) => [tag.slice(0, tag.indexOf('=')).trim(), tag.slice(tag.indexOf('=') + 1).trim()]),
  );
}

/** Signs a message with the stored private key and verifies it with mailauth, the DNS answer being the printed record. */
async function verifiesWith(record: PrintedRecord, key: DkimKey): Promise<string> {
  const message = `From: someone@${key.domain}\r\nTo: x@example.net\r\nSubject: key check\r\nDate: Mon, 5 Jan 2026 07:08:09 +0000\r\n\r\nbody\r\n`;
  const signature = { signingDomain: key.domain, selector: key.selector, privateKey: key.privateKey, algorithm: key.algorithm === 'rsa' ? 'rsa-sha256' : 'ed25519-sha256' };
  // mailauth signs once per signatureData entry (its typings also ask for the fields at the top).
  const signed = await dkimSign(message, { ...signature, signatureData: [signature] });
  assert.deepEqual(signed.errors, []);
  assert.match(signed.signatures, new RegExp(`^DKIM-Signature: .*s=${key.selector};`, 's'));
  const resolver = async (name: string, type: string): Promise<string[][]> => {
    if (type === 'TXT' && name === record.name) return [record.strings];
    throw Object.assign(new Error(`no ${type} for ${name}`), { code: 'ENOTFOUND' });
  };
  const result = await dkimVerify(signed.signatures + message, { resolver });
  return result.results[0]?.status.result ?? 'none';
}

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`postern dkim on ${backend}`, () => {
    let instance: CliInstance;
    let run: CliInstance['run'];
    let store: Store;
    const dated = datedSelector();
    const key = async (domain: string, selector: string): Promise<DkimKey> => {
      const found = (await store.listDkimKeys(domain)).find((k) => k.selector === selector);
      assert.ok(found, `no key ${selector} for ${domain}`);
      return found;
    };

    before(async () => {
      instance = await initInstance(backend);
      run = instance.run;
      store = await openStore(storeOptions(loadConfig(instance.configFile)));
      // init made the domain's first key before the switch to MongoDB; make the same one there.
      if ((await store.listDkimKeys('example.com')).length === 0) assert.equal((await run(['dkim', 'generate', 'example.com'])).code, 0);
      console.log(`dkim CLI on ${backend}: ${instance.server}`);
    });
    after(async () => {
      await store?.close();
      await instance?.dispose();
    });

    it('shows the key init made, active, with its record, as JSON without the private key', async () => {
      const result = await run(['dkim', 'show', 'example.com', '--json']);
      assert.equal(result.code, 0, result.stderr);
      const keys = JSON.parse(result.stdout) as { selector: string; algorithm: string; active: boolean; status: string; retireAt: string | null; record: { name: string; value: string } }[];
      assert.equal(keys.length, 1);
      assert.equal(keys[0]?.selector, dated);
      assert.equal(keys[0]?.algorithm, 'rsa');
      assert.equal(keys[0]?.active, true);
      assert.equal(keys[0]?.status, 'active');
      assert.equal(keys[0]?.retireAt, null);
      assert.equal(keys[0]?.record.name, `${dated}._domainkey.example.com`);
      assert.equal(keys[0]?.record.value, `v=DKIM1; k=rsa; p=${(await key('example.com', dated)).publicKey}`);
      assert.doesNotMatch(result.stdout, /PRIVATE KEY|privateKey/);
    });

    it('generates an RSA-2048 key whose printed TXT record carries the stored public key and verifies a signature', async () => {
      const result = await run(['dkim', 'generate', 'Example.COM', '--selector', 'mail2026']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /generated rsa DKIM key mail2026 for example\.com/);
      const record = recordFor(result.stdout, 'mail2026', 'example.com');
      assert.ok(record.strings.every((s) => s.length <= 255), 'each character-string is at most 255 octets (RFC 1035 §3.3.14)');
      assert.ok(record.strings.length >= 2, 'a 2048-bit key does not fit one character-string');
      const tags = recordTags(record);
      assert.equal(tags.get('v'), 'DKIM1');
      assert.equal(tags.get('k'), 'rsa');
      const stored = await key('example.com', 'mail2026');
      assert.equal(stored.active, true);
      assert.equal(tags.get('p'), stored.publicKey);
      const publicKey = createPublicKey({ key: Buffer.from(tags.get('p') ?? '', 'base64'), format: 'der', type: 'spki' });
      assert.equal(publicKey.asymmetricKeyType, 'rsa');
      assert.equal(publicKey.asymmetricKeyDetails?.modulusLength, 2048);
      assert.equal(await verifiesWith(record, stored), 'pass');
      const otherKey = (await key('example.com', dated)).publicKey;
      const forged = { name: record.name, strings: [`v=DKIM1; k=rsa; p=${otherKey}`] };
      assert.notEqual(await verifiesWith(forged, stored), 'pass', 'the check fails for a record of another key');
    });

    it('generates an Ed25519 key whose record is the raw 32-byte key of RFC 8463 and verifies a signature', async () => {
      const result = await run(['dkim', 'generate', 'example.com', '--selector', 'ed2026', '--algorithm', 'ed25519']);
      assert.equal(result.code, 0, result.stderr);
      const record = recordFor(result.stdout, 'ed2026', 'example.com');
      const tags = recordTags(record);
      assert.equal(tags.get('k'), 'ed25519');
      const stored = await key('example.com', 'ed2026');
      assert.equal(stored.algorithm, 'ed25519');
      assert.equal(tags.get('p'), stored.publicKey);
      const raw = Buffer.from(tags.get('p') ?? '', 'base64');
      assert.equal(raw.length, 32);
      assert.deepEqual(createPublicKey(stored.privateKey).export({ type: 'spki', format: 'der' }).subarray(-32), raw, 'the record publishes the private key’s public half');
      assert.equal(await verifiesWith(record, stored), 'pass');
    });

    it('gives a new key the month’s dated selector, with a letter when the month has one already', async () => {
      const result = await run(['dkim', 'generate', 'example.com']);
      assert.equal(result.code, 0, result.stderr);
      recordFor(result.stdout, `${dated}b`, 'example.com');
      assert.equal((await key('example.com', `${dated}b`)).algorithm, 'rsa');
    });

    it('refuses a selector the domain already has, naming it', async () => {
      assertOneLineError(await run(['dkim', 'generate', 'example.com', '--selector', 'MAIL2026']), /example\.com already has a DKIM key with selector mail2026/);
    });

    it('refuses a domain that is not local, naming it', async () => {
      assertOneLineError(await run(['dkim', 'generate', 'elsewhere.example']), /elsewhere\.example is not a local domain/);
      assertOneLineError(await run(['dkim', 'show', 'elsewhere.example']), /elsewhere\.example is not a local domain/);
      assertOneLineError(await run(['dkim', 'rotate', 'elsewhere.example']), /elsewhere\.example is not a local domain/);
    });

    it('refuses a selector that is not a DNS label, and exits 2 for an unknown algorithm', async () => {
      assertOneLineError(await run(['dkim', 'generate', 'example.com', '--selector', 'bad_selector']), /--selector: "bad_selector" is not a DKIM selector/);
      const result = await run(['dkim', 'generate', 'example.com', '--algorithm', 'dsa']);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /--algorithm/);
    });

    it('shows every key with its algorithm, status and exact record', async () => {
      const result = await run(['dkim', 'show', 'example.com']);
      assert.equal(result.code, 0, result.stderr);
      for (const [selector, algorithm] of [[dated, 'rsa'], ['mail2026', 'rsa'], ['ed2026', 'ed25519'], [`${dated}b`, 'rsa']] as const) {
        assert.match(result.stdout, new RegExp(`^${selector} \\(${algorithm}, active; created \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC\\)$`, 'm'));
        const record = recordFor(result.stdout, selector, 'example.com');
        assert.equal(recordTags(record).get('p'), (await key('example.com', selector)).publicKey);
      }
    });

    it('says so when a domain has no key', async () => {
      assert.equal((await run(['domain', 'add', 'keyless.example', '--no-dkim'])).code, 0);
      const result = await run(['dkim', 'show', 'keyless.example']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /keyless\.example has no DKIM key \(make one with: postern dkim generate keyless\.example\)/);
      assert.deepEqual(JSON.parse((await run(['dkim', 'show', 'keyless.example', '--json'])).stdout), []);
    });

    describe('rotate: the new key is pending until its record is published', () => {
      const domain = 'rotate.example';
      const escaped = domain.replace('.', '\\.');
      let dns: DnsTestServer;
      const publish = (...records: PrintedRecord[]): void => dns.set(Object.fromEntries(records.map((r) => [r.name, { TXT: [r.strings.join('')] }])));
      before(async () => {
        dns = await startDnsServer({});
        assert.equal((await run(['config', 'set', 'dns.servers', `["${dns.address}"]`])).code, 0);
        assert.equal((await run(['domain', 'add', domain, '--no-dkim'])).code, 0);
        assert.equal((await run(['config', 'set', 'dkim.rotation_grace', '"2d"'])).code, 0);
        assert.equal((await run(['config', 'set', 'dkim.publish_delay', '"48h"'])).code, 0);
        assert.equal((await run(['dkim', 'generate', domain])).code, 0);
      });
      after(() => dns?.stop());

      it('makes a new dated key pending and prints its record; the current key goes on signing', async () => {
        const started = Date.now();
        const result = await run(['dkim', 'rotate', domain]);
        assert.equal(result.code, 0, result.stderr);
        const fresh = await key(domain, `${dated}b`);
        assert.equal(fresh.active, false);
        assert.equal(fresh.algorithm, 'rsa');
        const delay = 48 * 3_600_000;
        const activateAt = fresh.activateAt?.getTime() ?? 0;
        assert.ok(activateAt >= started + delay && activateAt <= Date.now() + delay, `activateAt ${fresh.activateAt?.toISOString()} is dkim.publish_delay after the rotation`);
        const record = recordFor(result.stdout, `${dated}b`, domain);
        assert.equal(await verifiesWith(record, fresh), 'pass');
        assert.match(result.stdout, new RegExp(`new rsa DKIM key ${dated}b for ${escaped}, pending: the current key signs until this record is published`));
        assert.match(result.stdout, new RegExp(`then run: postern dns check ${escaped} \\(or postern dkim activate ${escaped}\\); unchecked, it signs from \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC`));
        const old = await key(domain, dated);
        assert.equal(old.active, true);
        assert.equal(old.retireAt, null);
        const shown = (await run(['dkim', 'show', domain])).stdout;
        assert.match(shown, new RegExp(`^${dated}b \\(rsa, pending: signs once its record is published`, 'm'));
        assert.match(shown, new RegExp(`^${dated} \\(rsa, active;`, 'm'));
      });

      it('`dkim activate` refuses while the record is not in DNS, or another key is published there', async () => {
        const missing = await run(['dkim', 'activate', domain]);
        assert.equal(missing.code, 1);
        assert.match(missing.stderr, new RegExp(`${dated}b stays pending: no DKIM record for the pending selector ${dated}b`));
        const other = await key(domain, dated);
        publish({ name: `${dated}b._domainkey.${domain}`, strings: [`v=DKIM1; k=rsa; p=${other.publicKey}`] });
        const wrong = await run(['dkim', 'activate', domain, `${dated}b`]);
        assert.equal(wrong.code, 1);
        assert.match(wrong.stderr, /is not the one Postern signs with/);
        assert.equal((await key(domain, `${dated}b`)).active, false);
        assert.equal((await key(domain, dated)).active, true);
      });

      it('`dns check` sees the record published and switches signing to it; the old key stays published for dkim.rotation_grace', async () => {
        const shown = (await run(['dkim', 'show', domain])).stdout;
        publish(recordFor(shown, `${dated}b`, domain), recordFor(shown, dated, domain));
        const started = Date.now();
        const result = await run(['dns', 'check', domain]);
        assert.match(result.stdout, new RegExp(`${dated}b \\(rsa\\) is published and signs mail from ${escaped} from now on`));
        const fresh = await key(domain, `${dated}b`);
        assert.equal(fresh.active, true);
        assert.equal(fresh.activateAt, null);
        const old = await key(domain, dated);
        assert.equal(old.active, false);
        const twoDays = 2 * 86_400_000;
        const retireAt = old.retireAt?.getTime() ?? 0;
        assert.ok(retireAt >= started + twoDays && retireAt <= Date.now() + twoDays, `retireAt ${old.retireAt?.toISOString()} is two days after the switch`);
        const until = old.retireAt?.toISOString().slice(0, 16).replace('T', ' ');
        assert.match(result.stdout, new RegExp(`key ${dated} \\(rsa\\) no longer signs; keep ${dated}\\._domainkey\\.${escaped} published until ${until} UTC, then remove it from DNS`));
        assert.match((await run(['dkim', 'show', domain])).stdout, new RegExp(`^${dated} \\(rsa, retiring until ${until} UTC; created`, 'm'));
      });

      it('deletes keys whose grace period is over at the next rotation; `dkim activate --force` switches without DNS', async () => {
        await store.updateDkimKey(domain, dated, { retireAt: new Date(Date.now() - 1000) });
        assert.match((await run(['dkim', 'show', domain])).stdout, new RegExp(`^${dated} \\(rsa, retired since .* UTC: remove its record from DNS`, 'm'));
        const result = await run(['dkim', 'rotate', domain, '--algorithm', 'rsa']);
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stdout, new RegExp(`deleted key ${dated} \\(rsa\\), retired since .* UTC: remove ${dated}\\._domainkey\\.${escaped} from DNS if it is still there`));
        const forced = await run(['dkim', 'activate', domain, `${dated}c`, '--force']);
        assert.equal(forced.code, 0, forced.stderr);
        const keys = await store.listDkimKeys(domain);
        assert.deepEqual(keys.map((k) => [k.selector, k.active]), [[`${dated}b`, false], [`${dated}c`, true]], 'the new selector skips the deleted one: resolvers may still cache it');
      });

      it('rotates every algorithm the domain signs with when none is named, one pending selector each; a second rotate replaces them', async () => {
        assert.equal((await run(['dkim', 'generate', domain, '--algorithm', 'ed25519', '--selector', 'ed1'])).code, 0);
        const first = await run(['dkim', 'rotate', domain]);
        assert.equal(first.code, 0, first.stderr);
        const pending = (): Promise<string[][]> => store.listDkimKeys(domain).then((keys) => keys.filter((k) => k.activateAt !== null).map((k) => [k.selector, k.algorithm]));
        assert.deepEqual(await pending(), [[`${dated}d`, 'rsa'], [`${dated}e`, 'ed25519']]);
        const second = await run(['dkim', 'rotate', domain]);
        assert.equal(second.code, 0, second.stderr);
        assert.match(second.stdout, new RegExp(`deleted the earlier pending key ${dated}d \\(rsa\\), which never signed`));
        assert.deepEqual(await pending(), [[`${dated}f`, 'rsa'], [`${dated}g`, 'ed25519']]);
        const shown = (await run(['dkim', 'show', domain])).stdout;
        publish(...[`${dated}f`, `${dated}g`].map((selector) => recordFor(shown, selector, domain)));
        const activated = await run(['dkim', 'activate', domain]);
        assert.equal(activated.code, 0, activated.stderr);
        const active = (await store.listDkimKeys(domain)).filter((k) => k.active).map((k) => [k.selector, k.algorithm]);
        assert.deepEqual(active, [[`${dated}f`, 'rsa'], [`${dated}g`, 'ed25519']]);
        for (const selector of [`${dated}f`, `${dated}g`]) assert.equal(await verifiesWith(recordFor(shown, selector, domain), await key(domain, selector)), 'pass');
        assert.equal((await key(domain, 'ed1')).active, false);
        assert.equal((await key(domain, `${dated}c`)).active, false);
      });
    });
  });
}
