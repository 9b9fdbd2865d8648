// The Sender Rewriting Scheme: SRS0 and SRS1 forward and reverse, the keyed hash, the timestamp, and forged addresses refused.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isSrsAddress, srsForward, srsReverse, SrsError } from '../src/srs.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const ours = { secrets: ['s3cret'], domain: 'fwd.example', now: () => NOW };

describe('SRS', () => {
  test('SRS0: a forwarded sender becomes an address of ours that reverses to the original', () => {
    const rewritten = srsForward('alice@origin.example', ours);
    assert.match(rewritten, /^SRS0=[A-Za-z0-9+/]{4}=[A-Z2-7]{2}=origin\.example=alice@fwd\.example$/);
    assert.ok(isSrsAddress(rewritten));
    assert.equal(srsReverse(rewritten, ours), 'alice@origin.example');
    // Mail systems may change the case of a local part: the hash is checked case-insensitively.
    assert.equal(srsReverse(rewritten.toLowerCase().replace('fwd.example', 'FWD.example'), ours), 'alice@origin.example');
  });

  test('a sender in our own SRS domain is left as it is', () => {
    assert.equal(srsForward('bob@fwd.example', ours), 'bob@fwd.example');
  });

  test('SRS1: forwarding an SRS0 address of another forwarder keeps the original and reverses to that forwarder', () => {
    const first = { secrets: ['other'], domain: 'first.example', now: () => NOW };
    const srs0 = srsForward('alice@origin.example', first);
    const srs1 = srsForward(srs0, ours);
    assert.match(srs1, /^SRS1=[A-Za-z0-9+/]{4}=first\.example==[A-Za-z0-9+/]{4}=[A-Z2-7]{2}=origin\.example=alice@fwd\.example$/);
    assert.equal(srsReverse(srs1, ours), srs0);
    assert.equal(srsReverse(srs0, first), 'alice@origin.example');
    // A third hop re-signs the SRS1 address: still one hop back to the first forwarder.
    const third = { secrets: ['third'], domain: 'third.example', now: () => NOW };
    const again = srsForward(srs1, third);
    assert.match(again, /^SRS1=[^=]+=first\.example==.+@third\.example$/);
    assert.equal(srsReverse(again, third), srs0);
  });

  test('refuses a forged hash, another key, an expired timestamp and a malformed address', () => {
    const rewritten = srsForward('alice@origin.example', ours);
    const forged = rewritten.replace(/^SRS0=[^=]{4}=/, 'SRS0=AAAA=');
    assert.throws(() => srsReverse(forged, ours), SrsError);
    assert.throws(() => srsReverse(rewritten, { ...ours, secrets: ['another'] }), /does not match/);
    // Rotation: the new key signs, the old one still verifies.
    assert.equal(srsReverse(rewritten, { ...ours, secrets: ['new', 's3cret'] }), 'alice@origin.example');
    const later = { ...ours, now: () => new Date(NOW.getTime() + 22 * 86_400_000) };
    assert.throws(() => srsReverse(rewritten, later), /expired 22 days/);
    assert.equal(srsReverse(rewritten, { ...later, maxAgeDays: 30 }), 'alice@origin.example');
    assert.throws(() => srsReverse('SRS0=abc@fwd.example', ours), /not an SRS address/);
    assert.throws(() => srsReverse('alice@fwd.example', ours), /not an SRS address/);
    assert.throws(() => srsForward('alice@origin.example', { ...ours, secrets: [] }), /no SRS secret/);
  });
});
